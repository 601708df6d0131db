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
        /// A reference band (translucent) with its middle line.
        case band(color: String, dash: String?)
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
        self.title = title; self.columns = max(1, columns); self.legend = legend
        self.lettered = lettered
        // Panels of a row reserve the same title height, so their plot frames line up.
        var aligned = panels
        for start in stride(from: 0, to: panels.count, by: self.columns) {
            let row = start..<min(start + self.columns, panels.count)
            let lines = row.map { panels[$0].titleText.count }.max() ?? 0
            for i in row { aligned[i].reservedTitleLines = lines }
        }
        self.panels = aligned
    }

    static var legendFont: Double { FigureLayout.legendFont }
    static let legendRow = 30.0
    static let swatchWidth = 44.0
    static let wheelRadius = 20.0

    /// The wheel needs room for its "0°" label.
    static func swatchWidth(_ symbol: LegendEntry.Symbol) -> Double { symbol == .angleWheel ? 86 : swatchWidth }

    /// Extra height above the first legend row for the wheel and its "90°" label.
    private var wheelExtra: Double {
        legend.contains { $0.symbol == .angleWheel } ? 2 * (FigureLayout.minimumFont + 3 + Self.wheelRadius - Self.legendRow / 2) : 0
    }

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

    public var width: Double { max(columnWidths.reduce(0, +), 300) }

    /// Legend items placed left to right, wrapping: (entry, x, row).
    private var legendLayout: [(LegendEntry, Double, Int)] {
        var placed: [(LegendEntry, Double, Int)] = []
        var x = 14.0, row = 0
        for entry in legend {
            let w = Self.swatchWidth(entry.symbol) + 8 + Draw.textWidth(entry.label, size: Self.legendFont) + 28
            if x + w > width - 8 && x > 14 { x = 14; row += 1 }
            placed.append((entry, x, row))
            x += w
        }
        return placed
    }

    private var legendHeight: Double {
        guard let last = legendLayout.last else { return 0 }
        return Double(last.2 + 1) * Self.legendRow + 10 + wheelExtra
    }

    public var height: Double { legendHeight + rowHeights.reduce(0, +) + 4 }

    /// The figure as drawing items (legend on top, then the panels in their grid).
    public func drawing() -> Drawing {
        var out: [DrawItem] = []
        for (entry, x, row) in legendLayout {
            let cy = 6 + wheelExtra / 2 + Self.legendRow * (Double(row) + 0.5)
            out += swatch(entry.symbol, x: x, cy: cy)
            out.append(Draw.text(entry.label, x: x + Self.swatchWidth(entry.symbol) + 8, y: cy + Self.legendFont * 0.35, size: Self.legendFont))
        }
        let widths = columnWidths, heights = rowHeights
        var top = legendHeight
        for (r, rowHeight) in heights.enumerated() {
            var left = 0.0
            for c in 0..<widths.count {
                let index = r * columns + c
                guard index < panels.count else { break }
                let letter = lettered && panels.count > 1 ? String(UnicodeScalar(UInt8(65 + index % 26))) : nil
                out.append(.group(dx: left, dy: top, panels[index].items(letter: letter)))
                left += widths[c]
            }
            top += rowHeight
        }
        return Drawing(width: width, height: height, title: title, items: out)
    }

    /// The figure as an SVG element for the page (layout units).
    public func render() -> String { SVGWriter.svg(drawing()) }

    /// The figure as an SVG file at print size (180 mm for a full-width figure).
    public func svgFile() -> String { SVGWriter.file(drawing()) }

    /// The figure as a PDF file of the same drawing at print size.
    public func pdf() -> Data { PDFWriter.pdf(drawing()) }

    private func swatch(_ symbol: LegendEntry.Symbol, x: Double, cy: Double) -> [DrawItem] {
        let w = Self.swatchWidth
        switch symbol {
        case .series(let style, let band):
            var parts: [DrawItem] = []
            if band {
                parts.append(.rect(x: x, y: cy - 9, width: w, height: 18, Paint(fill: style.color, fillOpacity: 0.18)))
            }
            parts.append(Draw.polyline([(x, cy), (x + w, cy)], style: style))
            if let marker = Draw.marker(style.marker, x: x + w / 2, y: cy, style: style) { parts.append(marker) }
            return parts
        case .rule(let color, let dash):
            return [Draw.line(x, cy, x + w, cy, stroke: color, width: 2, dash: dash)]
        case .band(let color, let dash):
            return [.rect(x: x, y: cy - 9, width: w, height: 18, Paint(fill: color, fillOpacity: 0.16)), Draw.line(x, cy, x + w, cy, stroke: color, width: 2.2, dash: dash)]
        case .marker(let style):
            return Draw.marker(style.marker, x: x + w / 2, y: cy, style: style).map { [$0] } ?? []
        case .angleWheel:
            return Self.angleWheel(cx: x + Self.wheelRadius + 2, cy: cy, radius: Self.wheelRadius)
        }
    }

    /// A ring of 36 wedges coloured by the cyclic map, with a tick at 0°.
    static func angleWheel(cx: Double, cy: Double, radius: Double) -> [DrawItem] {
        var parts: [DrawItem] = []
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
            parts.append(Draw.polygon(points, fill: color, stroke: color, strokeWidth: 0.5))
        }
        parts.append(Draw.line(cx + radius - 1, cy, cx + radius + 5, cy, stroke: "#222222", width: 1.6))
        parts.append(Draw.text("0°", x: cx + radius + 6, y: cy + 5.5, size: FigureLayout.minimumFont))
        parts.append(Draw.text("90°", x: cx, y: cy - radius - 3, size: FigureLayout.minimumFont, anchor: .middle))
        return parts
    }
}
