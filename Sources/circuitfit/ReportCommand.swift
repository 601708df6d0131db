import ArgumentParser
import Foundation
import CircuitFitCore
import CircuitFitReport
import CircuitFitFitting

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write the report of one fit: a self-contained HTML page of figures.",
        discussion: """
            Reads FIT_DIR (model.npz, config.json, history.csv from `train`) and the dataset \
            it was fitted to, and writes FIT_DIR/report.html (or --out): the scores beside \
            the untrained floor and the noise ceiling, the loss curves, example neurons (best, \
            median, worst; held-out and recorded) against the data, the outputs of every \
            condition (held-out ones marked), the canonical correlations one by one, and the \
            model's trajectories aligned to the data's and drawn over them. Every figure \
            can be downloaded as SVG and PDF at print size. What each figure shows: \
            docs/files.md; `train --report` writes the same page after training.

            Examples:
              circuitfit report fit session.npz
              circuitfit report fit circuit/dataset.npz --out fit-report.html
            """)

    @Argument(help: "Folder of the fit (from `train`): model.npz, config.json, history.csv.")
    var fitDir: String
    @Argument(help: "The dataset the model was fitted to (.npz).")
    var dataset: String
    @Option(help: "The HTML file to write (default FIT_DIR/report.html).")
    var out: String?
    @OptionGroup var compute: ComputeOptions

    func run() throws {
        try reportingErrors {
            try compute.apply()
            let folder = URL(fileURLWithPath: fitDir)
            let data = try ReachDataset.read(from: URL(fileURLWithPath: dataset))
            let target = out.map { URL(fileURLWithPath: $0) } ?? folder.appendingPathComponent("report.html")
            try writeFitReport(folder: folder, dataset: data, datasetPath: dataset, to: target)
            print("wrote \(target.path)")
        }
    }
}

/// Builds and writes the report of the fit in `folder` (used by `report` and `train --report`).
func writeFitReport(folder: URL, shownAs shownFolder: URL? = nil, dataset: ReachDataset, datasetPath: String, to url: URL) throws {
    let created = ISO8601DateFormatter().string(from: Date())
    let report = try FitReportBuilder(folder: folder, shownAs: shownFolder, dataset: dataset, datasetPath: datasetPath).build(created: created)
    try FitReportHTML.write(report, to: url)
}
