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

enum FigureLayout {
    /// Width of a figure on the page, pixels (the page is 1200 px wide; SVGs shrink to fit).
    static let figureWidth = 1160.0
}
