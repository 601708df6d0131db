import Foundation
import XCTest
@testable import CircuitFitCore
@testable import CircuitFitFitting
@testable import CircuitFitExperiment
import CircuitFitTestSupport

/// The experiment folder's plan changes, its lock, and the local backend's bookkeeping.
final class ExperimentBackendTests: XCTestCase {
    func temporaryFolder(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cf-\(name)-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// A plan small enough to run in a few seconds: 20-neuron circuits, 10-unit models, 40 steps.
    func tinyPlan() -> ExperimentConfig {
        var c = ExperimentConfig()
        c.seeds = [1]
        c.recordCounts = [0, 3]
        c.lambdas = [0, 1]
        c.arms = [.plain]
        c.circuit.neurons = 20
        c.circuit.initialSpectralRadius = 3
        c.circuit.movementMs = 100
        c.circuit.trainingAngles = 4
        c.fit.hidden = 10
        c.fit.iterations = 40
        c.fit.earlyStopping = false
        c.audit = false   // the audit in the experiment is tested in ExperimentAuditTests
        return c
    }

    func runLocally(_ url: URL, _ config: ExperimentConfig?) throws -> CollectedExperiment {
        let outcome = try LocalBackend(jobs: 2, scheduler: nil).run(url, config: config, commandLine: "test", events: { _ in })
        guard case .collected(let collected, let failures) = outcome else { XCTFail("expected collected results"); throw CircuitFitError("no results") }
        XCTAssertEqual(failures, [])
        return collected
    }

    func testPlanChangesAreClassified() {
        let a = tinyPlan()
        XCTAssertEqual(a.change(from: a), .same)
        var more = a; more.seeds = [1, 2]; more.recordCounts = [0, 3, 6]
        XCTAssertEqual(more.change(from: a), .extends(added: "seeds 2; M = 6"))
        var arms = a; arms.arms = [.plain, .priors]; arms.lambdas = [0, 1, 3]
        XCTAssertEqual(arms.change(from: a), .extends(added: "λ = 3.0; arms priors"))
        var reordered = a; reordered.recordCounts = [3, 0]
        XCTAssertEqual(reordered.change(from: a), .same, "the same values in another order are the same plan")
        var fewer = more; fewer.seeds = [2]
        guard case .conflicts(let why) = fewer.change(from: more) else { return XCTFail("dropping a seed must conflict") }
        XCTAssert(why.contains("leaves out seeds 1"), why)
        var other = a; other.fit.iterations = 300
        guard case .conflicts(let why2) = other.change(from: a) else { return XCTFail("other fit settings must conflict") }
        XCTAssert(why2.contains("iterations: 300 here, 40 stored"), why2)
        var circuit = a; circuit.circuit.neurons = 30
        guard case .conflicts(let why3) = circuit.change(from: a) else { return XCTFail("another circuit must conflict") }
        XCTAssert(why3.contains("neurons: 30 here, 20 stored"), why3)
    }

    /// Extending a finished experiment runs only the new fits: the old fits' files are untouched,
    /// the task-only network is scored for the new M without being retrained, and the results
    /// equal those of the extended plan run from scratch.
    func testExtendingAnExperimentRunsOnlyTheNewFits() throws {
        let extended = try temporaryFolder("extended"), fresh = try temporaryFolder("fresh")
        let small = tinyPlan()
        let first = try runLocally(extended, small)
        XCTAssertEqual(first.rows.count, 3)
        let fitsDir = extended.appendingPathComponent("fits")
        func bytes(_ path: String) throws -> Data { try Data(contentsOf: fitsDir.appendingPathComponent(path)) }
        let taskOnlyModel = try bytes("s1-plain-l0/model.npz")
        let fitResult = try bytes("s1-plain-l1-m3/result.json"), fitModel = try bytes("s1-plain-l1-m3/model.npz")

        var large = small
        large.seeds = [1, 2]
        large.recordCounts = [0, 3, 6]
        let second = try runLocally(extended, large)
        XCTAssertEqual(second.rows.count, 2 * (3 + 2), "2 seeds × (M ∈ {0, 3, 6} at λ = 0 + M ∈ {3, 6} at λ = 1)")
        XCTAssertEqual(try bytes("s1-plain-l0/model.npz"), taskOnlyModel, "the task-only network is not retrained")
        XCTAssertEqual(try bytes("s1-plain-l1-m3/result.json"), fitResult, "a finished fit is not rerun")
        XCTAssertEqual(try bytes("s1-plain-l1-m3/model.npz"), fitModel)
        let stored = try ExperimentFolder.load(extended)
        XCTAssertEqual(stored.config, large, "experiment.json holds the extended plan")

        let scratch = try runLocally(fresh, large)
        func comparable(_ rows: [ResultRow]) -> [ResultRow] { rows.map { var r = $0; r.trainSeconds = 0; return r } }
        XCTAssertEqual(comparable(second.rows), comparable(scratch.rows), "extended = the same plan from scratch (but wall time)")
    }

    func testAConflictingPlanIsRefusedAndNothingChanges() throws {
        let url = try temporaryFolder("conflict")
        _ = try runLocally(url, tinyPlan())
        let plan = try Data(contentsOf: url.appendingPathComponent("experiment.json"))
        var other = tinyPlan(); other.fit.iterations = 41
        XCTAssertThrowsError(try runLocally(url, other)) { error in
            XCTAssert("\(error)".contains("holds a different experiment: it differs in the fit settings (iterations: 41 here, 40 stored)"), "\(error)")
        }
        XCTAssertEqual(try Data(contentsOf: url.appendingPathComponent("experiment.json")), plan)
    }

    func testTheLockRefusesASecondHolderAndDetectsAStaleOne() throws {
        let url = try temporaryFolder("lock")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        XCTAssertEqual(ExperimentLock.observe(url), .free)
        let first = try ExperimentLock.acquire(url, purpose: "local run", command: "first")
        XCTAssertNil(first.previous)
        XCTAssertThrowsError(try ExperimentLock.acquire(url, purpose: "local run", command: "second")) { error in
            let text = "\(error)"
            XCTAssert(text.contains("is in use: PID \(getpid()) on \(ProcessInfo.processInfo.hostName)"), text)
            XCTAssert(text.contains("(local run: first)"), text)
        }
        XCTAssertEqual(ExperimentLock.observe(url), .held(first.holder))
        first.release()
        XCTAssertEqual(ExperimentLock.observe(url), .free, "a released lock leaves no holder behind")

        // a holder that was killed leaves its description in a free lock
        let dead = ExperimentLock.Holder(pid: 999_999, host: "elsewhere", started: "2026-01-01T00:00:00Z", command: "killed", purpose: "local run")
        try OutputFolder.json(dead).write(to: ExperimentLock.url(url))
        XCTAssertEqual(ExperimentLock.observe(url), .stale(dead))
        let next = try ExperimentLock.acquire(url, purpose: "local run", command: "next")
        XCTAssertEqual(next.previous, dead)
        next.release()
    }

    /// While `circuitfit experiment` runs, `status` shows it running with its PID and never
    /// advises a resume; a second run on the folder is refused; once it is killed, `status`
    /// says so and advises the resume that finishes the work.
    func testStatusOfALocalRunInProgress() throws {
        let url = try temporaryFolder("running")
        let circuit = url.deletingLastPathComponent().appendingPathComponent("\(url.lastPathComponent)-circuit.json")
        try Data(#"{"neurons": 20, "initialSpectralRadius": 3, "movementMs": 100, "trainingAngles": 4}"#.utf8).write(to: circuit)
        addTeardownBlock { try? FileManager.default.removeItem(at: circuit) }
        let process = try ChildProcess(
            try CLI.executable().path,
            ["experiment", "--out", url.path, "--circuit-config", circuit.path, "--seeds", "2", "--record", "0,5",
             "--arms", "plain", "--iterations", "200000", "--hidden", "30", "--jobs", "1"]).start()
        defer { process.signal(SIGTERM); _ = process.wait() }

        var status = try CLI.run(["status", url.path])
        let deadline = Date().addingTimeInterval(60)
        while !status.stdout.contains("1 running") && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.2)
            status = try CLI.run(["status", url.path])
        }
        XCTAssert(status.stdout.contains("1 running"), status.summary)
        XCTAssert(status.stdout.contains("running: local run by PID \(process.pid) on "), status.summary)
        XCTAssert(status.stdout.contains("no --resume needed"), status.summary)
        XCTAssertFalse(status.stdout.contains("to continue: circuitfit experiment"), "no resume advice while it runs:\n\(status.stdout)")

        let second = try CLI.run(["experiment", "--out", url.path, "--resume"])
        XCTAssertEqual(second.status, 1, second.summary)
        XCTAssertEqual(second.errorLines.count, 1, second.summary)
        XCTAssert(second.stderr.contains("is in use: PID \(process.pid)"), second.summary)

        process.signal(SIGKILL)
        _ = process.wait()
        let after = try CLI.run(["status", url.path])
        XCTAssert(after.stdout.contains("ended without finishing (killed?)"), after.summary)
        XCTAssert(after.stdout.contains("to continue: circuitfit experiment --out \(url.path) --resume"), after.summary)
        XCTAssert(after.stdout.contains(", 0 running"), after.summary)
        XCTAssertFalse(after.stdout.contains("running: local run"), after.summary)
    }
}
