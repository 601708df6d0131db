import CircuitFitCore

/// Character widths of Helvetica (Adobe's AFM metrics, in 1/1000 em; Arial and Liberation Sans
/// share them) and how text maps onto the PDF base-14 fonts: Helvetica (WinAnsiEncoding) for
/// Latin text, Symbol for Greek letters and mathematical signs, and raised or lowered small
/// Helvetica for superscript and subscript digits.
enum FontMetrics {
    /// Widths of the printable ASCII characters 32…126.
    private static let ascii: [Int] = [
        278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,  // space … /
        556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,  // 0 … ?
        1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,  // @ … O
        667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,   // P … _
        333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,   // ` … o
        556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,        // p … ~
    ]

    /// Latin characters outside ASCII that WinAnsiEncoding has: (code, width).
    private static let latin: [Character: (UInt8, Int)] = [
        "°": (0xB0, 400), "±": (0xB1, 584), "²": (0xB2, 333), "³": (0xB3, 333), "¹": (0xB9, 333),
        "µ": (0xB5, 556), "·": (0xB7, 278), "×": (0xD7, 584), "÷": (0xF7, 584), "é": (0xE9, 556),
        "è": (0xE8, 556), "ö": (0xF6, 556), "ü": (0xFC, 556), "ä": (0xE4, 556), "–": (0x96, 556),
        "—": (0x97, 1000), "…": (0x85, 1000), "‘": (0x91, 222), "’": (0x92, 222), "“": (0x93, 333),
        "”": (0x94, 333), "•": (0x95, 350), "Å": (0xC5, 667), "§": (0xA7, 556), "¼": (0xBC, 834),
        "½": (0xBD, 834), "¾": (0xBE, 834), "\u{A0}": (0xA0, 278),
    ]

    /// Characters set in the Symbol font: (code, width).
    private static let symbol: [Character: (UInt8, Int)] = [
        "α": (0x61, 631), "β": (0x62, 549), "γ": (0x67, 411), "δ": (0x64, 494), "ε": (0x65, 439),
        "θ": (0x71, 521), "λ": (0x6C, 549), "μ": (0x6D, 576), "π": (0x70, 549), "ρ": (0x72, 549),
        "σ": (0x73, 603), "τ": (0x74, 439), "φ": (0x66, 521), "χ": (0x63, 549), "ψ": (0x79, 686),
        "ω": (0x77, 686), "η": (0x68, 603), "κ": (0x6B, 549), "ν": (0x6E, 521), "ξ": (0x78, 493),
        "ζ": (0x7A, 494), "ι": (0x69, 329), "Δ": (0x44, 612), "Σ": (0x53, 592), "Ω": (0x57, 768),
        "Φ": (0x46, 763), "Λ": (0x4C, 686), "Θ": (0x51, 741), "Π": (0x50, 768), "Γ": (0x47, 603),
        "−": (0x2D, 549), "≤": (0xA3, 549), "≥": (0xB3, 549), "≠": (0xB9, 549), "≈": (0xBB, 549),
        "→": (0xAE, 987), "←": (0xAC, 987), "∞": (0xA5, 713), "√": (0xD6, 549), "∂": (0xB6, 494),
        "′": (0xA2, 247), "∝": (0xB5, 713), "∑": (0xE5, 713), "⋅": (0xD7, 250), "∈": (0xCE, 713),
    ]

    private static let superscripts: [Character: Character] = [
        "⁰": "0", "¹": "1", "²": "2", "³": "3", "⁴": "4", "⁵": "5", "⁶": "6", "⁷": "7", "⁸": "8", "⁹": "9",
        "⁻": "-", "⁺": "+",
    ]
    private static let subscripts: [Character: Character] = [
        "₀": "0", "₁": "1", "₂": "2", "₃": "3", "₄": "4", "₅": "5", "₆": "6", "₇": "7", "₈": "8", "₉": "9",
    ]

    /// Size and shift of superscripts and subscripts, relative to the type size.
    static let scriptScale = 0.7
    static let superscriptRise = 0.35
    static let subscriptDrop = -0.15

    /// A run of text in one PDF font: the font, the encoded bytes, its size and baseline shift
    /// (both relative to the type size) and its width in 1/1000 em of the type size.
    struct Run: Equatable {
        enum Font: String { case helvetica = "F1", helveticaBold = "F2", symbol = "F3" }
        var font: Font
        var bytes: [UInt8]
        var scale: Double
        var rise: Double
        var width: Double
    }

    /// The width of one character in 1/1000 em (an unknown character counts as an "M").
    static func width(of character: Character, bold: Bool = false) -> Double {
        runs(String(character), bold: bold).reduce(0) { $0 + $1.width }
    }

    /// The width of `text` at type size `size`, in the same units as `size`.
    static func width(_ text: String, size: Double, bold: Bool = false) -> Double {
        runs(text, bold: bold).reduce(0) { $0 + $1.width } / 1000 * size
    }

    /// `text` split into runs of one font each. Characters no base-14 font has become "?".
    static func runs(_ text: String, bold: Bool = false) -> [Run] {
        var runs: [Run] = []
        func append(_ font: Run.Font, _ byte: UInt8, _ width: Double, scale: Double = 1, rise: Double = 0) {
            if var last = runs.last, last.font == font, last.scale == scale, last.rise == rise {
                last.bytes.append(byte)
                last.width += width
                runs[runs.count - 1] = last
            } else {
                runs.append(Run(font: font, bytes: [byte], scale: scale, rise: rise, width: width))
            }
        }
        let latinFont: Run.Font = bold ? .helveticaBold : .helvetica
        let boldFactor = bold ? 1.05 : 1
        for character in text {
            if let ascii = character.asciiValue, ascii >= 32, ascii <= 126 {
                append(latinFont, ascii, Double(Self.ascii[Int(ascii) - 32]) * boldFactor)
            } else if let (code, width) = latin[character], superscripts[character] == nil {
                append(latinFont, code, Double(width) * boldFactor)
            } else if let (code, width) = symbol[character] {
                append(.symbol, code, Double(width))
            } else if let plain = superscripts[character] ?? subscripts[character], let ascii = plain.asciiValue {
                let up = superscripts[character] != nil
                append(latinFont, ascii, Double(Self.ascii[Int(ascii) - 32]) * scriptScale, scale: scriptScale, rise: up ? superscriptRise : subscriptDrop)
            } else if character == "\t" || character == "\n" {
                append(latinFont, 32, 278)
            } else {
                append(latinFont, UInt8(ascii: "?"), 556)
            }
        }
        return runs
    }
}
