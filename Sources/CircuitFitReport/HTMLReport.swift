import Foundation
import CircuitFitCore

/// Renders an `ExperimentReport` as one self-contained HTML5 page: inline CSS, inline SVG figures,
/// system fonts, no scripts and no external resources. The same report always gives the same
/// bytes. Each figure carries a "Download SVG" link (a data: URL) so it can go straight into a paper.
public enum HTMLReport {
    /// The page as a string.
    public static func render(_ report: ExperimentReport) -> String {
        var page = Page()
        page.build(report)
        return page.html
    }

    /// Writes the page to `url` atomically (e.g. `report.html` in an experiment folder).
    public static func write(_ report: ExperimentReport, to url: URL) throws {
        try AtomicFile.writeText(render(report), to: url)
    }
}

/// Builds the page section by section, numbering sections, figures and tables as it goes.
private struct Page {
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

    mutating func build(_ report: ExperimentReport) {
        title = report.title
        var sections: [(String, String, [String])] = []  // anchor, title, HTML blocks
        if !report.claims.isEmpty {
            sections.append(("claims", "Claims", claims(report.claims)))
        } else {
            omitted.append("claims (none were evaluated)")
        }
        if !report.convergence.isEmpty {
            sections.append(("convergence", "Convergence of the fits", [convergence(report.convergence)]))
        }
        let curveFigures = CurveFigure.figures(report)
        if !curveFigures.isEmpty {
            sections.append(("similarity", "Similarity to the whole circuit against the number of recorded neurons",
                             curveFigures.map { figure($0) }))
        } else {
            omitted.append("similarity curves (no data)")
        }
        let traceFigures = report.traces.compactMap(TraceFigure.figure)
        if !traceFigures.isEmpty {
            sections.append(("outputs", "Example outputs", traceFigures.map { figure($0) }))
        } else {
            omitted.append("example outputs (no data)")
        }
        if let trajectories = TrajectoryFigure.figure(report.trajectories) {
            sections.append(("trajectories", "Population trajectories", [figure(trajectories)]))
        } else {
            omitted.append("population trajectories (no data)")
        }
        if let spectra = SpectrumFigure.figure(report.spectra) {
            sections.append(("spectra", "Eigenvalue spectra", [figure(spectra)]))
        } else {
            omitted.append("eigenvalue spectra (no data)")
        }
        sections.append(("configuration", "Configuration", configuration(report)))

        body.append(header(report))
        body.append("<nav><strong>Contents</strong><ol>"
            + sections.enumerated().map { "<li>\($0.offset + 1). <a href=\"#\($0.element.0)\">\(Escaping.html($0.element.1))</a></li>" }.joined()
            + "</ol></nav>")
        if !report.notes.isEmpty {
            body.append("<aside class=\"notes\"><h2>Notes</h2><ul>"
                + report.notes.map { "<li>\(Escaping.html($0))</li>" }.joined() + "</ul></aside>")
        }
        if !omitted.isEmpty {
            body.append("<p class=\"omitted\">Not in this report: \(Escaping.html(omitted.joined(separator: "; "))).</p>")
        }
        for (i, (anchor, heading, blocks)) in sections.enumerated() {
            body.append("<section id=\"\(anchor)\">\n<h2>\(i + 1). \(Escaping.html(heading))</h2>\n" + blocks.joined(separator: "\n") + "\n</section>")
        }
        body.append("<footer>Made by CircuitFit \(Escaping.html(report.version)). This file is self-contained: it loads nothing from the network and runs no scripts. Each figure&#39;s SVG can be downloaded from the link under it.</footer>")
    }

    func header(_ report: ExperimentReport) -> String {
        var meta = ["CircuitFit \(report.version)", "created \(report.created)"]
        if let wall = report.wallTimeSeconds { meta.append("wall time \(ReportFormat.duration(seconds: wall))") }
        return "<header><h1>\(Escaping.html(report.title))</h1><p class=\"meta\">"
            + meta.map { Escaping.html($0) }.joined(separator: " · ") + "</p></header>"
    }

    // MARK: figures and tables

    mutating func figure(_ content: ReportFigure) -> String {
        figureCount += 1
        let n = figureCount
        let svg = content.figure.render()
        let file = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + svg + "\n"
        let download = "data:image/svg+xml;base64," + Data(file.utf8).base64EncodedString()
        var html = "<figure id=\"figure-\(n)\">\n\(svg)\n<figcaption><strong>Figure \(n).</strong> \(Escaping.html(content.caption))"
        html += " <a class=\"download\" download=\"figure-\(n).svg\" href=\"\(download)\">Download SVG</a></figcaption>"
        if let table = content.numbersTable {
            html += "\n<details><summary>Numbers plotted in Figure \(n)</summary>\(table)</details>"
        }
        return html + "\n</figure>"
    }

    mutating func claims(_ claims: [ClaimResult]) -> [String] {
        tableCount += 1
        let holding = claims.filter(\.holds).count
        let undecided = claims.filter { $0.verdict == "undecided" }.count
        var html = "<p class=\"summary\">\(holding) of \(claims.count) claim\(claims.count == 1 ? "" : "s") hold in these results"
        html += undecided > 0 ? "; \(undecided) cannot be decided from them.</p>\n" : ".</p>\n"
        html += "<table class=\"claims\">\n<caption><strong>Table \(tableCount).</strong> The paper&#39;s claims tested on these results: "
        html += "numbers, their spread over seeds (median and interquartile range), each condition with its own test, and the verdict. "
        html += "A claim that does not hold is reported as such; one that these results cannot decide says why.</caption>\n"
        html += "<thead><tr><th>Claim</th><th>Statement</th><th>Numbers</th><th>Median [IQR]</th><th>Conditions</th><th>p</th><th>Result</th></tr></thead>\n<tbody>\n"
        for claim in claims {
            let (css, mark) = claim.holds ? ("holds", "✓") : claim.verdict == "undecided" ? ("undecided", "?") : ("fails", "✗")
            let verdict = "<td class=\"verdict \(css)\"><span aria-hidden=\"true\">\(mark)</span> \(Escaping.html(claim.verdict))</td>"
            let p = claim.pValue.map { ReportFormat.pValue($0) } ?? "—"
            let conditions = claim.conditions.isEmpty ? Escaping.html(claim.reason)
                : claim.conditions.map { Escaping.html($0) }.joined(separator: "<br>")
            html += "<tr class=\"\(css)\"><td class=\"id\">\(Escaping.html(claim.id))</td>"
            html += "<td>\(Escaping.html(claim.statement))</td><td>\(Escaping.html(claim.numbers))</td>"
            html += "<td>\(Escaping.html(claim.medianIQR))</td><td>\(conditions)</td>"
            html += "<td class=\"p\">\(Escaping.html(p))</td>\(verdict)</tr>\n"
        }
        return [html + "</tbody>\n</table>"]
    }

    mutating func convergence(_ cells: [ConvergenceShare]) -> String {
        tableCount += 1
        let converged = cells.reduce(0) { $0 + $1.converged }, fits = cells.reduce(0) { $0 + $1.fits }
        var html = "<p class=\"summary\">\(converged) of \(fits) fit results converged by the stated criterion; claims are judged on those.</p>\n"
        html += "<table class=\"config\">\n<caption><strong>Table \(tableCount).</strong> Fits that met the convergence criterion, per arm, λ and M (a task-only network is shared by every M).</caption>\n"
        html += "<thead><tr><th>Arm</th><th>λ</th><th>M</th><th>Converged</th></tr></thead>\n<tbody>\n"
        for c in cells {
            html += "<tr><td>\(Escaping.html(c.arm))</td><td>\(ReportFormat.significant(c.lambda))</td><td>\(c.recorded)</td><td>\(c.converged) of \(c.fits)</td></tr>\n"
        }
        return html + "</tbody>\n</table>"
    }

    mutating func configuration(_ report: ExperimentReport) -> [String] {
        var blocks: [String] = []
        if !report.commandLine.isEmpty {
            blocks.append("<p>Command line:</p>\n<pre class=\"command\">\(Escaping.html(report.commandLine))</pre>")
        }
        if report.configuration.isEmpty {
            blocks.append("<p class=\"omitted\">No configuration was recorded.</p>")
        } else {
            tableCount += 1
            var html = "<table class=\"config\">\n<caption><strong>Table \(tableCount).</strong> The full configuration of the experiment, defaults included.</caption>\n"
            html += "<thead><tr><th>Setting</th><th>Value</th></tr></thead>\n<tbody>\n"
            for entry in report.configuration {
                html += "<tr><td class=\"key\">\(Escaping.html(entry.key))</td><td>\(Escaping.html(entry.value))</td></tr>\n"
            }
            blocks.append(html + "</tbody>\n</table>")
        }
        return blocks
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
    a.download { font-size: 13px; white-space: nowrap; margin-left: 6px; }
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
      nav, a.download, details { display: none; }
      main { max-width: none; padding: 0; }
      h2 { break-after: avoid; }
    }

    """
}
