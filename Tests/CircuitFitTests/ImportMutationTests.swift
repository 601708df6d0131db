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

#if canImport(Glibc)
import Glibc
#endif

/// A seeded mutation test of the readers: byte-mutated copies of the MAT v5 (compressed and
/// not), MAT v7.3, NWB (two) and NPZ fixtures go through the whole importer, which must return a
/// dataset or throw a CircuitFitError — no crash, no hang, no other error.
///
/// libhdf5 1.10.8 itself crashes (SIGSEGV inside libhdf5, e.g. in H5Gget_info on a damaged
/// symbol table) on some damaged HDF5 files, so the mutations run in a child process (this test
/// binary, running `testUnmutatedFixturesImportOrMutationChild`). When the child dies, the parent finds where: it re-runs
/// that one mutation under gdb (when installed; else it reads the Swift runtime's backtrace) and
/// looks at the innermost frame that is either libhdf5 or our code. A crash in libhdf5 is counted
/// and reported as a known libhdf5 failure; a crash in our code fails the test. A mutation running
/// longer than `timeoutSeconds` is a hang: gdb attaches to take its backtrace, then it is killed
/// and judged the same way. CIRCUITFIT_MUTATIONS sets the number of mutations per fixture.
final class ImportMutationTests: XCTestCase {
    static let seed: UInt64 = 20240501
    static let timeoutSeconds = 20.0
    static let fixtures = ["recording.mat", "recording_uncompressed.mat", "recording_v73.mat", "alignment.nwb", "reach.nwb", "recording.npz"]

    /// The import each mutated fixture goes through (reach.nwb: string conditions, gzip EMG,
    /// irregular timestamps; the others: the alignment recording with its emg).
    static func options(for file: String) -> ImportOptions {
        guard file == "reach.nwb" else { return ImportFixtures.alignmentOptions }
        var options = ImportFixtures.reachOptions
        options.behavior = ["EMG", "hand_velocity"]
        return options
    }

    // MARK: Mutations

    private enum Mutation: CaseIterable {
        case overwriteBytes, flipBit, extremeField, truncate, duplicateChunk
    }

    /// Mutation `index` of `bytes` (the same for a given seed, fixture and index): half the edits
    /// land in the first 4 KiB, where headers, the HDF5 superblock and object headers live.
    static func mutate(_ bytes: [UInt8], fixture: Int, index: Int) -> [UInt8] {
        var random = SeededRandom(seed: seed).derived(UInt64(fixture * 1_000_000 + index))
        var out = bytes
        func position() -> Int {
            random.uniform() < 0.5 ? random.integer(below: min(4096, out.count)) : random.integer(below: out.count)
        }
        switch Mutation.allCases[random.integer(below: Mutation.allCases.count)] {
        case .overwriteBytes:
            for _ in 0..<(1 + random.integer(below: 8)) { out[position()] = UInt8(random.integer(below: 256)) }
        case .flipBit:
            out[position()] ^= UInt8(1 << random.integer(below: 8))
        case .extremeField:
            let p = position(), width = [2, 4, 8][random.integer(below: 3)]
            let fill: UInt8 = [0xFF, 0x00, 0x7F, 0x80][random.integer(below: 4)]
            for k in 0..<width where p + k < out.count { out[p + k] = fill }
        case .truncate:
            out.removeLast(1 + random.integer(below: out.count - 1))
        case .duplicateChunk:
            let p = position(), length = 1 + random.integer(below: 64)
            out.insert(contentsOf: out[p..<min(p + length, out.count)], at: position())
        }
        return out
    }

    // MARK: Parent

    private struct Outcome {
        var datasets = 0, errors = 0, ourFailures = 0
        var libhdf5Crashes: [Int] = []
        var libhdf5Hangs: [Int] = []
        var slowestSeconds = 0.0
    }

    func testMutatedFixturesGiveADatasetOrAnError() throws {
        let count = Int(ProcessInfo.processInfo.environment["CIRCUITFIT_MUTATIONS"] ?? "") ?? 100
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("import-mutations-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var summary: [String] = []
        for (fixture, file) in Self.fixtures.enumerated() {
            var outcome = Outcome()
            var next = 0
            while next < count {
                next = try runChild(fixture: fixture, from: next, count: count, folder: folder, outcome: &outcome)
            }
            XCTAssertEqual(outcome.datasets + outcome.errors + outcome.ourFailures + outcome.libhdf5Crashes.count + outcome.libhdf5Hangs.count, count, file)
            summary.append("\(file): \(outcome.datasets) datasets, \(outcome.errors) errors, slowest \(String(format: "%.3f", outcome.slowestSeconds)) s; libhdf5 crashes at \(outcome.libhdf5Crashes), libhdf5 hangs at \(outcome.libhdf5Hangs)")
        }
        print("mutation test (seed \(Self.seed), \(count) per fixture):\n  " + summary.joined(separator: "\n  "))
    }

    /// Runs mutations `from ..< count` of one fixture in a child; returns where to continue.
    private func runChild(fixture: Int, from: Int, count: Int, folder: URL, outcome: inout Outcome) throws -> Int {
        let file = Self.fixtures[fixture]
        let progress = folder.appendingPathComponent("progress-\(fixture)-\(from).txt")
        _ = FileManager.default.createFile(atPath: progress.path, contents: nil)

        var environment = ProcessInfo.processInfo.environment
        environment["CIRCUITFIT_MUTATION_CHILD"] = childSpec(fixture: fixture, from: from, count: count, progress: progress, folder: folder)
        environment["SWIFT_BACKTRACE"] = "enable=yes,interactive=no,threads=crashed,registers=none,images=none,limit=40,top=0,color=no"
        let child = try ChildProcess(
            URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path,
            ["CircuitFitTests.ImportMutationTests/testUnmutatedFixturesImportOrMutationChild"],
            environment: environment).start()

        // Watch the progress lines ("begin i", then "dataset i s" / "error i s" / "other i: …").
        var lastLines = 0, lastChange = Date(), hangTrace: String?
        while child.isRunning {
            usleep(20_000)
            let lines = progressLines(progress)
            if lines.count != lastLines { lastLines = lines.count; lastChange = Date() }
            if Date().timeIntervalSince(lastChange) > Self.timeoutSeconds && hangTrace == nil {
                hangTrace = Self.gdbAttachBacktrace(child.pid) ?? ""
                child.signal(SIGKILL)
            }
        }
        let ended = child.wait()

        var lastBegun: Int?
        for line in progressLines(progress) {
            let parts = line.split(separator: " ").map(String.init)
            guard parts.count >= 2, let index = Int(parts[1].trimmingCharacters(in: CharacterSet(charactersIn: ":"))) else { continue }
            if parts[0] != "begin", parts.count >= 3, let seconds = Double(parts[2]) {
                outcome.slowestSeconds = max(outcome.slowestSeconds, seconds)
            }
            switch parts[0] {
            case "begin": lastBegun = index
            case "dataset": outcome.datasets += 1; lastBegun = nil
            case "error": outcome.errors += 1; lastBegun = nil
            case "other":
                XCTFail("\(file) mutation \(index): not a CircuitFitError: \(line)")
                outcome.ourFailures += 1; lastBegun = nil
            default: break
            }
        }
        if ended.succeeded && lastBegun == nil {
            return count
        }
        guard let failed = lastBegun else {
            XCTFail("\(file): the mutation child failed outside a mutation (\(ended.signal.map { "signal \($0)" } ?? "status \(ended.status)"))")
            return count
        }
        let trace = hangTrace ?? Self.gdbRerunBacktrace(spec: childSpec(fixture: fixture, from: failed, count: failed + 1, progress: progress, folder: folder))
            ?? ended.stderr
        switch Self.culprit(trace) {
        case .libhdf5:
            if hangTrace != nil { outcome.libhdf5Hangs.append(failed) } else { outcome.libhdf5Crashes.append(failed) }
        case .ours, .unknown:
            outcome.ourFailures += 1
            let frames = Self.frameLines(trace).prefix(12).joined(separator: " | ")
            XCTFail("\(file) mutation \(failed) (seed \(Self.seed)): \(hangTrace != nil ? "hang" : "crash") not attributable to libhdf5: \(frames.isEmpty ? String(trace.suffix(2000)) : frames)")
        }
        return failed + 1
    }

    private func childSpec(fixture: Int, from: Int, count: Int, progress: URL, folder: URL) -> String {
        "\(fixture),\(from),\(count),\(progress.path),\(folder.path)"
    }

    private func progressLines(_ url: URL) -> [String] {
        ((try? String(contentsOf: url, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    // MARK: Whose crash

    enum Culprit { case libhdf5, ours, unknown }

    /// The innermost frame of a gdb or Swift-runtime backtrace that is either libhdf5 or our code
    /// (libc frames such as memcpy are skipped: they say nothing about the caller).
    static func culprit(_ trace: String) -> Culprit {
        for frame in frameLines(trace) {
            if frame.contains("libhdf5") { return .libhdf5 }
            if frame.contains("CircuitFit") || frame.contains(".swift:") { return .ours }
        }
        return .unknown
    }

    /// Frame lines: gdb's "#3  0x… in f () from lib" and the Swift runtime's "3  0x… f in lib".
    static func frameLines(_ trace: String) -> [String] {
        trace.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { line in
            line.hasPrefix("#") || line.range(of: #"^\d+\s+(\[ra\]\s+)?0x"#, options: .regularExpression) != nil
        }
    }

    private static let gdb = ["/usr/bin/gdb", "/usr/local/bin/gdb"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// The crashed thread's backtrace from re-running one mutation under gdb, or nil without gdb.
    static func gdbRerunBacktrace(spec: String) -> String? {
        guard let gdb else { return nil }
        let binary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        var environment = ProcessInfo.processInfo.environment
        environment["CIRCUITFIT_MUTATION_CHILD"] = spec
        environment["SWIFT_BACKTRACE"] = "enable=no"
        return run(gdb, ["-batch", "-ex", "run", "-ex", "bt 40", "--args", binary, "CircuitFitTests.ImportMutationTests/testUnmutatedFixturesImportOrMutationChild"],
                   environment: environment, timeoutSeconds: 120)
    }

    /// The backtraces of a running (hung) process, taken by attaching gdb, or nil without gdb.
    static func gdbAttachBacktrace(_ pid: Int32) -> String? {
        guard let gdb else { return nil }
        return run(gdb, ["-batch", "-p", "\(pid)", "-ex", "thread apply all bt 40"], environment: nil, timeoutSeconds: 60)
    }

    /// The combined output of a command (stopped after `timeoutSeconds`), or nil if it cannot start.
    private static func run(_ tool: String, _ arguments: [String], environment: [String: String]?, timeoutSeconds: Double) -> String? {
        let child = ChildProcess(tool, arguments, environment: environment, mergeStandardError: true)
        return (try? child.run(timeout: timeoutSeconds))?.stdout
    }

    // MARK: Child

    /// On its own: every unmutated fixture imports with the options the mutation test uses (so
    /// the mutants start from files that are valid). As the child process of
    /// `testMutatedFixturesGiveADatasetOrAnError` (CIRCUITFIT_MUTATION_CHILD set): imports a range
    /// of mutants and reports each outcome.
    func testUnmutatedFixturesImportOrMutationChild() throws {
        guard let spec = ProcessInfo.processInfo.environment["CIRCUITFIT_MUTATION_CHILD"] else {
            for file in Self.fixtures {
                let (dataset, _) = try RecordingImporter.importRecording(url: ImportFixtures.url(file), options: Self.options(for: file))
                XCTAssertGreaterThan(dataset.recorded?.d2 ?? 0, 0, "\(file): no recorded neurons imported")
                XCTAssertGreaterThan(dataset.conditions, 0, "\(file): no conditions imported")
            }
            return
        }
        let parts = spec.split(separator: ",", maxSplits: 4).map(String.init)
        guard parts.count == 5, let fixture = Int(parts[0]), let from = Int(parts[1]), let count = Int(parts[2]) else {
            return XCTFail("bad CIRCUITFIT_MUTATION_CHILD '\(spec)'")
        }
        let progress = try FileHandle(forWritingTo: URL(fileURLWithPath: parts[3]))
        defer { try? progress.close() }
        func report(_ line: String) {
            progress.write(Data((line + "\n").utf8))
            try? progress.synchronize()
        }
        let file = Self.fixtures[fixture]
        let original = try FileContents.read(ImportFixtures.url(file))
        for index in from..<count {
            let url = URL(fileURLWithPath: parts[4]).appendingPathComponent("m\(index)-" + file)
            try Data(Self.mutate(original, fixture: fixture, index: index)).write(to: url)
            report("begin \(index)")
            let start = Date()
            func seconds() -> String { String(format: "%.4f", Date().timeIntervalSince(start)) }
            do {
                _ = try RecordingImporter.importRecording(url: url, options: Self.options(for: file))
                report("dataset \(index) \(seconds())")
            } catch is CircuitFitError {
                report("error \(index) \(seconds())")
            } catch {
                report("other \(index): \(error)".replacingOccurrences(of: "\n", with: " "))
            }
            try? FileManager.default.removeItem(at: url)
        }
    }
}
