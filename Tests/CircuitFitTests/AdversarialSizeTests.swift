import Foundation
import XCTest
@testable import CircuitFitCore
@testable import CircuitFitImport

/// Sizes no machine can hold, values that used to trap in a conversion (SIGILL) and values that
/// used to hang: each must be refused up front with a clean one-line error naming the size, and
/// leave no --out behind. Sizes are chosen beyond any machine (TB), so the result does not depend
/// on the memory of the one running the test.
final class AdversarialSizeTests: AdversarialTestCase {
    private func config(_ json: String, _ name: String = "config.json") throws -> String {
        try writeJSON(json, to: name)
    }

    func testSizesBeyondMemoryAreRefusedUpFront() throws {
        let out = path("out")
        try expectCleanError("sizes", ["generate", "--out", out, "--neurons", "1000000"], mentions: ["N = 1000000", "needs about", "TB"], out: out)
        try expectCleanError("sizes", ["generate", "--out", out, "--neurons", "3000000000"], mentions: ["neurons", "3000000000"], out: out)
        for (json, mention) in [(#"{"trainingAngles": 100000000}"#, "200000000 conditions"), (#"{"preparatoryMs": 1e9}"#, "preparatoryMs"),
                                (#"{"muscles": 100000000}"#, "100000000 muscles"), (#"{"movementMs": 1e300}"#, "movementMs"),
                                (#"{"neurons": 1e30}"#, "'neurons' must be a whole number")] {
            try expectCleanError("sizes", ["generate", "--out", out, "--config", try config(json)], mentions: [mention], out: out)
        }
        let dataset = try smallDataset().path
        let fit = path("fit")
        try expectCleanError("sizes", ["train", dataset, "--out", fit, "--hidden", "1000000", "--record", "5", "--iterations", "10"], mentions: ["H = 1000000", "needs about"], out: fit)
        try expectCleanError("sizes", ["train", dataset, "--out", fit, "--hidden", "20", "--record", "5", "--iterations", "9223372036854775807"],
                             mentions: ["9223372036854775807 iterations", "needs more than 9 EB"], out: fit)
        try expectCleanError("sizes", ["train", dataset, "--out", fit, "--record", "4611686018427387904"], mentions: ["M = 4611686018427387904"], out: fit)
        try expectCleanError("sizes", ["train", dataset, "--out", fit, "--fit-config", try config(#"{"hidden": 1e30}"#, "fit.json")], mentions: ["'hidden' must be a whole number"], out: fit)
    }

    /// A recording of 400 units × 40 conditions imported with 1 µs bins over a 1 s window: about
    /// 640 GB of arrays (the bin cap alone allowed it).
    func testImportBinsTimesUnitsTimesConditionsIsBounded() throws {
        let recording = try Self.manyUnitRecording(in: scratch, units: 400, conditions: 40)
        let out = path("many.npz")
        try expectCleanError("sizes", ["import", recording, "--out", out, "--bin-ms", "0.001", "--window-ms", "-400,600"],
                             mentions: ["40 conditions × 1000000 bins", "400 units", "needs about"], out: out)
        // the same recording at sane bins imports
        let r = try expectHandled("sizes", ["import", recording, "--out", out, "--bin-ms", "20", "--window-ms", "-400,600"])
        XCTAssertEqual(r.status, 0)
        let data = try ReachDataset.read(from: URL(fileURLWithPath: out))
        XCTAssertEqual(data.recorded?.shape, [40, 50, 400])
        try expectCleanError("sizes", ["import", recording, "--out", path("w.npz"), "--window-ms", "-1e300,1e300"], mentions: ["bins", "at most 1000000"], out: path("w.npz"))
        try expectCleanError("sizes", ["import", recording, "--out", path("b.npz"), "--bin-ms", "1e-300"], mentions: ["binMs must be between"], out: path("b.npz"))
    }

    /// Values that trapped in an Int32 or Int conversion (SIGILL) or hung (OpenBLAS starting
    /// 100000 threads; 5·10⁹ RK4 sub-steps per step; a kernel wider than the data).
    func testTrapsAndHangs() throws {
        let dataset = try smallDataset().path
        let out = path("out")
        for threads in ["3000000000", "100000", "0", "-1", "9223372036854775807"] {
            try expectCleanError("traps", ["generate", "--out", out, "--neurons", "20", "--threads", threads], mentions: ["--threads", threads], out: out, timeout: 10)
            try expectCleanError("traps", ["train", dataset, "--out", out, "--threads", threads] + Self.quickFit, mentions: ["--threads", threads], out: out, timeout: 10)
            try expectCleanError("traps", ["evaluate", out, dataset, "--threads", threads], mentions: ["--threads", threads], timeout: 10)
        }
        try expectCleanError("hangs", ["generate", "--out", out, "--config", try config(#"{"neurons": 20, "integrationStepMs": 1e-9}"#)], mentions: ["integrationStepMs", "at most 1000"], out: out, timeout: 10)
        try expectCleanError("hangs", ["generate", "--out", out, "--config", try config(#"{"neurons": 20, "dtMs": 1e300, "integrationStepMs": 1e299}"#)], mentions: ["preparatoryMs and movementMs"], out: out, timeout: 10)
        try expectCleanError("traps", ["generate", "--out", out, "--config", try config(#"{"neurons": 20, "preparatoryMs": 1e300}"#)], mentions: ["preparatoryMs / dtMs"], out: out, timeout: 10)
        try expectCleanError("traps", ["train", dataset, "--out", out, "--lambda", "nan"] + Self.quickFit, mentions: ["--lambda"], out: out, timeout: 10)

        // --smooth-ms 1e300 trapped converting the kernel width; now the kernel is flat over the
        // window: each bin holds the window's mean rate (what a Gaussian of infinite SD gives)
        let recording = try Self.manyUnitRecording(in: scratch, units: 3, conditions: 2)
        let plain = path("plain.npz"), smooth = path("smooth.npz")
        try expectHandled("traps", ["import", recording, "--out", plain, "--window-ms", "-100,100", "--bin-ms", "10", "--smooth-ms", "0"], timeout: 20)
        try expectHandled("traps", ["import", recording, "--out", smooth, "--window-ms", "-100,100", "--bin-ms", "10", "--smooth-ms", "1e300"], timeout: 20)
        let a = try ReachDataset.read(from: URL(fileURLWithPath: plain)).recorded!
        let b = try ReachDataset.read(from: URL(fileURLWithPath: smooth)).recorded!
        for c in 0..<a.d0 {
            for m in 0..<a.d2 {
                let mean = (0..<a.d1).map { a[c, $0, m] }.reduce(0, +) / Double(a.d1)
                for t in 0..<a.d1 { XCTAssertEqual(b[c, t, m], mean, accuracy: 1e-9 * max(1, abs(mean))) }
            }
        }
        // a kernel that would take days on a long fine grid is refused before smoothing
        try expectCleanError("hangs", ["import", recording, "--out", path("slow.npz"), "--window-ms", "-400,600", "--bin-ms", "0.001", "--smooth-ms", "100"],
                             mentions: ["smoothing", "operations"], out: path("slow.npz"), timeout: 20)
    }

    /// An NPZ recording (MAT/NPZ layout): `units` units with a few spikes each, `conditions`
    /// conditions of 2 trials, go cues 10 s apart.
    static func manyUnitRecording(in folder: URL, units: Int, conditions: Int) throws -> String {
        var random = SeededRandom(seed: 99)
        let trials = conditions * 2
        var times: [Double] = [], ends: [Int] = []
        for _ in 0..<units {
            for trial in 0..<trials {
                for _ in 0..<3 { times.append(10 * Double(trial + 1) + random.uniform() - 0.5) }
            }
            ends.append(times.count)
        }
        var a = NPZArchive(fileName: "many.npz")
        a.set("spike_times", NPYArray(times))
        a.set("spike_times_index", NPYArray(ends))
        a.set("trials_start_time", NPYArray((0..<trials).map { 10 * Double($0 + 1) - 1 }))
        a.set("trials_stop_time", NPYArray((0..<trials).map { 10 * Double($0 + 1) + 1 }))
        a.set("trials_go_cue_time", NPYArray((0..<trials).map { 10 * Double($0 + 1) }))
        a.set("trials_condition", NPYArray((0..<trials).map { Double($0 % conditions) }))
        let url = folder.appendingPathComponent("many-\(units)x\(conditions).npz")
        try a.write(to: url)
        return url.path
    }
}
