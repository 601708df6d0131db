import Foundation
import CircuitFitCore

/// Renders a `FitReport` as one self-contained HTML5 page, like the experiment's report: inline
/// CSS and SVG, no scripts, nothing loaded from the network; every figure downloadable as SVG and
/// PDF at print size. The same report always gives the same bytes.
public enum FitReportHTML {
    public static func render(_ report: FitReport) -> String {
        var page = ReportPage()
        var sections: [(String, String, [String])] = []
        sections.append(("scores", "Scores", [page.scores(report.scores)]))
        func add(_ anchor: String, _ title: String, _ figure: ReportFigure?, missing: String) {
            if let figure { sections.append((anchor, title, [page.figure(figure)])) } else { page.omitted.append(missing) }
        }
        add("losses", "Loss curves", report.losses.flatMap(FitFigures.losses), missing: "loss curves (no history.csv)")
        add("neurons", "Example neurons", FitFigures.neurons(report.neurons), missing: "example neurons (no neurons to show)")
        add("outputs", "Outputs on every condition", FitFigures.outputs(report.outputs), missing: "outputs (no output channels)")
        add("canonical", "Canonical correlations", report.canonicalCorrelations.flatMap(FitFigures.canonicalCorrelations), missing: "canonical correlations")
        add("trajectories", "Population trajectories, aligned", OverlayFigure.figure(report.overlays), missing: "aligned trajectories")
        sections.append(("configuration", "Configuration", [
            page.table(caption: "The fit's configuration (config.json), defaults included, and the dataset.", header: ("Setting", "Value"),
                       rows: report.configuration.map { ($0.key, $0.value) }),
        ]))
        page.assemble(title: report.title, meta: ["CircuitFit \(report.version)", "created \(report.created)"], notes: report.notes, sections: sections, version: report.version)
        return page.html
    }

    /// Writes the page to `url` atomically.
    public static func write(_ report: FitReport, to url: URL) throws {
        try AtomicFile.writeText(render(report), to: url)
    }
}

extension ReportPage {
    /// The scores table: model, untrained floor, noise ceiling, model / ceiling.
    mutating func scores(_ rows: [ScoreRow]) -> String {
        tableCount += 1
        func cell(_ x: Double?) -> String { x.map { Escaping.html(ReportFormat.significant($0, digits: 3)) } ?? "—" }
        var html = "<table class=\"scores\">\n<caption><strong>Table \(tableCount).</strong> The fit's scores (as `evaluate` prints them): "
        html += "the model, the untrained network of the same seed (the floor), and where the data allow, the noise ceiling "
        html += "(split-half reliability: the R² a perfect model would expect) and the model's score divided by it.</caption>\n"
        html += "<thead><tr><th>Score</th><th>Model</th><th>Untrained</th><th>Ceiling</th><th>Model / ceiling</th></tr></thead>\n<tbody>\n"
        for row in rows {
            html += "<tr><td>\(Escaping.html(row.metric))</td><td>\(cell(row.model))</td><td>\(cell(row.untrained))</td><td>\(cell(row.ceiling))</td><td>\(cell(row.normalized))</td></tr>\n"
        }
        return html + "</tbody>\n</table>"
    }
}
