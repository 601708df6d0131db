import ArgumentParser
import CircuitFit
import Foundation

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Progress of an experiment: fits done, failed and pending.",
        discussion: """
            Reads DIR/experiment.json and each fit's folder. A failed fit shows its error; rerun \
            the experiment with --resume to retry what is missing or failed.

            Example:
              circuitfit status exp
            """)

    @Argument(help: "The experiment folder.")
    var dir: String

    func run() throws {
        try reportingErrors {
            let folder = try ExperimentFolder.load(URL(fileURLWithPath: dir))
            let units = folder.config.units
            var counts: [ExperimentFolder.FitState: Int] = [:]
            var failed: [FitUnit] = []
            for unit in units {
                let s = folder.state(unit)
                counts[s, default: 0] += 1
                if s == .failed { failed.append(unit) }
            }
            print("experiment \(dir): \(units.count) fits — \(counts[.done] ?? 0) done, \(counts[.failed] ?? 0) failed, \(counts[.pending] ?? 0) pending")
            for unit in failed {
                let message = folder.errorMessage(unit)?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "(no message)"
                print("  failed \(unit.id): \(message.split(separator: "\n").suffix(5).joined(separator: "\n    "))")
            }
            if counts[.done] == units.count {
                print("all fits done: results in \(dir)/results.csv, claims.json, report.html")
            } else {
                print("to continue: circuitfit experiment --out \(dir) --resume")
            }
        }
    }
}
