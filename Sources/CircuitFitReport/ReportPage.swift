import Foundation
import CircuitFitCore

/// Builds the page section by section, numbering sections, figures and tables as it goes.
struct ReportPage {
    var body: [String] = []
    var contents: [(anchor: String, title: String)] = []
    var omitted: [String] = []
    var figureCount = 0
    var tableCount = 0
    var title = ""

    var html: String {
        var out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        out += "<title>\(Escaping.html(title))</title>\n<style>\n\(Self.css)</style>\n</head>\n<body>\n<main>\n"
        out += body.joined(separator: "\n")
        out += "\n</main>\n</body>\n</html>\n"
        return out
    }

    /// Assembles the page: header, contents, notes, what was left out, then the sections.
    mutating func assemble(title: String, meta: [String], notes: [String], sections: [(String, String, [String])], version: String) {
        self.title = title
        body.append("<header><h1>\(Escaping.html(title))</h1><p class=\"meta\">"
            + meta.map { Escaping.html($0) }.joined(separator: " · ") + "</p></header>")
        body.append("<nav><strong>Contents</strong><ol>"
            + sections.enumerated().map { "<li>\($0.offset + 1). <a href=\"#\($0.element.0)\">\(Escaping.html($0.element.1))</a></li>" }.joined()
            + "</ol></nav>")
        if !notes.isEmpty {
            body.append("<aside class=\"notes\"><h2>Notes</h2><ul>"
                + notes.map { "<li>\(Escaping.html($0))</li>" }.joined() + "</ul></aside>")
        }
        if !omitted.isEmpty {
            body.append("<p class=\"omitted\">Not in this report: \(Escaping.html(omitted.joined(separator: "; "))).</p>")
        }
        for (i, (anchor, heading, blocks)) in sections.enumerated() {
            body.append("<section id=\"\(anchor)\">\n<h2>\(i + 1). \(Escaping.html(heading))</h2>\n" + blocks.joined(separator: "\n") + "\n</section>")
        }
        body.append("<footer>Made by CircuitFit \(Escaping.html(version)). This file is self-contained: it loads nothing from the network and runs no scripts. Each figure can be downloaded as SVG or PDF, at the print size given beside the links (180 mm is a journal&#39;s two-column width).</footer>")
    }

    // MARK: figures and tables

    mutating func figure(_ content: ReportFigure) -> String {
        figureCount += 1
        let n = figureCount
        let drawing = content.figure.drawing()
        let svg = SVGWriter.svg(drawing)
        let svgLink = "data:image/svg+xml;base64," + Data(SVGWriter.file(drawing).utf8).base64EncodedString()
        let pdfLink = "data:application/pdf;base64," + PDFWriter.pdf(drawing).base64EncodedString()
        let size = "\(ReportFormat.fixed(drawing.printWidthMM, decimals: 0)) × \(ReportFormat.fixed(drawing.printHeightMM, decimals: 0)) mm"
        var html = "<figure id=\"figure-\(n)\">\n\(svg)\n<figcaption><strong>Figure \(n).</strong> \(Escaping.html(content.caption))"
        html += " <span class=\"download\">Download <a download=\"figure-\(n).svg\" href=\"\(svgLink)\">SVG</a> · <a download=\"figure-\(n).pdf\" href=\"\(pdfLink)\">PDF</a> (\(size))</span></figcaption>"
        if let table = content.numbersTable {
            html += "\n<details><summary>Numbers plotted in Figure \(n)</summary>\(table)</details>"
        }
        return html + "\n</figure>"
    }

    /// A table of (key, value) rows with a numbered caption.
    mutating func table(caption: String, header: (String, String), rows: [(String, String)], keyClass: String? = "key") -> String {
        tableCount += 1
        var html = "<table class=\"config\">\n<caption><strong>Table \(tableCount).</strong> \(Escaping.html(caption))</caption>\n"
        html += "<thead><tr><th>\(Escaping.html(header.0))</th><th>\(Escaping.html(header.1))</th></tr></thead>\n<tbody>\n"
        for (key, value) in rows {
            html += "<tr><td\(keyClass.map { " class=\"\($0)\"" } ?? "")>\(Escaping.html(key))</td><td>\(Escaping.html(value))</td></tr>\n"
        }
        return html + "</tbody>\n</table>"
    }

    static let css = """
    :root { color-scheme: light; }
    body { margin: 0; background: #FFFFFF; color: #222222;
      font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, "Liberation Sans", sans-serif; }
    main { max-width: 1200px; margin: 0 auto; padding: 24px 20px 48px; }
    header h1 { font-size: 26px; margin: 0 0 4px; }
    .meta { color: #555555; margin: 0 0 16px; }
    nav { border-top: 1px solid #DDDDDD; border-bottom: 1px solid #DDDDDD; padding: 8px 0; margin-bottom: 16px; }
    nav ol { display: inline; margin: 0; padding: 0; }
    nav li { display: inline-block; margin-left: 18px; }
    a { color: #0059A0; }
    h2 { font-size: 20px; margin: 32px 0 10px; border-bottom: 1px solid #DDDDDD; padding-bottom: 4px; }
    aside.notes { border-left: 4px solid #E69F00; background: #FFF7E6; padding: 4px 16px; margin: 12px 0; }
    aside.notes h2 { font-size: 16px; border: none; margin: 8px 0 0; }
    .omitted { color: #666666; font-style: italic; }
    figure { margin: 16px 0 32px; break-inside: avoid; page-break-inside: avoid; }
    figure svg { display: block; max-width: 100%; height: auto; }
    figcaption { font-size: 14px; margin-top: 6px; max-width: 1100px; }
    .download { font-size: 13px; white-space: nowrap; margin-left: 6px; }
    table.scores td { font-variant-numeric: tabular-nums; }
    td.low { color: #9E3500; font-weight: bold; }
    details { margin-top: 6px; font-size: 13px; }
    summary { cursor: pointer; color: #0059A0; }
    table { border-collapse: collapse; margin: 8px 0; font-size: 14px; }
    caption { caption-side: top; text-align: left; padding-bottom: 6px; font-size: 14px; }
    th, td { border: 1px solid #CCCCCC; padding: 4px 8px; text-align: left; vertical-align: top; }
    th { background: #F2F2F2; }
    table.numbers td { font-variant-numeric: tabular-nums; white-space: nowrap; }
    table.claims td.id { font-weight: bold; white-space: nowrap; }
    table.claims td.p { white-space: nowrap; font-variant-numeric: tabular-nums; }
    td.verdict { font-weight: bold; white-space: nowrap; }
    td.verdict.holds { background: #D9F0E6; color: #004D36; }
    td.verdict.fails { background: #9E3500; color: #FFFFFF; }
    td.verdict.undecided { background: #EEEEEE; color: #333333; }
    tr.fails td { border-top: 2px solid #9E3500; border-bottom: 2px solid #9E3500; }
    td.key { font-family: ui-monospace, "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 13px; }
    pre.command { background: #F4F4F4; padding: 8px 12px; white-space: pre-wrap; word-break: break-all; }
    .summary { font-weight: bold; }
    footer { margin-top: 40px; color: #666666; font-size: 13px; border-top: 1px solid #DDDDDD; padding-top: 8px; }
    @media print {
      nav, .download, details { display: none; }
      main { max-width: none; padding: 0; }
      h2 { break-after: avoid; }
    }

    """
}
