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
        if !report.convergence.isEmpty {
            sections.append(("convergence", "Convergence of the fits", [convergence(report.convergence)]))
        }
        let curveFigures = CurveFigure.figures(report) { !$0.hasPrefix(CurveFigure.auditPrefix) }
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
        let auditFigures = CurveFigure.figures(report) { $0.hasPrefix(CurveFigure.auditPrefix) }
            + [PerturbationFigure.figure(report.perturbations)].compactMap { $0 }
        if !auditFigures.isEmpty {
            sections.append(("mechanism", "Mechanism audit against the number of recorded neurons", auditFigures.map { figure($0) }))
        }
        let perturbationFigures = [PerturbationGainFigure.figure(report.perturbationGain),
                                   PerturbationFigure.figure(report.heldOutPerturbations, heldOut: true)].compactMap { $0 }
        if !perturbationFigures.isEmpty {
            sections.append(("perturbations", "Predicting held-out perturbations", perturbationFigures.map { figure($0) }))
        }
        sections.append(("configuration", "Configuration", configuration(report)))
        var meta = ["CircuitFit \(report.version)", "created \(report.created)"]
        if let wall = report.wallTimeSeconds { meta.append("wall time \(ReportFormat.duration(seconds: wall))") }
        assemble(title: report.title, meta: meta, notes: report.notes, sections: sections, version: report.version)
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
        let withP = cells.contains { $0.perturbationSets != nil }
        html += "<table class=\"config\">\n<caption><strong>Table \(tableCount).</strong> Fits that met the convergence criterion, per arm, λ and M\(withP ? " and training perturbation sets P" : "") (a task-only network is shared by every M).</caption>\n"
        html += "<thead><tr><th>Arm</th><th>λ</th><th>M</th>\(withP ? "<th>P</th>" : "")<th>Converged</th></tr></thead>\n<tbody>\n"
        for c in cells {
            let p = withP ? "<td>\(c.perturbationSets ?? 0)</td>" : ""
            html += "<tr><td>\(Escaping.html(c.arm))</td><td>\(ReportFormat.significant(c.lambda))</td><td>\(c.recorded)</td>\(p)<td>\(c.converged) of \(c.fits)</td></tr>\n"
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

}
