import CircuitFitCore

/// A figure as vector drawing operations in layout units (y grows downwards), the one
/// description both writers render: `SVGWriter` (the page and the SVG download) and `PDFWriter`
/// (the PDF download), so the two files show the same drawing.
///
/// Layout units: a full-width figure is `FigureLayout.figureWidth` = 1160 units wide and prints
/// at 180 mm (a journal's two-column width), so one unit is 180/1160 mm ≈ 0.44 pt; type sizes are
/// chosen so tick labels are at least 7 pt in print (`FigureLayout`).
public struct Drawing: Sendable, Equatable {
    public var width: Double
    public var height: Double
    /// The title of the document (SVG `<title>`, PDF `/Title`).
    public var title: String
    public var items: [DrawItem]

    public init(width: Double, height: Double, title: String, items: [DrawItem]) {
        self.width = width; self.height = height; self.title = title; self.items = items
    }

    /// The printed width in mm: layout units × 180 / 1160.
    public var printWidthMM: Double { width * FigureLayout.millimetresPerUnit }
    public var printHeightMM: Double { height * FigureLayout.millimetresPerUnit }
}

/// How a shape is painted. Colours are "#RRGGBB".
public struct Paint: Sendable, Equatable {
    public var fill: String?
    public var fillOpacity: Double?
    public var stroke: String?
    public var strokeWidth: Double
    /// SVG stroke-dasharray, e.g. "6 3".
    public var dash: String?
    public var strokeOpacity: Double?
    /// Round joins and caps (data lines) rather than the default miter/butt (axes, ticks).
    public var round: Bool

    public init(fill: String? = nil, fillOpacity: Double? = nil, stroke: String? = nil, strokeWidth: Double = 1, dash: String? = nil, strokeOpacity: Double? = nil, round: Bool = false) {
        self.fill = fill; self.fillOpacity = fillOpacity; self.stroke = stroke; self.strokeWidth = strokeWidth
        self.dash = dash; self.strokeOpacity = strokeOpacity; self.round = round
    }
}

/// A point in layout units.
public struct DrawPoint: Sendable, Equatable {
    public var x: Double, y: Double
    public init(_ x: Double, _ y: Double) { self.x = x; self.y = y }
}

/// One drawing operation.
public indirect enum DrawItem: Sendable, Equatable {
    /// A straight segment.
    case line(DrawPoint, DrawPoint, Paint)
    /// A polyline or (closed) polygon.
    case path([DrawPoint], closed: Bool, Paint)
    case circle(center: DrawPoint, radius: Double, Paint)
    case rect(x: Double, y: Double, width: Double, height: Double, Paint)
    /// Text with its baseline at `at`; `anchor` start, middle or end; rotated by `rotate`
    /// degrees about `at` (negative = counter-clockwise on the page, as in SVG).
    case text(String, at: DrawPoint, size: Double, anchor: TextAnchor, bold: Bool, color: String?, rotate: Double?)
    /// Items drawn shifted by (dx, dy).
    case group(dx: Double, dy: Double, [DrawItem])
}

public enum TextAnchor: String, Sendable, Equatable { case start, middle, end }
