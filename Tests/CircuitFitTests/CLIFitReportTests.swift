import Foundation
import XCTest
@testable import CircuitFitCore
@testable import CircuitFitImport
@testable import CircuitFitReport
@testable import CircuitFitFitting

/// The report of one fit through the CLI (import → train --report → report), the warnings about
/// held-out inputs never seen in training, and `--help` examples that can be pasted whole.
final class CLIFitReportTests: CLITestCase {
    func testImportTrainReportOnTheLabRecording() throws {
        let nwb = ImportFixtures.url("lab.nwb").path
        let base = ["import", nwb, "--condition-column", "target", "--window-ms", "-200,400", "--bin-ms", "20",
                    "--behavior", "EMG", "--angle-column", "reach_dir_deg", "--angle-unit", "deg",
                    "--where", "outcome=success", "--held-out", "90deg,270deg"]
        // One-hot inputs (the default): import, train and evaluate warn about held-out conditions.
        let oneHot = try CLI.run(base + ["--out", path("onehot.npz")])
        XCTAssertEqual(oneHot.status, 0, oneHot.summary)
        XCTAssertTrue(oneHot.stderr.contains("never active in training"), oneHot.stderr)
        XCTAssertTrue(oneHot.stdout.contains("48 used of 56 (8 left out"), oneHot.stdout)
        let train = try CLI.run(["train", path("onehot.npz"), "--out", path("fit"), "--record", "2", "--hidden", "24",
                                 "--iterations", "40", "--report"])
        XCTAssertEqual(train.status, 0, train.summary)
        XCTAssertTrue(train.stderr.contains("the held-out-condition score measures nothing the network could have learned"), train.stderr)
        XCTAssertTrue(train.stdout.contains("noise ceilings"), train.stdout)
        let html = try String(contentsOfFile: path("fit/report.html"), encoding: .utf8)
        XCTAssertEqual(html.components(separatedBy: "<figure id=").count - 1, 5, "losses, neurons, outputs, canonical correlations, trajectories")
        for section in ["Scores", "Loss curves", "Example neurons", "Outputs on every condition", "Canonical correlations", "Population trajectories, aligned", "Configuration"] {
            XCTAssertTrue(html.contains(section), section)
        }
        XCTAssertTrue(html.contains("never active in the conditions the fit was trained on"), "the warning is in the notes")
        XCTAssertTrue(html.contains("90deg (held out)") && html.contains("0deg"), "condition labels from the provenance")
        XCTAssertFalse(html.lowercased().contains("<script"))
        let evaluate = try CLI.run(["evaluate", path("fit"), path("onehot.npz"), "--json"])
        XCTAssertEqual(evaluate.status, 0, evaluate.summary)
        XCTAssertTrue(evaluate.stderr.contains("warning:"), evaluate.stderr)
        let metrics = try JSONSerialization.jsonObject(with: Data(evaluate.stdout.utf8)) as! [String: Any]
        XCTAssertEqual((metrics["unseen_input_channels"] as? [Int])?.count, 2, "the two held-out conditions' one-hot channels")
        let ceiling = try XCTUnwrap(metrics["noise_ceiling"] as? [String: Any])
        XCTAssertNotNil(ceiling["heldout_neuron_r2_ceiling"] as? Double)
        XCTAssertEqual((ceiling["neurons"] as? [[String: Any]])?.count, 3, "2 recorded + 1 held out")

        // The angle encoding: no warning, no unseen channels.
        let angle = try CLI.run(base + ["--out", path("angle.npz"), "--inputs", "angle"])
        XCTAssertEqual(angle.status, 0, angle.summary)
        XCTAssertFalse(angle.stderr.contains("warning"), angle.stderr)
        let angleTrain = try CLI.run(["train", path("angle.npz"), "--out", path("fit-angle"), "--record", "2", "--hidden", "24", "--iterations", "40"])
        XCTAssertFalse(angleTrain.stderr.contains("warning"), angleTrain.stderr)
        let report = try CLI.run(["report", path("fit-angle"), path("angle.npz"), "--out", path("angle.html")])
        XCTAssertEqual(report.status, 0, report.summary)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("angle.html")))

        // The same report twice gives the same bytes (the time stamp aside).
        let data = try ReachDataset.read(from: URL(fileURLWithPath: path("angle.npz")))
        let builder = FitReportBuilder(folder: URL(fileURLWithPath: path("fit-angle")), dataset: data, datasetPath: path("angle.npz"))
        XCTAssertEqual(FitReportHTML.render(try builder.build(created: "t")), FitReportHTML.render(try builder.build(created: "t")))

        // A missing fit folder is a one-line error and writes nothing.
        let missing = try CLI.run(["report", path("nope"), path("angle.npz")])
        assertOneLineError(missing, mentions: ["model.npz"])
    }

    /// Every example in every command's --help, at an 80-column terminal, is a whole command: its
    /// lines are never wrapped by the help formatter (a continued line ends in " \", the next
    /// starts indented), it starts with `circuitfit <command>` and each option it uses is one that
    /// command's help lists.
    func testHelpExamplesAreWholePasteableCommands() throws {
        setenv("COLUMNS", "80", 1)
        defer { unsetenv("COLUMNS") }
        var checked = 0
        var helpOf: [String: String] = [:]
        func help(_ command: String) throws -> String {
            if let text = helpOf[command] { return text }
            let r = try CLI.run([command, "--help"])
            XCTAssertEqual(r.status, 0, r.summary)
            helpOf[command] = r.stdout
            return r.stdout
        }
        for command in ["generate", "import", "train", "evaluate", "report", "experiment", "status", "demo"] {
            let text = try help(command)
            let lines = text.components(separatedBy: "\n")
            guard let start = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix("Example") }) else { continue }
            var commands: [String] = [], current = ""
            for line in lines[(start + 1)...] {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.isEmpty || trimmed.hasPrefix("USAGE:") { break }
                if current.isEmpty {
                    XCTAssertTrue(trimmed.hasPrefix("circuitfit ") || trimmed.hasPrefix("python3 ") || trimmed.hasPrefix("bash "),
                                  "\(command) --help: an example line that is not a command (wrapped?): '\(line)'")
                } else {
                    XCTAssertTrue(line.hasPrefix("    "), "\(command) --help: a continuation that is not indented: '\(line)'")
                }
                current += (current.isEmpty ? "" : " ") + trimmed
                if current.hasSuffix("\\") { current = String(current.dropLast()).trimmingCharacters(in: .whitespaces) } else { commands.append(current); current = "" }
            }
            XCTAssertTrue(current.isEmpty, "\(command) --help: an example ends in a continuation")
            for example in commands where example.hasPrefix("circuitfit ") {
                let words = example.split(separator: " ").map(String.init)
                let sub = words[1]
                let subHelp = try help(sub)
                for option in words.dropFirst(2) where option.hasPrefix("--") {
                    let name = String(option.split(separator: "=")[0])
                    XCTAssertTrue(subHelp.contains(name), "\(command) --help example uses \(name), which `circuitfit \(sub) --help` does not list: \(example)")
                }
                checked += 1
            }
        }
        XCTAssertGreaterThanOrEqual(checked, 12)
    }
}
