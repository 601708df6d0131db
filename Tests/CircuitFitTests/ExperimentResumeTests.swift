import Foundation
import XCTest
@testable import CircuitFitCore
@testable import CircuitFitModel
@testable import CircuitFitAnalysis
@testable import CircuitFitImport
@testable import CircuitFitReport
@testable import CircuitFitCircuit
@testable import CircuitFitFitting
@testable import CircuitFitExperiment
import CircuitFitTestSupport

/// `experiment` killed mid-run and started again keeps every finished fit, duplicates and
/// half-writes nothing, and ends with the results of an uninterrupted run.
final class ExperimentResumeTests: XCTestCase {
    let arguments = [
        "--seeds", "3", "--record", "0,3,10", "--lambda", "0,1", "--arms", "plain,priors",
        "--iterations", "1500", "--hidden", "24", "--jobs", "2",
    ]

    func writeCircuitConfig(_ dir: URL) throws -> String {
        let url = dir.appendingPathComponent("circuit.json")
        try Data(#"{"neurons": 30, "initialSpectralRadius": 3, "movementMs": 200, "trainingAngles": 4}"#.utf8).write(to: url)
        return url.path
    }

    /// results.csv without the wall-time column, which no two runs share.
    func comparableResults(_ dir: URL) throws -> [String] {
        let text = try String(contentsOf: dir.appendingPathComponent("results.csv"), encoding: .utf8)
        var lines = text.split(separator: "\n").map(String.init)
        let header = lines[0].split(separator: ",", omittingEmptySubsequences: false)
        let drop = header.firstIndex(of: "train_seconds")!
        lines = lines.map { line in
            var cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            cells.remove(at: drop)
            return cells.joined(separator: ",")
        }
        return lines
    }

    func testKilledExperimentResumesToTheUninterruptedResults() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cf-resume-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let circuit = try writeCircuitConfig(root)
        let full = root.appendingPathComponent("full"), killed = root.appendingPathComponent("killed")

        let uninterrupted = try CLI.run(["experiment", "--out", full.path, "--circuit-config", circuit] + arguments, timeout: 300)
        XCTAssertEqual(uninterrupted.status, 0, uninterrupted.summary)
        let expected = try comparableResults(full)
        XCTAssertEqual(expected.count, 1 + 3 * 2 * (3 + 2), "one row per seed × arm × M × λ (M = 0 only at λ = 0)")

        // Start the same experiment and kill it (SIGKILL) once some but not all fits are done.
        let process = try ChildProcess(try CLI.executable().path, ["experiment", "--out", killed.path, "--circuit-config", circuit] + arguments).start()
        let fits = killed.appendingPathComponent("fits")
        let deadline = Date().addingTimeInterval(240)
        var done = 0
        while Date() < deadline && process.isRunning {
            done = ((try? FileManager.default.contentsOfDirectory(atPath: fits.path)) ?? []).filter {
                FileManager.default.fileExists(atPath: fits.appendingPathComponent("\($0)/result.json").path)
            }.count
            if done >= 3 { break }
            usleep(5_000)
        }
        XCTAssertTrue(process.isRunning, "the experiment finished before it could be killed (\(done) fits done); make it longer")
        process.signal(SIGKILL)
        _ = process.wait()

        // What the killed run left: finished fits with complete results, no temporary files.
        let folder = try ExperimentFolder.load(killed)
        let finished = folder.config.units.filter { folder.state($0) == .done }
        XCTAssertGreaterThanOrEqual(finished.count, 3)
        XCTAssertLessThan(finished.count, folder.config.units.count, "the kill should interrupt the run")
        let leftovers = FileManager.default.enumerator(atPath: killed.path)!.compactMap { $0 as? String }.filter { $0.hasSuffix(".tmp") }
        XCTAssertEqual(leftovers, [], "no half-written files")
        let before = try finished.map { try Data(contentsOf: folder.fitFolder($0).appendingPathComponent("result.json")) }

        // Start again: the finished fits are kept as they are, the rest run, and the results match.
        let resumed = try CLI.run(["experiment", "--out", killed.path, "--circuit-config", circuit] + arguments, timeout: 300)
        XCTAssertEqual(resumed.status, 0, resumed.summary)
        XCTAssert(resumed.stderr.contains("\(finished.count) already done"), resumed.stderr)
        let after = try finished.map { try Data(contentsOf: folder.fitFolder($0).appendingPathComponent("result.json")) }
        XCTAssertEqual(before, after, "finished fits must not be redone")
        let got = try comparableResults(killed)
        XCTAssertEqual(Set(got).count, got.count, "no duplicated rows")
        XCTAssertEqual(got, expected, "a resumed run must end with the uninterrupted run's results")

        // status agrees
        let status = try CLI.run(["status", killed.path])
        XCTAssertEqual(status.status, 0, status.summary)
        XCTAssert(status.stdout.contains("\(folder.config.units.count) done, 0 failed, 0 pending"), status.stdout)
    }

    func testDifferentPlanInSameFolderIsRefused() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cf-plan-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        var a = ExperimentConfig(); a.seeds = [1]
        _ = try ExperimentFolder.open(root, config: a)
        var b = a; b.lambdas = [0, 2]
        XCTAssertThrowsError(try ExperimentFolder.open(root, config: b)) { XCTAssert("\($0)".contains("different experiment"), "\($0)") }
        XCTAssertNoThrow(try ExperimentFolder.open(root, config: a))
    }
}
