import Foundation
import CircuitFitCore

/// Colours for the figures.
enum ColorPalette {
    /// Okabe & Ito (2008): distinguishable with every common colour-vision deficiency. Paired with
    /// distinct markers and dash patterns so lines also read in greyscale.
    static let okabeIto = [
        "#0072B2",  // blue
        "#D55E00",  // vermillion
        "#009E73",  // bluish green
        "#CC79A7",  // reddish purple
        "#E69F00",  // orange
        "#56B4E9",  // sky blue
        "#F0E442",  // yellow (last: weak on white)
    ]
    static let black = "#000000"
    static let grey = "#777777"
    static let lightGrey = "#E4E4E4"

    /// The i-th series style: Okabe–Ito colour, a marker and a dash pattern (cycling).
    static func seriesStyle(_ i: Int) -> SeriesStyle {
        let markers: [MarkerShape] = [.circle, .square, .triangle, .diamond]
        let dashes: [String?] = [nil, "6 3", "2 2", "8 3 2 3"]
        return SeriesStyle(
            color: okabeIto[i % okabeIto.count], dash: dashes[i % dashes.count],
            marker: markers[i % markers.count])
    }

    /// A cyclic colour map for reach angles: constant lightness and chroma in Oklab (Ottosson 2020)
    /// with the hue turning once around the circle, so no angle stands out and 0 meets 2π smoothly.
    static func cyclic(angle: Double) -> String {
        let lightness = 0.66, chroma = 0.125
        let hue = angle.isFinite ? angle + 0.5 : 0  // start at a red hue for θ = 0
        let a = chroma * cos(hue), b = chroma * sin(hue)
        let l = pow(lightness + 0.3963377774 * a + 0.2158037573 * b, 3)
        let m = pow(lightness - 0.1055613458 * a - 0.0638541728 * b, 3)
        let s = pow(lightness - 0.0894841775 * a - 1.2914855480 * b, 3)
        let linear = [
            4.0767416621 * l - 3.3077115913 * m + 0.2309699292 * s,
            -1.2684380046 * l + 2.6097574011 * m - 0.3413193965 * s,
            -0.0041960863 * l - 0.7034186147 * m + 1.7076147010 * s,
        ]
        let bytes = linear.map { c -> Int in
            let c = min(1, max(0, c))
            let encoded = c <= 0.0031308 ? 12.92 * c : 1.055 * pow(c, 1 / 2.4) - 0.055
            return Int((encoded * 255).rounded())
        }
        return "#" + bytes.map { hex2($0) }.joined()
    }

    private static func hex2(_ v: Int) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[(v >> 4) & 15], digits[v & 15]])
    }

    /// `hex` with each channel scaled by `factor` (< 1 darkens): the same hue, more ink.
    static func darker(_ hex: String, factor: Double = 0.6) -> String {
        guard hex.hasPrefix("#"), hex.count == 7, let value = Int(hex.dropFirst(), radix: 16) else { return hex }
        let channels = [(value >> 16) & 255, (value >> 8) & 255, value & 255].map { Int((Double($0) * factor).rounded()) }
        return "#" + channels.map { hex2($0) }.joined()
    }
}
