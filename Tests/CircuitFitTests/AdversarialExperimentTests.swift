import Foundation
import XCTest
@testable import CircuitFitCore
@testable import CircuitFitExperiment
#if canImport(Glibc)
import Glibc
#endif

/// The experiment folder under attack, through the binary: two `experiment` runs started together
/// on one folder (only one may work, and the plan must match its results), a run killed with
/// `kill -9` (the lock is stale, the next run takes over), and hostile paths and sbatch options
/// (the job scripts, run by bash, execute nothing injected).
final class AdversarialExperimentTests: AdversarialTestCase {
    private func circuitConfig() throws -> String {
        try writeJSON(#"{"neurons": 20, "initialSpectralRadius": 3, "movementMs": 100, "trainingAngles": 4}"#, to: "circuit.json")
    }

    private func experimentArgs(_ out: String, iterations: Int) throws -> [String] {
        ["experiment", "--out", out, "--circuit-config", try circuitConfig(), "--seeds", "1", "--record", "0,5", "--lambda", "1",
         "--arms", "plain", "--hidden", "20", "--iterations", "\(iterations)", "--jobs", "1"]
    }

    private func start(_ args: [String]) throws -> (Process, URL) {
        let process = Process()
        process.executableURL = try CLI.executable()
        process.arguments = args
        let errors = scratch.appendingPathComponent("stderr-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: errors)
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_NUM_THREADS"] = "1"
        process.environment = environment
        try process.run()
        return (process, errors)
    }

    /// Two runs with different --iterations started together: exactly one works; the other is
    /// refused (the lock, naming its holder, or the stored plan); the plan matches the results.
    func testTwoExperimentsOnOneFolderNeverBothWork() throws {
        for attempt in 0..<2 {
            let out = path("race-\(attempt)")
            let a = try start(try experimentArgs(out, iterations: 3000))
            let b = try start(try experimentArgs(out, iterations: 1500))
            let deadline = Date().addingTimeInterval(120)
            while (a.0.isRunning || b.0.isRunning) && Date() < deadline { usleep(50_000) }
            for p in [a.0, b.0] where p.isRunning { kill(p.processIdentifier, SIGKILL) }
            a.0.waitUntilExit(); b.0.waitUntilExit()
            count("lock race") { $0.cases += 2 }
            let statuses = [a.0.terminationStatus, b.0.terminationStatus]
            let messages = [a.1, b.1].map { (try? String(contentsOf: $0, encoding: .utf8)) ?? "" }
            XCTAssertEqual(statuses.sorted(), [0, 1], "exactly one run works: \(statuses) \(messages)")
            guard let loser = statuses.firstIndex(of: 1) else { continue }
            let error = messages[loser].split(separator: "\n").last { $0.hasPrefix("error: ") }.map(String.init) ?? ""
            XCTAssert(error.contains("is in use: PID") || error.contains("holds a different experiment"), "the refused run says why: \(messages[loser])")
            // the stored plan is the winner's, and so are the results
            let plan = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/experiment.json"))) as! [String: Any]
            let planned = ((plan["fit"] as? [String: Any])?["iterations"] as? NSNumber)?.intValue
            XCTAssertEqual(planned, loser == 0 ? 1500 : 3000)
            let rows = try String(contentsOfFile: out + "/results.csv", encoding: .utf8).split(separator: "\n")
            let header = rows[0].split(separator: ",").map(String.init)
            let column = try XCTUnwrap(header.firstIndex(of: "iterations_run"))
            for row in rows.dropFirst() { XCTAssertEqual(Int(row.split(separator: ",")[column]), planned, "results ran the stored plan") }
            count("lock race") { $0.cleanErrors += 1; $0.handled += 1 }
        }
    }

    /// A run killed with `kill -9` leaves a stale lock: `status` says so, and the next run takes
    /// over and finishes.
    func testKilledRunLeavesAStaleLockTheNextRunTakesOver() throws {
        let out = path("killed")
        let (process, _) = try start(try experimentArgs(out, iterations: 200_000))
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if case .held = ExperimentLock.observe(URL(fileURLWithPath: out)) { break }
            usleep(50_000)
        }
        usleep(300_000)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        count("stale lock") { $0.cases += 1 }
        guard case .stale(let holder) = ExperimentLock.observe(URL(fileURLWithPath: out)) else {
            return XCTFail("after kill -9 the lock must be stale: \(ExperimentLock.observe(URL(fileURLWithPath: out)))")
        }
        XCTAssertEqual(holder.pid, process.processIdentifier)
        let status = try CLI.run(["status", out])
        XCTAssert(status.stdout.contains("ended without finishing (killed?)"), status.summary)
        // the resume takes over (a short budget is not a plan option: the stored plan runs)
        let resumed = try CLI.runBounded(["experiment", "--out", out, "--resume", "--jobs", "1"], timeout: 5)
        // 200000 iterations do not finish in 5 s: what matters is that it took the lock and worked
        XCTAssertFalse(resumed.signaled, "the resume must not crash: \(resumed.summary)")
        XCTAssertFalse(resumed.stderr.contains("is in use"), "a stale lock must not block the next run: \(resumed.summary)")
        count("stale lock") { $0.handled += 1 }
    }

    /// Hostile --out paths and --sbatch-arg values: control characters are refused before
    /// anything is written; `"` with spaces, `$( )` and backticks stay data: the fits job script
    /// printed by --dry-run, run by bash, executes nothing injected.
    func testJobScriptsCannotBeInjected() throws {
        let sentinel = path("PWNED")
        for hostile in ["nl\ntouch \(sentinel)\n#", "cr\rtouch \(sentinel)", "esc\u{1B}x"] {
            let out = path(hostile)
            try expectCleanError("injection", ["experiment", "--out", out, "--seeds", "1", "--record", "0", "--backend", "slurm", "--dry-run"],
                                 mentions: ["cannot go into a Slurm job script"], out: out)
        }
        try expectCleanError("injection", ["experiment", "--out", path("ok"), "--seeds", "1", "--record", "0", "--backend", "slurm", "--dry-run",
                                           "--sbatch-arg=--comment=a\ntouch \(sentinel)"], mentions: ["cannot go into a Slurm job script"], out: path("ok"))
        let names = [#"quote "and" space"#, "dollar $(touch \(sentinel))", "tick `touch \(sentinel)`", #"all "x y" $(touch \#(sentinel)) `touch \#(sentinel)` #c"#]
        for name in names {
            let out = path(name)
            let r = try expectHandled("injection", ["experiment", "--out", out, "--seeds", "1", "--record", "0", "--lambda", "0", "--arms", "plain",
                                                     "--backend", "slurm", "--dry-run", "--sbatch-arg=--comment=$(touch \(sentinel)) `touch \(sentinel)` \"q\" x"])
            XCTAssertFalse(FileManager.default.fileExists(atPath: out), "--dry-run writes nothing")
            // the fits script as printed
            let text = r.stdout
            guard let start = text.range(of: "fits-1.sbatch")?.upperBound,
                  let scriptStart = text.range(of: "#!/bin/bash", range: start..<text.endIndex)?.lowerBound else {
                XCTFail("no fits script in the dry run: \(r.summary)"); continue
            }
            let rest = text[scriptStart...]
            let end = rest.range(of: "\n==> ")?.lowerBound ?? rest.endIndex
            let script = scratch.appendingPathComponent("fits.sbatch")
            try String(rest[..<end]).write(to: script, atomically: true, encoding: .utf8)
            let bash = Process()
            bash.executableURL = URL(fileURLWithPath: "/bin/bash")
            bash.arguments = [script.path]
            var environment = ProcessInfo.processInfo.environment
            environment["SLURM_ARRAY_TASK_ID"] = "0"
            bash.environment = environment
            bash.standardOutput = FileHandle.nullDevice
            bash.standardError = FileHandle.nullDevice
            try bash.run(); bash.waitUntilExit()
            XCTAssertFalse(FileManager.default.fileExists(atPath: sentinel), "the script ran an injected command (\(name))")
            XCTAssertNotEqual(bash.terminationStatus, 0, "the task fails on the folder the dry run never made, as data")
        }
    }
}
