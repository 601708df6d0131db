import Foundation
import CircuitFitCore

/// Writes a `Drawing` as a one-page PDF 1.4 file of the same vector drawing, at its print size
/// (`Drawing.printWidthMM`): lines, paths, circles (four Bézier arcs), rectangles, translucent
/// fills (an ExtGState per opacity) and text in the PDF base-14 fonts Helvetica, Helvetica-Bold
/// and Symbol (not embedded: every PDF reader has them; `FontMetrics` places anchored text with
/// their real widths). No compression and no dependency: the file is plain PDF operators, the
/// same bytes for the same drawing.
public enum PDFWriter {
    /// The PDF file's bytes.
    public static func pdf(_ drawing: Drawing) -> Data {
        var page = PageContent(scale: FigureLayout.pointsPerUnit, height: drawing.height * FigureLayout.pointsPerUnit)
        page.draw(drawing.items, dx: 0, dy: 0)
        let width = drawing.width * FigureLayout.pointsPerUnit, height = drawing.height * FigureLayout.pointsPerUnit
        let content = Array(page.operators.joined(separator: "\n").utf8)

        var objects: [[UInt8]] = []
        objects.append(Array("<< /Type /Catalog /Pages 2 0 R >>".utf8))
        objects.append(Array("<< /Type /Pages /Kids [3 0 R] /Count 1 >>".utf8))
        let states = page.opacities.enumerated().map { i, pair in
            "/GS\(i) << /Type /ExtGState /ca \(number(pair.fill)) /CA \(number(pair.stroke)) >>"
        }.joined(separator: " ")
        let resources = "<< /Font << /F1 5 0 R /F2 6 0 R /F3 7 0 R >> /ExtGState << \(states) >> >>"
        objects.append(Array("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 \(number(width)) \(number(height))] /Resources \(resources) /Contents 4 0 R >>".utf8))
        objects.append(Array("<< /Length \(content.count) >>\nstream\n".utf8) + content + Array("\nendstream".utf8))
        objects.append(Array("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".utf8))
        objects.append(Array("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>".utf8))
        objects.append(Array("<< /Type /Font /Subtype /Type1 /BaseFont /Symbol >>".utf8))
        objects.append(Array("<< /Title \(literal(drawing.title)) /Producer (CircuitFit \(CircuitFitVersion.string)) >>".utf8))

        var bytes = Array("%PDF-1.4\n%\u{E2}\u{E3}\u{CF}\u{D3}\n".utf8)
        var offsets: [Int] = []
        for (i, object) in objects.enumerated() {
            offsets.append(bytes.count)
            bytes += Array("\(i + 1) 0 obj\n".utf8) + object + Array("\nendobj\n".utf8)
        }
        let xref = bytes.count
        bytes += Array("xref\n0 \(objects.count + 1)\n0000000000 65535 f \n".utf8)
        for offset in offsets {
            let digits = String(offset)
            bytes += Array((String(repeating: "0", count: 10 - digits.count) + digits + " 00000 n \n").utf8)
        }
        bytes += Array("trailer\n<< /Size \(objects.count + 1) /Root 1 0 R /Info \(objects.count) 0 R >>\nstartxref\n\(xref)\n%%EOF\n".utf8)
        return Data(bytes)
    }

    /// A PDF number: at most three decimals, no exponent, no "-0".
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        var s = String(format: "%.3f", value)
        while s.contains("."), s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s == "-0" ? "0" : s
    }

    /// A PDF literal string of `text` (Latin-1 where possible, "?" otherwise).
    static func literal(_ text: String) -> String {
        literal(bytes: text.unicodeScalars.map { $0.value < 256 ? UInt8($0.value) : UInt8(ascii: "?") })
    }

    static func literal(bytes: [UInt8]) -> String {
        var out = "("
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "\\"): out += "\\" + String(UnicodeScalar(byte))
            case 32...126: out += String(UnicodeScalar(byte))
            default: out += "\\" + String(byte, radix: 8).leftPadded(to: 3)
            }
        }
        return out + ")"
    }

    /// The content stream of the page, built item by item. Layout units become points by
    /// `scale`, and y is flipped (PDF's origin is the bottom-left corner).
    private struct PageContent {
        let scale: Double
        let height: Double
        var operators: [String] = []
        /// The (fill, stroke) opacity pairs in use, each an ExtGState /GSk.
        var opacities: [(fill: Double, stroke: Double)] = []

        func x(_ value: Double) -> String { number(value * scale) }
        func y(_ value: Double) -> String { number(height - value * scale) }

        mutating func draw(_ items: [DrawItem], dx: Double, dy: Double) {
            for item in items {
                switch item {
                case .group(let gx, let gy, let inner):
                    draw(inner, dx: dx + gx, dy: dy + gy)
                case .line(let a, let b, let paint):
                    let geometry = ["\(x(a.x + dx)) \(y(a.y + dy)) m", "\(x(b.x + dx)) \(y(b.y + dy)) l"]
                    shape(paint, geometry)
                case .path(let points, let closed, let paint):
                    guard !points.isEmpty else { continue }
                    let geometry = points.enumerated().map { i, p in "\(x(p.x + dx)) \(y(p.y + dy)) \(i == 0 ? "m" : "l")" }
                    shape(paint, closed: closed, geometry)
                case .circle(let c, let r, let paint):
                    let geometry = circle(c.x + dx, c.y + dy, r)
                    shape(paint, closed: true, geometry)
                case .rect(let rx, let ry, let w, let h, let paint):
                    let geometry = ["\(x(rx + dx)) \(y(ry + dy + h)) \(number(w * scale)) \(number(h * scale)) re"]
                    shape(paint, closed: true, geometry)
                case .text(let text, let at, let size, let anchor, let bold, let color, let rotate):
                    self.text(text, at: DrawPoint(at.x + dx, at.y + dy), size: size, anchor: anchor, bold: bold, color: color, rotate: rotate)
                }
            }
        }

        /// Four Bézier arcs approximating a circle (error below 0.03 % of the radius).
        func circle(_ cx: Double, _ cy: Double, _ r: Double) -> [String] {
            let k = 0.5522847498 * r
            func p(_ a: Double, _ b: Double) -> String { "\(x(a)) \(y(b))" }
            return [
                "\(p(cx + r, cy)) m",
                "\(p(cx + r, cy + k)) \(p(cx + k, cy + r)) \(p(cx, cy + r)) c",
                "\(p(cx - k, cy + r)) \(p(cx - r, cy + k)) \(p(cx - r, cy)) c",
                "\(p(cx - r, cy - k)) \(p(cx - k, cy - r)) \(p(cx, cy - r)) c",
                "\(p(cx + k, cy - r)) \(p(cx + r, cy - k)) \(p(cx + r, cy)) c",
            ]
        }

        mutating func state(fill: Double, stroke: Double) -> String? {
            guard fill < 1 || stroke < 1 else { return nil }
            if let index = opacities.firstIndex(where: { $0.fill == fill && $0.stroke == stroke }) { return "/GS\(index) gs" }
            opacities.append((fill, stroke))
            return "/GS\(opacities.count - 1) gs"
        }

        mutating func shape(_ paint: Paint, closed: Bool = false, _ geometry: [String]) {
            let fills = paint.fill.map { $0 != "none" } ?? false
            let strokes = paint.stroke.map { $0 != "none" } ?? false
            guard fills || strokes else { return }
            var ops = ["q"]
            if let gs = state(fill: fills ? paint.fillOpacity ?? 1 : 1, stroke: strokes ? paint.strokeOpacity ?? 1 : 1) { ops.append(gs) }
            if fills, let rgb = Self.rgb(paint.fill!) { ops.append("\(rgb) rg") }
            if strokes, let rgb = Self.rgb(paint.stroke!) {
                ops.append("\(rgb) RG")
                ops.append("\(number(paint.strokeWidth * scale)) w")
                ops.append(paint.round ? "1 J 1 j" : "0 J 0 j")
                if let dash = paint.dash {
                    let lengths = dash.split(whereSeparator: { $0 == " " || $0 == "," }).compactMap { Double($0) }.map { number($0 * scale) }
                    ops.append("[\(lengths.joined(separator: " "))] 0 d")
                }
            }
            ops += geometry
            if closed && !ops.last!.hasSuffix("re") { ops.append("h") }
            ops.append(fills && strokes ? "B" : fills ? "f" : "S")
            ops.append("Q")
            operators.append(ops.joined(separator: " "))
        }

        mutating func text(_ content: String, at: DrawPoint, size: Double, anchor: TextAnchor, bold: Bool, color: String?, rotate: Double?) {
            let runs = FontMetrics.runs(content, bold: bold)
            let widthPt = runs.reduce(0) { $0 + $1.width } / 1000 * size * scale
            let shift: Double = anchor == .start ? 0 : anchor == .middle ? -widthPt / 2 : -widthPt
            // Direction of the baseline in PDF coordinates (SVG's rotation is clockwise for
            // positive angles with y down, i.e. counter-clockwise negative).
            let angle = -(rotate ?? 0) * .pi / 180
            let (c, s) = (cos(angle), sin(angle))
            var penX = at.x * scale + shift * c, penY = height - at.y * scale + shift * s
            var ops = ["q", "\(Self.rgb(color ?? "#222222") ?? "0 0 0") rg", "BT"]
            for run in runs {
                let sizePt = size * scale * run.scale
                let riseX = -s * run.rise * size * scale, riseY = c * run.rise * size * scale
                ops.append("/\(run.font.rawValue) \(number(sizePt)) Tf")
                ops.append("\(number(c)) \(number(s)) \(number(-s)) \(number(c)) \(number(penX + riseX)) \(number(penY + riseY)) Tm")
                ops.append("\(literal(bytes: run.bytes)) Tj")
                let advance = run.width / 1000 * size * scale
                penX += advance * c; penY += advance * s
            }
            ops += ["ET", "Q"]
            operators.append(ops.joined(separator: " "))
        }

        /// "#RRGGBB" as PDF colour components "r g b".
        static func rgb(_ hex: String) -> String? {
            guard hex.hasPrefix("#"), hex.count == 7, let value = Int(hex.dropFirst(), radix: 16) else { return nil }
            let parts = [(value >> 16) & 255, (value >> 8) & 255, value & 255].map { number(Double($0) / 255) }
            return parts.joined(separator: " ")
        }
    }
}

private extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
