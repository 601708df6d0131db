import XCTest
import Foundation
import CircuitFitTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `circuitfit experiment --backend slurm` against a REAL Slurm cluster (munged + slurmctld +
/// slurmd from Debian's packages) that `scripts/slurm-cluster.sh` starts on loopback with all
/// its state in a scratch folder, and that every test stops again (every daemon, by the PID in
/// its pid file) in its teardown, whatever happened. Where Slurm cannot be installed (not root,
/// no apt-get) the cluster tests are skipped with the script's reason.
///
/// Tests that need a cluster take a machine-wide lock first, so `swift test --parallel` runs
/// them one after another (each with its own cluster). They drive the built `circuitfit`
/// binary (next to the test bundle, or $CIRCUITFIT_BIN).
final class SlurmIntegrationTests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// The tiny experiment: 2 seeds × (λ = 0 scored at M = 0 and 3, λ = 1 at M = 3) = 4 fits, 6 rows.
    static let plan = ["--seeds", "2", "--record", "0,3", "--lambda", "0,1", "--arms", "plain", "--iterations", "100", "--hidden", "16"]
    static let circuitJSON = #"{"neurons": 30, "initialSpectralRadius": 3, "movementMs": 200, "trainingAngles": 4}"#

    var work: URL!
    var env: [String: String] = ProcessInfo.processInfo.environment

    override func setUpWithError() throws {
        work = FileManager.default.temporaryDirectory.appendingPathComponent("cf-slurm-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        try Self.circuitJSON.write(to: work.appendingPathComponent("circuit.json"), atomically: true, encoding: .utf8)
        let folder = work!
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
    }

    // MARK: helpers

    struct Result { var status: Int32; var stdout: String; var stderr: String; var text: String { stdout + stderr } }

    /// Runs a program (path, or a name found on PATH) in `cwd` (default: the test's folder); one
    /// still running after `timeout` seconds is stopped and the test fails.
    @discardableResult
    func run(_ program: String, _ args: [String], env: [String: String]? = nil, cwd: URL? = nil, timeout: Double = 120) throws -> Result {
        let r = try ChildProcess(program, args, environment: env ?? self.env, directory: cwd ?? work).run(timeout: timeout)
        if r.timedOut { XCTFail("\(program) \(args.joined(separator: " ")) did not finish within \(timeout) s: killed") }
        return Result(status: r.status, stdout: r.stdout, stderr: r.stderr)
    }

    /// The built `circuitfit`: $CIRCUITFIT_BIN, or next to this test bundle.
    func binary() throws -> String {
        if let b = ProcessInfo.processInfo.environment["CIRCUITFIT_BIN"] { return b }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        // macOS-style bundles: …/X.xctest/Contents/MacOS/X
        while dir.path.contains(".xctest") { dir = dir.deletingLastPathComponent() }
        let b = dir.appendingPathComponent("circuitfit").path
        guard FileManager.default.isExecutableFile(atPath: b) else {
            XCTFail("no circuitfit binary at \(b): build it (swift build) or set CIRCUITFIT_BIN")
            throw XCTSkip("circuitfit binary missing")
        }
        return b
    }

    func circuitfit(_ args: [String], env: [String: String]? = nil, timeout: Double = 120) throws -> Result {
        try run(try binary(), args, env: env, timeout: timeout)
    }

    /// Starts a private cluster for this test (after taking the machine-wide lock) and registers
    /// its stop. Skips, saying why, where Slurm cannot be installed.
    func startCluster() throws {
        let lockFD = open("/tmp/circuitfit-slurm-tests.lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o666)
        XCTAssert(lockFD >= 0, "cannot open the test lock")
        flock(lockFD, LOCK_EX)
        addTeardownBlock { flock(lockFD, LOCK_UN); close(lockFD) }
        let scratch = work.appendingPathComponent("cluster")
        let script = Self.repo.appendingPathComponent("scripts/slurm-cluster.sh").path
        // registered before starting: a half-started cluster is stopped too
        addTeardownBlock { [self] in
            let stopped = try? run("/bin/bash", [script, "stop", scratch.path], timeout: 150)
            XCTAssertEqual(stopped?.status, 0, "slurm-cluster.sh stop: \(stopped?.stderr ?? "did not run")")
            let left = try? run("/bin/bash", [script, "status", scratch.path], timeout: 30)
            XCTAssertFalse(left?.stdout.contains(": running") ?? true, "daemons left running:\n\(left?.stdout ?? "")")
        }
        let start = Date()
        let started = try run("/bin/bash", [script, "start", scratch.path], timeout: 300)
        if started.status == 77 {
            throw XCTSkip("Slurm integration test skipped: \(started.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        guard started.status == 0 else {
            XCTFail("slurm-cluster.sh start failed (exit \(started.status)):\n\(started.stderr)")
            throw XCTSkip("no cluster")
        }
        print("slurm cluster started in \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
        env["SLURM_CONF"] = scratch.appendingPathComponent("etc/slurm.conf").path
    }

    /// Waits until the cluster's queue is empty.
    func waitForQueue(timeout: Double = 90) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let q = try run("squeue", ["-h", "-o", "%i %T"], timeout: 20)
            if q.status == 0 && q.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return }
            usleep(200_000)
        }
        XCTFail("the queue did not drain within \(timeout) s")
    }

    /// results.csv as rows of cells without the wall-time column `train_seconds` (every other cell,
    /// numbers printed in Swift's shortest round-trip form, must match bit for bit).
    func rows(_ dir: URL) throws -> [[String]] {
        let text = try String(contentsOf: dir.appendingPathComponent("results.csv"), encoding: .utf8)
        let lines = text.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        guard let header = lines.first, let t = header.firstIndex(of: "train_seconds") else {
            XCTFail("results.csv has no train_seconds column"); return []
        }
        return lines.map { var r = $0; r.remove(at: t); return r }
    }

    func experiment(_ name: String, _ extra: [String]) -> [String] {
        ["experiment", "--out", work.appendingPathComponent(name).path] + Self.plan
            + ["--circuit-config", work.appendingPathComponent("circuit.json").path] + extra
    }

    func localReference() throws -> URL {
        let r = try circuitfit(experiment("local", ["--jobs", "2"]))
        XCTAssertEqual(r.status, 0, r.text)
        return work.appendingPathComponent("local")
    }

    func jobs(_ dir: URL) throws -> [[String: Any]] {
        let data = try Data(contentsOf: dir.appendingPathComponent("slurm/jobs.json"))
        return (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["submissions"] as? [[String: Any]] ?? []
    }

    func jobID(_ submission: [String: Any], _ role: String) -> String? {
        (submission[role] as? [String: Any])?["job_id"] as? String
    }

    // MARK: tests

    /// No cluster needed: `sbatch` missing from PATH is a clear error before anything is written,
    /// and --dry-run prints the job scripts and writes nothing.
    func testSbatchMissingFromPathWritesNothing() throws {
        let bin = try binary()
        var noSlurm = env
        noSlurm["PATH"] = "/nonexistent/bin"
        let out = work.appendingPathComponent("exp")
        let r = try circuitfit(experiment("exp", ["--backend", "slurm"]), env: noSlurm)
        XCTAssertEqual(r.status, 1, r.text)
        XCTAssert(r.stderr.contains("--backend slurm needs Slurm's sbatch"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "--out must not be created")
        // an existing, empty --out stays empty
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let again = try circuitfit(experiment("exp", ["--backend", "slurm"]), env: noSlurm)
        XCTAssertEqual(again.status, 1, again.text)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out.path), [])

        let dry = try run(bin, experiment("dry", ["--backend", "slurm", "--dry-run", "--max-concurrent", "3", "--sbatch-arg=--account=lab"]), env: noSlurm)
        XCTAssertEqual(dry.status, 0, dry.text)
        for expected in ["#SBATCH --array=0-3%3", "#SBATCH --account=lab", "experiment-task", "experiment-collect", "--dependency=afterany:", "nothing written"] {
            XCTAssert(dry.stdout.contains(expected), "dry run output lacks \(expected):\n\(dry.stdout)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: work.appendingPathComponent("dry").path), "--dry-run must write nothing")
    }

    /// The same experiment through Slurm and locally: results.csv identical but for train_seconds.
    func testSlurmResultsMatchLocalBitForBit() throws {
        try startCluster()
        let local = try localReference()
        let start = Date()
        let r = try circuitfit(experiment("slurm", ["--backend", "slurm", "--wait"]))
        print("slurm experiment (4 fits, 2 circuits) took \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
        XCTAssertEqual(r.status, 0, r.text)
        let dir = work.appendingPathComponent("slurm")
        let slurmRows = try rows(dir), localRows = try rows(local)
        XCTAssertEqual(slurmRows.count, 7, "header + 6 rows")
        XCTAssertEqual(slurmRows, localRows, "results.csv differs from the local backend's")
        for file in ["claims.json", "report.html", "slurm/fits-1.sbatch", "slurm/circuits-1.sbatch", "slurm/collect-1.sbatch"] {
            XCTAssert(FileManager.default.fileExists(atPath: dir.appendingPathComponent(file).path), "missing \(file)")
        }
        let subs = try jobs(dir)
        XCTAssertEqual(subs.count, 1)
        XCTAssertNotNil(jobID(subs[0], "circuits")); XCTAssertNotNil(jobID(subs[0], "fits")); XCTAssertNotNil(jobID(subs[0], "collect"))
        let status = try circuitfit(["status", dir.path])
        XCTAssertEqual(status.status, 0, status.text)
        XCTAssert(status.stdout.contains("4 fits — 4 done, 0 failed, 0 pending, 0 running"), status.stdout)
        XCTAssert(status.stdout.contains("COMPLETED"), status.stdout)
    }

    /// One array task cancelled (scancel JOB_TASK) → status reports it, the collect job still
    /// writes the rest, --resume reruns only that fit, and the final results equal the local ones.
    func testCancelledTaskIsReportedAndResumeRerunsOnlyIt() throws {
        try startCluster()
        let local = try localReference()
        let dir = work.appendingPathComponent("cancel")
        // submitted held (a passed-through sbatch option), so the task is certainly still pending when cancelled
        let r = try circuitfit(experiment("cancel", ["--backend", "slurm", "--max-concurrent", "1", "--sbatch-arg=--hold"]))
        XCTAssertEqual(r.status, 0, r.text)
        let first = try jobs(dir)[0]
        let fits = try XCTUnwrap(jobID(first, "fits"))
        XCTAssertEqual(try run("scancel", ["\(fits)_3"]).status, 0)
        for role in ["circuits", "fits", "collect"] {
            let released = try run("scontrol", ["release", try XCTUnwrap(jobID(first, role))])
            XCTAssertEqual(released.status, 0, released.text)
        }
        try waitForQueue()

        let status = try circuitfit(["status", dir.path])
        XCTAssertEqual(status.status, 0, status.text)
        XCTAssert(status.stdout.contains("4 fits — 3 done, 1 failed, 0 pending, 0 running"), status.stdout)
        XCTAssert(status.stdout.contains("s2-plain-l1-m3 — task 3 of job \(fits): cancelled before it started"), status.stdout)
        XCTAssert(status.stdout.contains("exit code 3 — wrote results.csv"), "collect job should report partial results:\n\(status.stdout)")
        let partial = try rows(dir)
        XCTAssertEqual(partial.count, 1 + 5, "the collect job writes the 5 rows of the 3 finished fits")
        let claims = try String(contentsOf: dir.appendingPathComponent("claims.json"), encoding: .utf8)
        XCTAssert(claims.contains("\"s2-plain-l1-m3\""), claims)

        let doneBefore = try ["s1-plain-l0", "s1-plain-l1-m3", "s2-plain-l0"].map {
            try FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent("fits/\($0)/result.json").path)[.modificationDate] as! Date
        }
        // --resume finds the Slurm backend and its options in slurm/jobs.json; --sbatch-arg replaces the stored ones (no --hold)
        let resumed = try circuitfit(["experiment", "--out", dir.path, "--resume", "--wait", "--sbatch-arg=--comment=resume"])
        XCTAssertEqual(resumed.status, 0, resumed.text)
        let subs = try jobs(dir)
        XCTAssertEqual(subs.count, 2)
        XCTAssertNil(subs[1]["circuits"], "circuits exist: no circuits job")
        XCTAssertEqual((subs[1]["fits"] as? [String: Any])?["tasks"] as? [Int], [3], "only the cancelled fit is resubmitted")
        let doneAfter = try ["s1-plain-l0", "s1-plain-l1-m3", "s2-plain-l0"].map {
            try FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent("fits/\($0)/result.json").path)[.modificationDate] as! Date
        }
        XCTAssertEqual(doneBefore, doneAfter, "finished fits must not rerun")
        XCTAssertEqual(try rows(dir), try rows(local), "final results differ from the local backend's")
        let final = try circuitfit(["status", dir.path])
        XCTAssert(final.stdout.contains("4 done, 0 failed, 0 pending, 0 running"), final.stdout)
    }

    /// A fit that fails (one seed's dataset is not a dataset) → status shows the task's exit code,
    /// the error and its log tail; the collect job still writes what succeeded and lists the rest.
    func testFailingFitIsReportedAndCollectWritesTheRest() throws {
        try startCluster()
        let local = try localReference()
        let dir = work.appendingPathComponent("broken")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for item in ["experiment.json", "circuits"] {
            try FileManager.default.copyItem(at: local.appendingPathComponent(item), to: dir.appendingPathComponent(item))
        }
        try "not a dataset".write(to: dir.appendingPathComponent("circuits/seed-2/dataset.npz"), atomically: true, encoding: .utf8)

        let r = try circuitfit(experiment("broken", ["--backend", "slurm", "--wait"]))
        XCTAssertEqual(r.status, 1, "a run with failed fits must not exit 0:\n\(r.text)")
        XCTAssert(r.stderr.contains("2 of 4 fits did not finish"), r.stderr)
        let subs = try jobs(dir)
        XCTAssertNil(subs[0]["circuits"], "circuits were there: no circuits job")
        let fits = try XCTUnwrap(jobID(subs[0], "fits"))

        let status = try circuitfit(["status", dir.path])
        XCTAssertEqual(status.status, 0, status.text)
        let s = status.stdout
        XCTAssert(s.contains("4 fits — 2 done, 2 failed, 0 pending, 0 running"), s)
        XCTAssert(s.contains("s2-plain-l0 — task 2 of job \(fits): FAILED, exit code 3"), s)
        XCTAssert(s.contains("s2-plain-l1-m3 — task 3 of job \(fits): FAILED, exit code 3"), s)
        XCTAssert(s.contains("error: dataset.npz: not a NumPy .npz file"), s)
        XCTAssert(s.contains("log slurm/logs/fits-\(fits)_2.out"), s)
        XCTAssert(s.contains("| error: fit s2-plain-l0:"), "the log tail should be shown:\n\(s)")
        XCTAssert(s.contains("exit code 3 — wrote results.csv, claims.json and report.html"), s)

        // what succeeded, exactly as locally; the rest listed as missing
        let got = try rows(dir), want = try rows(local).filter { $0[0] != "2" }
        XCTAssertEqual(got, want)
        let claims = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("claims.json"))) as? [String: Any]
        XCTAssertEqual(claims?["fits_missing"] as? [String], ["s2-plain-l0", "s2-plain-l1-m3"])
        let report = try String(contentsOf: dir.appendingPathComponent("report.html"), encoding: .utf8)
        XCTAssert(report.contains("2 fit(s) missing"), "report.html should say which fits are missing")
    }
}
