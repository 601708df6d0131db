import CircuitFitCore

/// Writes a `Drawing` as an SVG document: for the page (sized in layout units, so it scales to
/// the column) or as a file to download (sized in mm at the figure's print width, same drawing).
public enum SVGWriter {
    static let namespace = "http://www.w3.org/2000/svg"

    public enum Size { case layoutUnits, print }

    /// The `<svg>` element of `drawing`.
    public static func svg(_ drawing: Drawing, size: Size = .layoutUnits) -> String {
        let (w, h) = size == .print
            ? (Draw.n(drawing.printWidthMM) + "mm", Draw.n(drawing.printHeightMM) + "mm")
            : (Draw.n(drawing.width), Draw.n(drawing.height))
        var out = ["<svg xmlns=\"\(namespace)\" width=\"\(w)\" height=\"\(h)\" viewBox=\"0 0 \(Draw.n(drawing.width)) \(Draw.n(drawing.height))\" font-family=\"\(Draw.fontFamily)\" fill=\"#222222\" role=\"img\">"]
        out.append("<title>\(Escaping.html(drawing.title))</title>")
        out.append("<rect width=\"100%\" height=\"100%\" fill=\"#FFFFFF\"/>")
        for item in drawing.items { out.append(element(item)) }
        out.append("</svg>")
        return out.joined(separator: "\n")
    }

    /// A standalone SVG file: the XML declaration and the document at print size.
    public static func file(_ drawing: Drawing) -> String {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + svg(drawing, size: .print) + "\n"
    }

    /// The SVG markup of one item.
    static func element(_ item: DrawItem) -> String {
        let n = Draw.n
        switch item {
        case .group(let dx, let dy, let items):
            return "<g transform=\"translate(\(n(dx)),\(n(dy)))\">\n" + items.map(element).joined(separator: "\n") + "\n</g>"
        case .line(let a, let b, let paint):
            return "<line x1=\"\(n(a.x))\" y1=\"\(n(a.y))\" x2=\"\(n(b.x))\" y2=\"\(n(b.y))\"\(stroke(paint))/>"
        case .path(let points, let closed, let paint):
            var d = ""
            for (i, p) in points.enumerated() { d += (i == 0 ? "M" : " L") + n(p.x) + "," + n(p.y) }
            if closed { d += " Z" }
            return "<path d=\"\(d)\"\(fill(paint))\(stroke(paint))/>"
        case .circle(let c, let r, let paint):
            return "<circle cx=\"\(n(c.x))\" cy=\"\(n(c.y))\" r=\"\(n(r))\"\(fill(paint))\(stroke(paint))/>"
        case .rect(let x, let y, let w, let h, let paint):
            return "<rect x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(w))\" height=\"\(n(h))\"\(fill(paint))\(stroke(paint))/>"
        case .text(let content, let at, let size, let anchor, let bold, let color, let rotate):
            var attributes = "x=\"\(n(at.x))\" y=\"\(n(at.y))\" font-size=\"\(n(size))\""
            if anchor != .start { attributes += " text-anchor=\"\(anchor.rawValue)\"" }
            if bold { attributes += " font-weight=\"bold\"" }
            if let color { attributes += " fill=\"\(color)\"" }
            if let rotate { attributes += " transform=\"rotate(\(n(rotate)) \(n(at.x)) \(n(at.y)))\"" }
            return "<text \(attributes)>\(Escaping.html(content))</text>"
        }
    }

    private static func fill(_ paint: Paint) -> String {
        guard let fill = paint.fill else { return "" }
        return " fill=\"\(fill)\"" + (paint.fillOpacity.map { " fill-opacity=\"\(Draw.n($0))\"" } ?? "")
    }

    private static func stroke(_ paint: Paint) -> String {
        guard let stroke = paint.stroke else { return "" }
        if stroke == "none" { return " stroke=\"none\"" }
        var s = " stroke=\"\(stroke)\" stroke-width=\"\(Draw.n(paint.strokeWidth))\""
        if paint.round { s += " stroke-linejoin=\"round\" stroke-linecap=\"round\"" }
        if let dash = paint.dash { s += " stroke-dasharray=\"\(dash)\"" }
        if let opacity = paint.strokeOpacity { s += " stroke-opacity=\"\(Draw.n(opacity))\"" }
        return s
    }
}
