import CircuitFitCore

/// Small builders for the drawing items of figures (`DrawItem`): text, lines, data lines and
/// markers with a series style, and text width from Helvetica's metrics (`FontMetrics`) for
/// layout, so layout is the same on every machine and the PDF places text where the SVG does.
enum Draw {
    /// The font stack of every SVG figure: Helvetica and its metric twins first.
    static let fontFamily = "Helvetica, Arial, &#39;Liberation Sans&#39;, &#39;DejaVu Sans&#39;, sans-serif"

    static func n(_ v: Double) -> String { ReportFormat.coordinate(v) }

    /// Text with its baseline at (x, y). `anchor` is start, middle or end.
    static func text(
        _ content: String, x: Double, y: Double, size: Double, anchor: TextAnchor = .start,
        bold: Bool = false, fill: String? = nil, rotate: Double? = nil
    ) -> DrawItem {
        .text(content, at: DrawPoint(x, y), size: size, anchor: anchor, bold: bold, color: fill, rotate: rotate)
    }

    static func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String, width: Double, dash: String? = nil) -> DrawItem {
        .line(DrawPoint(x1, y1), DrawPoint(x2, y2), Paint(stroke: stroke, strokeWidth: width, dash: dash))
    }

    /// A data line through `points` (round joins and caps) in `style`'s colour and width.
    static func polyline(_ points: [(Double, Double)], style: SeriesStyle, dash: String? = nil, opacity: Double? = nil, width: Double? = nil) -> DrawItem {
        .path(points.map { DrawPoint($0.0, $0.1) }, closed: false,
              Paint(fill: "none", stroke: style.color, strokeWidth: width ?? style.lineWidth, dash: dash ?? style.dash, strokeOpacity: opacity, round: true))
    }

    /// A filled polygon (bands, wedges, error bars' outlines).
    static func polygon(_ points: [(Double, Double)], fill: String, opacity: Double? = nil, stroke: String? = nil, strokeWidth: Double = 1) -> DrawItem {
        .path(points.map { DrawPoint($0.0, $0.1) }, closed: true,
              Paint(fill: fill, fillOpacity: opacity, stroke: stroke ?? "none", strokeWidth: strokeWidth))
    }

    /// One marker centred at (x, y): filled with the series colour, outlined in `style.outline`.
    static func marker(_ shape: MarkerShape, x: Double, y: Double, style: SeriesStyle) -> DrawItem? {
        let r = style.markerRadius
        let paint = Paint(fill: style.markerFill ?? style.color, fillOpacity: style.markerOpacity, stroke: style.outline, strokeWidth: style.outlineWidth)
        switch shape {
        case .none:
            return nil
        case .circle:
            return .circle(center: DrawPoint(x, y), radius: r, paint)
        case .square:
            let s = r * 0.9
            return .rect(x: x - s, y: y - s, width: 2 * s, height: 2 * s, paint)
        case .triangle:
            let s = r * 1.25
            return .path([DrawPoint(x, y - s), DrawPoint(x + s * 0.866, y + s * 0.5), DrawPoint(x - s * 0.866, y + s * 0.5)], closed: true, paint)
        case .diamond:
            let s = r * 1.25
            return .path([DrawPoint(x, y - s), DrawPoint(x + s, y), DrawPoint(x, y + s), DrawPoint(x - s, y)], closed: true, paint)
        }
    }

    /// Rendered width of `text` at type size `size`, from Helvetica's metrics, with 4 % to spare
    /// (screens may substitute a slightly wider sans-serif).
    static func textWidth(_ text: String, size: Double, bold: Bool = false) -> Double {
        FontMetrics.width(text, size: size, bold: bold) * 1.04
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
