import CircuitFitCore

/// A figure ready for the page: the SVG, a caption (plain text; the page adds "Figure N."),
/// and optionally the plotted numbers as an HTML table.
struct ReportFigure: Sendable {
    var figure: SVGFigure
    var caption: String
    /// Escaped HTML (a `<table>`), shown in a collapsed `<details>` under the caption.
    var numbersTable: String?
}

/// Collects the values a figure could not draw, for its caption.
struct SkippedValues {
    private(set) var items: [String] = []
    private(set) var count = 0

    mutating func add(_ description: String) {
        count += 1
        items.append(description)
    }

    /// "3 values not drawn (not finite): a; b; c." or "" when nothing was skipped.
    func sentence(reason: String = "not finite") -> String {
        guard count > 0 else { return "" }
        let shown = items.prefix(6).joined(separator: "; ")
        let more = count > 6 ? "; and \(count - 6) more" : ""
        return " \(count) value\(count == 1 ? "" : "s") not drawn (\(reason)): \(shown)\(more)."
    }
}

/// The sizes of every figure, in layout units. A full-width figure is 1160 units wide and
/// prints at 180 mm, a journal's two-column width (the downloads are that size), so one unit is
/// 0.155 mm = 0.44 pt. Type is set so that the smallest text, tick labels included, is at least
/// 7 pt in print (16 units = 7.04 pt); lines are 0.5–1.2 pt.
public enum FigureLayout {
    /// Width of a full-width figure (the page is 1200 px wide; SVGs shrink to fit).
    public static let figureWidth = 1160.0
    /// Printed width of a full-width figure, mm.
    public static let printWidthMM = 180.0
    static let millimetresPerUnit = printWidthMM / figureWidth
    static let pointsPerUnit = millimetresPerUnit * 72 / 25.4

    /// Type sizes (layout units; × 0.44 = pt): never below `minimumFont` (7.04 pt).
    public static let minimumFont = 16.0
    static let tickFont = 16.5
    static let labelFont = 18.0
    static let titleFont = 18.0
    static let letterFont = 22.0
    static let legendFont = 16.5
    /// Line widths: axes and ticks, data lines; marker radius.
    public static let axisLine = 1.6
    public static let dataLine = 2.6
    public static let markerRadius = 5.5

    /// The print size of a layout length, in points.
    public static func points(_ units: Double) -> Double { units * pointsPerUnit }
}
