import Foundation
import CircuitFitCore

/// One legend item: a symbol and its text.
public struct LegendEntry: Sendable, Equatable {
    public enum Symbol: Sendable, Equatable {
        /// A line segment with a marker; with `band`, a translucent IQR rectangle behind it.
        case series(SeriesStyle, band: Bool)
        /// A reference line (colour, dash pattern).
        case rule(color: String, dash: String?)
        /// A marker alone.
        case marker(SeriesStyle)
        /// The cyclic reach-angle colour wheel (0° at 3 o'clock, angles counter-clockwise).
        case angleWheel
    }
    public var label: String
    public var symbol: Symbol
    public init(_ label: String, _ symbol: Symbol) { self.label = label; self.symbol = symbol }
}

/// Panels laid out in a grid, lettered A, B, …, under one legend: one SVG document per figure, so
/// a figure can be saved and placed in a paper as it is.
public struct SVGFigure: Sendable, Equatable {
    public var title: String
    public var panels: [PlotPanel]
    public var columns: Int
    public var legend: [LegendEntry]
    /// Letter the panels A, B, … (when there is more than one).
    public var lettered: Bool

    public init(title: String, panels: [PlotPanel], columns: Int, legend: [LegendEntry], lettered: Bool = true) {
        self.title = title; self.panels = panels; self.columns = max(1, columns); self.legend = legend
        self.lettered = lettered
    }

    static let legendFont = 12.0
    static let legendRow = 22.0
    static let swatchWidth = 30.0

    /// The wheel needs room for its "0°" label.
    static func swatchWidth(_ symbol: LegendEntry.Symbol) -> Double { symbol == .angleWheel ? 58 : swatchWidth }

    private var columnWidths: [Double] {
        (0..<min(columns, panels.count)).map { c in
            stride(from: c, to: panels.count, by: columns).map { panels[$0].width }.max() ?? 0
        }
    }

    private var rowHeights: [Double] {
        stride(from: 0, to: panels.count, by: columns).map { start in
            panels[start..<min(start + columns, panels.count)].map(\.height).max() ?? 0
        }
    }

    public var width: Double { max(columnWidths.reduce(0, +), 200) }

    /// Legend items placed left to right, wrapping: (entry, x, row).
    private var legendLayout: [(LegendEntry, Double, Int)] {
        var placed: [(LegendEntry, Double, Int)] = []
        var x = 12.0, row = 0
        for entry in legend {
            let w = Self.swatchWidth(entry.symbol) + 6 + SVG.textWidth(entry.label, size: Self.legendFont) + 22
            if x + w > width - 8 && x > 12 { x = 12; row += 1 }
            placed.append((entry, x, row))
            x += w
        }
        return placed
    }

    private var legendHeight: Double {
        guard let last = legendLayout.last else { return 0 }
        let wheel = legend.contains { $0.symbol == .angleWheel } ? 24.0 : 0
        return Double(last.2 + 1) * Self.legendRow + 8 + wheel
    }

    public var height: Double { legendHeight + rowHeights.reduce(0, +) + 4 }

    public func render() -> String {
        var out: [String] = []
        out.append("<svg xmlns=\"\(SVG.namespace)\" width=\"\(SVG.n(width))\" height=\"\(SVG.n(height))\" viewBox=\"0 0 \(SVG.n(width)) \(SVG.n(height))\" font-family=\"\(SVG.fontFamily)\" fill=\"#222222\" role=\"img\">")
        out.append("<title>\(Escaping.html(title))</title>")
        out.append("<rect width=\"100%\" height=\"100%\" fill=\"#FFFFFF\"/>")
        let wheelExtra = legend.contains { $0.symbol == .angleWheel } ? 24.0 : 0
        for (entry, x, row) in legendLayout {
            let cy = 6 + wheelExtra / 2 + Self.legendRow * (Double(row) + 0.5)
            out.append(swatch(entry.symbol, x: x, cy: cy))
            out.append(SVG.text(entry.label, x: x + Self.swatchWidth(entry.symbol) + 6, y: cy + Self.legendFont * 0.35, size: Self.legendFont))
        }
        let widths = columnWidths, heights = rowHeights
        var top = legendHeight
        for (r, rowHeight) in heights.enumerated() {
            var left = 0.0
            for c in 0..<widths.count {
                let index = r * columns + c
                guard index < panels.count else { break }
                let letter = lettered && panels.count > 1 ? String(UnicodeScalar(UInt8(65 + index % 26))) : nil
                out.append("<g transform=\"translate(\(SVG.n(left)),\(SVG.n(top)))\">")
                out.append(panels[index].renderGroup(letter: letter))
                out.append("</g>")
                left += widths[c]
            }
            top += rowHeight
        }
        out.append("</svg>")
        return out.joined(separator: "\n")
    }

    private func swatch(_ symbol: LegendEntry.Symbol, x: Double, cy: Double) -> String {
        let w = Self.swatchWidth
        switch symbol {
        case .series(let style, let band):
            var parts: [String] = []
            if band {
                parts.append("<rect x=\"\(SVG.n(x))\" y=\"\(SVG.n(cy - 6))\" width=\"\(SVG.n(w))\" height=\"12\" fill=\"\(style.color)\" fill-opacity=\"0.18\"/>")
            }
            parts.append(SVG.polyline([(x, cy), (x + w, cy)], style: style))
            parts.append(SVG.marker(style.marker, x: x + w / 2, y: cy, style: style))
            return parts.joined()
        case .rule(let color, let dash):
            return SVG.line(x, cy, x + w, cy, stroke: color, width: 1.4, dash: dash)
        case .marker(let style):
            return SVG.marker(style.marker, x: x + w / 2, y: cy, style: style)
        case .angleWheel:
            return Self.angleWheel(cx: x + 20, cy: cy, radius: 14)
        }
    }

    /// A ring of 36 wedges coloured by the cyclic map, with a tick at 0°.
    static func angleWheel(cx: Double, cy: Double, radius: Double) -> String {
        var parts: [String] = []
        let inner = radius * 0.55
        let count = 36
        for k in 0..<count {
            let a0 = 2 * Double.pi * Double(k) / Double(count), a1 = 2 * Double.pi * Double(k + 1) / Double(count)
            // y grows downwards: counter-clockwise angles have negative sin.
            let points = [
                (cx + radius * cos(a0), cy - radius * sin(a0)), (cx + radius * cos(a1), cy - radius * sin(a1)),
                (cx + inner * cos(a1), cy - inner * sin(a1)), (cx + inner * cos(a0), cy - inner * sin(a0)),
            ]
            let color = ColorPalette.cyclic(angle: (a0 + a1) / 2)
            parts.append("<path d=\"\(SVG.pathData(points, closed: true))\" fill=\"\(color)\" stroke=\"\(color)\" stroke-width=\"0.5\"/>")
        }
        parts.append(SVG.line(cx + radius - 1, cy, cx + radius + 4, cy, stroke: "#222222", width: 1.2))
        parts.append(SVG.text("0°", x: cx + radius + 5, y: cy + 3.5, size: 9))
        parts.append(SVG.text("90°", x: cx, y: cy - radius - 2, size: 9, anchor: "middle"))
        return parts.joined()
    }
}
