import Foundation
import XCTest
@testable import CircuitFitCore
@testable import CircuitFitFitting
#if canImport(Glibc)
import Glibc
#endif

/// Outputs that never destroy the previous result: a re-run on a full disk, a `kill -9` at each
/// moment between the renames that swap a new output in, kills at random times, and failures that
/// must leave no empty --out. After each, --out holds the old complete output or the new complete
/// one (bit-identical to a reference run of the same seed), never a mix; what a killed run left
/// is cleaned up by the next run.
final class AdversarialOutputTests: AdversarialTestCase {
    private var trainArgs: [String] { ["--hidden", "24", "--record", "6", "--iterations", "40", "--seed", "3"] }

    private func bytes(_ folder: String) -> [String: Data] { snapshot(folder) ?? [:] }

    /// A fit folder's content without its wall-clock times (history.csv's `seconds` column and
    /// config.json's "seconds"), which differ between two runs of the same seed.
    private func fingerprint(_ folder: String) -> [String: Data]? {
        guard var files = snapshot(folder) else { return nil }
        if let history = files["history.csv"] {
            // every column but the wall clock's
            let rows = String(decoding: history, as: UTF8.self).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
            let clock = rows.first?.firstIndex(of: "seconds")
            files["history.csv"] = Data(rows.map { row in row.indices.filter { $0 != clock }.map { row[$0] }.joined(separator: ",") }.joined(separator: "\n").utf8)
        }
        if let config = files["config.json"] {
            let lines = String(decoding: config, as: UTF8.self).split(separator: "\n").filter { !$0.contains("\"seconds\"") }
            files["config.json"] = Data(lines.joined(separator: "\n").utf8)
        }
        return files
    }

    /// Entries beside `target` that a run left (staging, new, old folders; temporaries).
    private func leftovers(beside target: String) -> [String] {
        let name = (target as NSString).lastPathComponent
        return ((try? FileManager.default.contentsOfDirectory(atPath: (target as NSString).deletingLastPathComponent)) ?? [])
            .filter { $0.hasPrefix(".\(name).") }
    }

    /// A re-run of `train` into an existing fit on a full disk (a 3 MB tmpfs, when root) fails with
    /// one line and leaves the previous fit bit for bit; a first run into a full disk leaves no --out.
    func testDiskFullRerunKeepsThePreviousFit() throws {
        guard getuid() == 0 else { throw XCTSkip("the disk-full case mounts a small tmpfs, which needs root") }
        let mount = scratch.appendingPathComponent("small-disk").path
        try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
        let mounted = Process()
        mounted.executableURL = URL(fileURLWithPath: "/bin/mount")
        mounted.arguments = ["-t", "tmpfs", "-o", "size=3m", "tmpfs", mount]
        try mounted.run(); mounted.waitUntilExit()
        guard mounted.terminationStatus == 0 else { throw XCTSkip("cannot mount a tmpfs here (mount exit \(mounted.terminationStatus)): the disk-full case is skipped") }
        defer {
            let u = Process(); u.executableURL = URL(fileURLWithPath: "/bin/umount"); u.arguments = [mount]
            try? u.run(); u.waitUntilExit()
        }
        let dataset = try smallDataset().path
        let fit = mount + "/fit"
        try expectHandled("disk full", ["train", dataset, "--out", fit] + trainArgs)
        let before = bytes(fit)
        XCTAssertEqual(Set(before.keys), ["model.npz", "metrics.json", "history.csv", "config.json"])
        // fill the disk, leaving less than a fit needs
        let filler = mount + "/filler"
        _ = FileManager.default.createFile(atPath: filler, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: filler))
        let block = Data(count: 64 << 10)
        while (try? handle.write(contentsOf: block)) != nil {}
        try? handle.close()
        // free room for model.npz and one page more: the re-run writes its first files into the
        // staging folder and fails part-way
        let modelPages = (before["model.npz"]!.count + 4095) / 4096
        let truncate = open(filler, O_WRONLY)
        let size = lseek(truncate, 0, SEEK_END)
        ftruncate(truncate, max(0, size - off_t((modelPages + 1) * 4096)))
        close(truncate)
        try expectCleanError("disk full", ["train", dataset, "--out", fit] + trainArgs.dropLast(2) + ["--seed", "4"], mentions: ["No space left on device"], out: fit)
        XCTAssertEqual(bytes(fit), before, "the previous fit must be intact")
        XCTAssertEqual(leftovers(beside: fit), [])
        try expectCleanError("disk full", ["train", dataset, "--out", mount + "/new"] + trainArgs, mentions: ["No space left on device"], out: mount + "/new")
        try expectCleanError("disk full", ["generate", "--out", mount + "/circuit", "--neurons", "20"], mentions: ["No space left on device"], out: mount + "/circuit")
    }

    /// `kill -9` at each point between the final renames (the CIRCUITFIT_TEST_CRASH_AT hook): the
    /// fit folder is the old fit, or — once the next run's recovery has finished the swap — the
    /// new one, bit-identical to a reference run; never a mix, and nothing is left beside it.
    func testKillBetweenTheRenamesLeavesOldOrNewNeverAMix() throws {
        let dataset = try smallDataset().path
        let reference = path("reference")
        try CLI.run(["train", dataset, "--out", reference] + trainArgs.dropLast(2) + ["--seed", "5"])
        let newFit = fingerprint(reference)!
        XCTAssertFalse(newFit.isEmpty)
        for point in ["output-complete", "output-old-moved", "output-new-in-place"] {
            let fit = path("fit-\(point)")
            try CLI.run(["train", dataset, "--out", fit] + trainArgs)
            let oldFit = fingerprint(fit)!
            let r = try CLI.runBounded(["train", dataset, "--out", fit] + trainArgs.dropLast(2) + ["--seed", "5"], timeout: 60,
                                       environment: ["CIRCUITFIT_TEST_CRASH_AT": point])
            count("kill between renames") { $0.cases += 1 }
            XCTAssert(r.signaled && r.status == 128 + SIGKILL, "\(point): the hook should have killed the run: \(r.summary)")
            let state = fingerprint(fit)
            XCTAssert(state == nil || state! == oldFit || state! == newFit, "\(point): a mix in \(fit): \(state.map { $0.keys.sorted() } ?? [])")
            // the next run's first step: recovery finishes the swap of the complete new fit
            OutputFolder.recover(URL(fileURLWithPath: fit))
            XCTAssertEqual(fingerprint(fit), newFit, "\(point): after recovery \(fit) must be the complete new fit")
            XCTAssertEqual(leftovers(beside: fit), [], "\(point): recovery leaves nothing beside the fit")
            count("kill between renames") { $0.handled += 1 }
        }

        // import's file pair: killed after the set is complete, or after its first rename
        let recording = try AdversarialSizeTests.manyUnitRecording(in: scratch, units: 3, conditions: 2)
        for point in ["file-set-complete", "file-set-first-renamed"] {
            let out = path("pair-\(point).npz"), provenance = path("pair-\(point).provenance.json")
            try CLI.run(["import", recording, "--out", out, "--bin-ms", "20"])
            let old = (try Data(contentsOf: URL(fileURLWithPath: out)), try Data(contentsOf: URL(fileURLWithPath: provenance)))
            let r = try CLI.runBounded(["import", recording, "--out", out, "--bin-ms", "10"], timeout: 30, environment: ["CIRCUITFIT_TEST_CRASH_AT": point])
            count("kill between renames") { $0.cases += 1 }
            XCTAssert(r.signaled, "\(point): \(r.summary)")
            AtomicFileSet.recover([(out as NSString).lastPathComponent, (provenance as NSString).lastPathComponent], in: scratch)
            let npz = try Data(contentsOf: URL(fileURLWithPath: out)), json = try Data(contentsOf: URL(fileURLWithPath: provenance))
            XCTAssertNotEqual(npz, old.0, "\(point): the complete new set is rolled forward")
            XCTAssertNotEqual(json, old.1, "\(point): both files of the set are new")
            XCTAssertEqual(try ReachDataset.read(from: URL(fileURLWithPath: out)).dtMs, 10)
            XCTAssert(String(decoding: json, as: UTF8.self).contains("\"binMs\" : 10"), "the provenance matches the dataset")
            XCTAssertEqual(temporaryFiles(in: scratch.path).filter { $0.contains("pair-\(point)") }, [])
            count("kill between renames") { $0.handled += 1 }
        }
    }

    /// `kill -9` of `train` at random moments while it re-fits into an existing fit: afterwards
    /// (and after the next run's recovery) the folder is the old fit or the new one.
    func testKillsAtRandomTimesNeverMixOutputs() throws {
        let dataset = try smallDataset().path
        let reference = path("reference")
        let args = ["--hidden", "24", "--record", "6", "--iterations", "2000"]
        try CLI.run(["train", dataset, "--out", reference] + args + ["--seed", "8"])
        let newFit = fingerprint(reference)!
        let fit = path("fit")
        try CLI.run(["train", dataset, "--out", fit] + args + ["--seed", "7"])
        let oldFit = fingerprint(fit)!
        var random = SeededRandom(seed: 2024)
        for _ in 0..<5 {
            let process = Process()
            process.executableURL = try CLI.executable()
            process.arguments = ["train", dataset, "--out", fit] + args + ["--seed", "8"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            var environment = ProcessInfo.processInfo.environment
            environment["OPENBLAS_NUM_THREADS"] = "1"
            process.environment = environment
            try process.run()
            usleep(UInt32(20_000 + random.integer(below: 1_500_000)))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            count("random kills") { $0.cases += 1 }
            OutputFolder.recover(URL(fileURLWithPath: fit))
            let state = fingerprint(fit)
            XCTAssert(state == oldFit || state == newFit, "after a random kill \(fit) is a mix: \(state?.keys.sorted() ?? [])")
            XCTAssertEqual(leftovers(beside: fit), [])
            count("random kills") { $0.handled += 1 }
            // put the old fit back for the next round when the kill came too late
            if state == newFit {
                try FileManager.default.removeItem(atPath: fit)
                try CLI.run(["train", dataset, "--out", fit] + args + ["--seed", "7"])
            }
        }
    }

    /// Failed commands leave no empty --out (parents they created are removed too), never touch a
    /// folder holding someone else's files, and refuse an empty or current-folder --out.
    func testFailuresLeaveNoEmptyFolderAndForeignFilesAreSafe() throws {
        let dataset = try smallDataset().path
        let nested = path("a/b/c/out")
        // fails after staging: the dry run of the evaluation refuses constant rates
        let archive = try smallDatasetArchive()
        let constant = try variant("constant.npz", of: archive) { a in
            let r = a["rates"]!
            a.set("rates", NPYArray([Double](repeating: 3, count: r.count), shape: r.shape))
        }
        try expectCleanError("empty folders", ["train", constant, "--out", nested] + Self.quickFit, mentions: ["constant"], out: nested)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("a")), "created parents are removed")
        try expectCleanError("empty folders", ["generate", "--out", nested, "--config", try writeJSON(#"{"neurons": 20, "maxOptimizationSteps": 0, "initialSpectralRadius": 30}"#, to: "unstable.json")],
                             mentions: ["unstable"], out: nested, timeout: 60)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("a")), "created parents are removed")
        try expectCleanError("empty folders", ["train", dataset, "--out", ""] + Self.quickFit, mentions: ["--out", "empty"])
        try expectCleanError("empty folders", ["generate", "--out", ""], mentions: ["--out", "empty"])
        try expectCleanError("empty folders", ["import", dataset, "--out", ""], mentions: ["--out", "empty"])
        let cwd = FileManager.default.currentDirectoryPath
        let here = try CLI.runBounded(["train", dataset, "--out", "."] + Self.quickFit, in: scratch, timeout: 30)
        count("empty folders") { $0.cases += 1 }
        XCTAssertEqual(here.status, 1, here.summary)
        XCTAssert(here.errorLines.first?.contains("current folder") == true, here.summary)
        XCTAssertEqual(FileManager.default.currentDirectoryPath, cwd)
        if here.status == 1 { count("empty folders") { $0.cleanErrors += 1 } }

        // a folder with the user's own files is never replaced
        let mine = path("mine")
        try FileManager.default.createDirectory(atPath: mine, withIntermediateDirectories: true)
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: mine + "/notes.txt"))
        try expectCleanError("empty folders", ["train", dataset, "--out", mine] + Self.quickFit, mentions: ["notes.txt", "did not write"], out: mine)
        XCTAssertEqual(try String(contentsOfFile: mine + "/notes.txt", encoding: .utf8), "keep me")

        // a diverged re-run keeps the previous fit and puts its checkpoint beside it
        let fit = path("fit")
        try CLI.run(["train", dataset, "--out", fit] + Self.quickFit)
        let previous = bytes(fit)
        let explode = try writeJSON(#"{"learningRate": 1e30}"#, to: "explode.json")
        let r = try CLI.runBounded(["train", dataset, "--out", fit, "--fit-config", explode] + Self.quickFit, timeout: 60)
        count("empty folders") { $0.cases += 1 }
        XCTAssertEqual(r.status, 1, r.summary)
        XCTAssert(r.errorLines.first?.contains(fit + ".diverged/checkpoint.npz") == true, r.summary)
        XCTAssertEqual(bytes(fit), previous, "the previous fit is intact")
        XCTAssertEqual(Set(bytes(fit + ".diverged").keys), ["checkpoint.npz", "history.csv"])
        if r.status == 1 && bytes(fit) == previous { count("empty folders") { $0.cleanErrors += 1 } }
    }
}
