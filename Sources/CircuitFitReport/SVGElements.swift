import CircuitFitCore

/// Small builders for SVG markup: escaped text, formatted coordinates, markers, and a text-width
/// estimate for layout (no font is measured, so layout is the same on every machine).
enum SVG {
    /// The font stack of every figure: system sans-serif fonts only.
    static let fontFamily = "Helvetica, Arial, &#39;Liberation Sans&#39;, &#39;DejaVu Sans&#39;, sans-serif"
    static let namespace = "http://www.w3.org/2000/svg"

    static func n(_ v: Double) -> String { ReportFormat.coordinate(v) }

    /// `<text>` with escaped content. `anchor` is start, middle or end.
    static func text(
        _ content: String, x: Double, y: Double, size: Double, anchor: String = "start",
        weight: String? = nil, fill: String? = nil, rotate: Double? = nil, baseline: String? = nil
    ) -> String {
        var attributes = "x=\"\(n(x))\" y=\"\(n(y))\" font-size=\"\(n(size))\""
        if anchor != "start" { attributes += " text-anchor=\"\(anchor)\"" }
        if let weight { attributes += " font-weight=\"\(weight)\"" }
        if let fill { attributes += " fill=\"\(fill)\"" }
        if let baseline { attributes += " dominant-baseline=\"\(baseline)\"" }
        if let rotate { attributes += " transform=\"rotate(\(n(rotate)) \(n(x)) \(n(y)))\"" }
        return "<text \(attributes)>\(Escaping.html(content))</text>"
    }

    static func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String, width: Double, dash: String? = nil) -> String {
        "<line x1=\"\(n(x1))\" y1=\"\(n(y1))\" x2=\"\(n(x2))\" y2=\"\(n(y2))\" stroke=\"\(stroke)\" stroke-width=\"\(n(width))\""
            + (dash.map { " stroke-dasharray=\"\($0)\"" } ?? "") + "/>"
    }

    /// Path data "M x,y L x,y …" through `points` (all finite).
    static func pathData(_ points: [(Double, Double)], closed: Bool = false) -> String {
        var d = ""
        for (i, p) in points.enumerated() {
            d += (i == 0 ? "M" : " L") + n(p.0) + "," + n(p.1)
        }
        return closed ? d + " Z" : d
    }

    static func polyline(_ points: [(Double, Double)], style: SeriesStyle, dash: String? = nil, opacity: Double? = nil) -> String {
        let dashes = dash ?? style.dash
        return "<path d=\"\(pathData(points))\" fill=\"none\" stroke=\"\(style.color)\" stroke-width=\"\(n(style.lineWidth))\""
            + " stroke-linejoin=\"round\" stroke-linecap=\"round\""
            + (dashes.map { " stroke-dasharray=\"\($0)\"" } ?? "")
            + (opacity.map { " stroke-opacity=\"\(n($0))\"" } ?? "") + "/>"
    }

    /// One marker centred at (x, y): filled with the series colour, outlined in `style.outline`.
    static func marker(_ shape: MarkerShape, x: Double, y: Double, style: SeriesStyle) -> String {
        let r = style.markerRadius
        let paint = "fill=\"\(style.markerFill ?? style.color)\" stroke=\"\(style.outline)\" stroke-width=\"\(n(style.outlineWidth))\""
        switch shape {
        case .none:
            return ""
        case .circle:
            return "<circle cx=\"\(n(x))\" cy=\"\(n(y))\" r=\"\(n(r))\" \(paint)/>"
        case .square:
            let s = r * 0.9
            return "<rect x=\"\(n(x - s))\" y=\"\(n(y - s))\" width=\"\(n(2 * s))\" height=\"\(n(2 * s))\" \(paint)/>"
        case .triangle:
            let s = r * 1.25
            return "<path d=\"\(pathData([(x, y - s), (x + s * 0.866, y + s * 0.5), (x - s * 0.866, y + s * 0.5)], closed: true))\" \(paint)/>"
        case .diamond:
            let s = r * 1.25
            return "<path d=\"\(pathData([(x, y - s), (x + s, y), (x, y + s), (x - s, y)], closed: true))\" \(paint)/>"
        }
    }

    /// Estimated rendered width of `text` in a Helvetica-like font: 0.6 em per character,
    /// 0.3 em for narrow ones. Generous on purpose: layout errs towards space, not overlap.
    static func textWidth(_ text: String, size: Double) -> Double {
        let narrow: Set<Character> = ["i", "l", "j", "t", "f", "r", ".", ",", ":", ";", "'", "|", "!", " ", "(", ")", "[", "]", "I", "1", "−", "-"]
        var em = 0.0
        for ch in text { em += narrow.contains(ch) ? 0.33 : (ch.isUppercase || ch == "m" || ch == "w" || ch == "M" || ch == "W" ? 0.72 : 0.58) }
        return em * size
    }

    /// Splits `text` at spaces into lines no wider than `width` (a single long word stays whole).
    static func wrap(_ text: String, width: Double, size: Double) -> [String] {
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: true) {
            let candidate = current.isEmpty ? String(word) : current + " " + word
            if current.isEmpty || textWidth(candidate, size: size) <= width {
                current = candidate
            } else {
                lines.append(current)
                current = String(word)
            }
        }
        if !current.isEmpty { lines.append(current) }
        return lines.isEmpty ? [""] : lines
    }
}
