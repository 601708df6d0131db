import Foundation
import CircuitFitCore

/// Renders an `ExperimentReport` as one self-contained HTML5 page: inline CSS, inline SVG figures,
/// system fonts, no scripts and no external resources. The same report always gives the same
/// bytes. Each figure carries "Download SVG" and "PDF" links (data: URLs) of the same drawing at
/// its print size, so it can go straight into a paper.
public enum HTMLReport {
    /// The page as a string.
    public static func render(_ report: ExperimentReport) -> String {
        var page = ReportPage()
        page.build(report)
        return page.html
    }

    /// Writes the page to `url` atomically (e.g. `report.html` in an experiment folder).
    public static func write(_ report: ExperimentReport, to url: URL) throws {
        try AtomicFile.writeText(render(report), to: url)
    }
}


/// The experiment report's sections.
extension ReportPage {
    mutating func build(_ report: ExperimentReport) {
        var sections: [(String, String, [String])] = []  // anchor, title, HTML blocks
        if !report.claims.isEmpty {
            sections.append(("claims", "Claims", claims(report.claims)))
        } else {
            omitted.append("claims (none were evaluated)")
        }
        let curveFigures = CurveFigure.figures(report)
        if !curveFigures.isEmpty {
            sections.append(("similarity", "Similarity to the whole circuit against the number of recorded neurons",
                             curveFigures.map { figure($0) }))
        } else {
            omitted.append("similarity curves (no data)")
        }
        let traceFigures = report.traces.count > 1
            ? [TraceFigure.grid(report.traces, heading: "every held-out condition")].compactMap { $0 }
            : report.traces.compactMap(TraceFigure.figure)
        if !traceFigures.isEmpty {
            sections.append(("outputs", "Example outputs", traceFigures.map { figure($0) }))
        } else {
            omitted.append("example outputs (no data)")
        }
        let trajectoryFigures = [OverlayFigure.figure(report.overlays), TrajectoryFigure.figure(report.trajectories)].compactMap { $0 }
        if !trajectoryFigures.isEmpty {
            sections.append(("trajectories", "Population trajectories", trajectoryFigures.map { figure($0) }))
        } else {
            omitted.append("population trajectories (no data)")
        }
        if let spectra = SpectrumFigure.figure(report.spectra) {
            sections.append(("spectra", "Eigenvalue spectra", [figure(spectra)]))
        } else {
            omitted.append("eigenvalue spectra (no data)")
        }
        sections.append(("configuration", "Configuration", configuration(report)))
        var meta = ["CircuitFit \(report.version)", "created \(report.created)"]
        if let wall = report.wallTimeSeconds { meta.append("wall time \(ReportFormat.duration(seconds: wall))") }
        assemble(title: report.title, meta: meta, notes: report.notes, sections: sections, version: report.version)
    }

    mutating func claims(_ claims: [ClaimResult]) -> [String] {
        tableCount += 1
        let holding = claims.filter(\.holds).count
        var html = "<p class=\"summary\">\(holding) of \(claims.count) claim\(claims.count == 1 ? "" : "s") hold in these results.</p>\n"
        html += "<table class=\"claims\">\n<caption><strong>Table \(tableCount).</strong> The paper&#39;s claims tested on these results: "
        html += "numbers, their spread over seeds (median and interquartile range), the paired test and its p-value. "
        html += "A claim that does not hold is reported as such.</caption>\n"
        html += "<thead><tr><th>Claim</th><th>Statement</th><th>Numbers</th><th>Median [IQR]</th><th>Test</th><th>p</th><th>Result</th></tr></thead>\n<tbody>\n"
        for claim in claims {
            let verdict = claim.holds
                ? "<td class=\"verdict holds\"><span aria-hidden=\"true\">✓</span> holds</td>"
                : "<td class=\"verdict fails\"><span aria-hidden=\"true\">✗</span> does not hold</td>"
            let p = claim.pValue.map { ReportFormat.pValue($0) } ?? "—"
            html += "<tr class=\"\(claim.holds ? "holds" : "fails")\"><td class=\"id\">\(Escaping.html(claim.id))</td>"
            html += "<td>\(Escaping.html(claim.statement))</td><td>\(Escaping.html(claim.numbers))</td>"
            html += "<td>\(Escaping.html(claim.medianIQR))</td><td>\(Escaping.html(claim.testStatistic))</td>"
            html += "<td class=\"p\">\(Escaping.html(p))</td>\(verdict)</tr>\n"
        }
        return [html + "</tbody>\n</table>"]
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

}
