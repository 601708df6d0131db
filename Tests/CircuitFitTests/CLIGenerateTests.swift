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

/// `circuitfit generate` end to end: bad input gives one clean error line and leaves nothing
/// behind; a small run writes the files and arrays docs/files.md#generate lists.
final class CLIGenerateTests: CLITestCase {
    private let outputs: Set<String> = ["circuit.npz", "dataset.npz", "summary.json", "config.json"]

    func testUnknownConfigKeyNamesTheKey() throws {
        let config = try writeJSON(#"{"neurons": 40, "neuronz": 3}"#, to: "typo.json")
        let r = try CLI.run(["generate", "--out", path("out"), "--config", config])
        assertOneLineError(r, mentions: ["typo.json", "unknown key 'neuronz'"])
        assertNothingWritten(path("out"))

        // a nested typo, and a value of the wrong type, are named the same way
        let wrongType = try writeJSON(#"{"neurons": "many"}"#, to: "type.json")
        let r2 = try CLI.run(["generate", "--out", path("out"), "--config", wrongType])
        assertOneLineError(r2, mentions: ["type.json", "neurons"])
        assertNothingWritten(path("out"))
    }

    func testNegativeSizeFromTheFlagNamesTheValue() throws {
        let r = try CLI.run(["generate", "--out", path("out"), "--neurons", "-5"])
        assertOneLineError(r, mentions: ["neurons", "-5"])
        assertNothingWritten(path("out"))
        // the `=` spelling reaches the same check
        let r2 = try CLI.run(["generate", "--out", path("out"), "--neurons=-5"])
        assertOneLineError(r2, mentions: ["neurons", "-5"])
        assertNothingWritten(path("out"))
    }

    func testNegativeSizesInTheConfigFileNameKeyAndValue() throws {
        for (key, value) in [("neurons", "-5"), ("muscles", "-1"), ("trainingAngles", "-3")] {
            let config = try writeJSON("{\"\(key)\": \(value)}", to: "neg-\(key).json")
            let r = try CLI.run(["generate", "--out", path("out"), "--config", config])
            assertOneLineError(r, mentions: [key, value])
            assertNothingWritten(path("out"))
        }
    }

    func testUnwritableOutputFolderNamesThePath() throws {
        // root ignores permissions: make the folder impossible instead (its parent is a file)
        try Data("not a folder".utf8).write(to: scratch.appendingPathComponent("file"))
        let out = path("file/circuit")
        let r = try CLI.run(["generate", "--out", out, "--neurons", "40"])
        assertOneLineError(r, mentions: [out, "not a folder"])
        XCTAssertEqual(try String(contentsOfFile: path("file"), encoding: .utf8), "not a folder", "the file in the way must be untouched")

        // --out naming an existing file
        let r2 = try CLI.run(["generate", "--out", path("file"), "--neurons", "40"])
        assertOneLineError(r2, mentions: [path("file"), "not a folder"])

        // a folder the kernel will not create
        let proc = "/proc/circuitfit-test/out"
        let r3 = try CLI.run(["generate", "--out", proc, "--neurons", "40"])
        assertOneLineError(r3, mentions: [proc])
        XCTAssertFalse(FileManager.default.fileExists(atPath: proc))
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: scratch.path)), ["file"])
    }

    /// A write that fails half-way (dataset.npz cannot be replaced: a folder is in the way) rolls
    /// back the files already written (circuit.npz) and leaves no temporary file.
    func testFailedWriteRollsBackWhatWasWritten() throws {
        let out = path("out")
        try FileManager.default.createDirectory(atPath: out + "/dataset.npz", withIntermediateDirectories: true)
        let config = try writeJSON(#"{"neurons": 40, "trainingAngles": 4}"#, to: "small.json")
        let r = try CLI.run(["generate", "--out", out, "--config", config])
        XCTAssertEqual(r.errorLines.count, 1, r.summary)
        XCTAssert(r.errorLines.first?.contains(out + "/dataset.npz") == true, r.summary)
        XCTAssertNotEqual(r.status, 0)
        assertNothingWritten(out, except: ["dataset.npz"])
        XCTAssertEqual(temporaryFiles(in: out), [])
    }

    func testSmallGenerateWritesTheInterfaceFiles() throws {
        let config = try writeJSON(#"{"neurons": 40, "muscles": 2}"#, to: "small.json")
        let out = path("out")
        let r = try CLI.run(["generate", "--out", out, "--config", config, "--seed", "3"])
        XCTAssertEqual(r.status, 0, r.summary)
        XCTAssert(r.stdout.contains("wrote"), r.summary)
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: out)), outputs, "exactly the four files, no temporaries")

        var expected = CircuitConfig()
        expected.neurons = 40
        expected.muscles = 2
        expected.seed = 3
        let n = 40, ne = 20, c = 2 * expected.trainingAngles, k = 2
        let t = expected.preparatorySteps + expected.movementSteps

        let circuit = try NPZArchive.read(from: URL(fileURLWithPath: out + "/circuit.npz"))
        XCTAssertEqual(circuit["W"]?.shape, [n, n])
        XCTAssertEqual(circuit["excitatory"]?.shape, [n])
        XCTAssertEqual(try circuit.intVector("excitatory"), [Int](repeating: 1, count: ne) + [Int](repeating: 0, count: n - ne))
        XCTAssertEqual(circuit["x0"]?.shape, [c, n])
        XCTAssertEqual(circuit["readout"]?.shape, [k, n])
        XCTAssertEqual(circuit["readout_bias"]?.shape, [k])
        XCTAssertEqual(try circuit.scalar("tau_ms"), expected.tauMs)
        XCTAssertEqual(try circuit.scalar("r0_hz"), expected.r0Hz)
        XCTAssertEqual(try circuit.scalar("rmax_hz"), expected.rmaxHz)
        // row = postsynaptic, Dale's law on the columns
        let w = try circuit.matrix("W")
        for i in 0..<n { for j in 0..<n { XCTAssert(j < ne ? w[i, j] >= 0 : w[i, j] <= 0) } }

        let dataset = try NPZArchive.read(from: URL(fileURLWithPath: out + "/dataset.npz"))
        XCTAssertEqual(dataset["inputs"]?.shape.prefix(2), [c, t])
        XCTAssertEqual(dataset["inputs"]?.shape.count, 3)
        XCTAssertEqual(dataset["targets"]?.shape, [c, t, k])
        XCTAssertEqual(dataset["rates"]?.shape, [c, t, n])
        XCTAssertEqual(dataset["angles"]?.shape, [c])
        XCTAssertEqual(try dataset.intVector("train"), [Int](repeating: 1, count: c / 2) + [Int](repeating: 0, count: c / 2))
        XCTAssertEqual(try dataset.scalar("dt_ms"), expected.dtMs)
        XCTAssertEqual(try dataset.intScalar("go_index"), expected.preparatorySteps)
        let angles = try dataset.vector("angles")
        XCTAssert(angles.allSatisfy { $0 >= 0 && $0 < 2 * Double.pi }, "angles in radians: \(angles)")
        XCTAssertEqual(angles[1] - angles[0], 2 * Double.pi / Double(expected.trainingAngles), accuracy: 1e-12)
        // and `train` can read it back
        let reach = try ReachDataset.read(from: URL(fileURLWithPath: out + "/dataset.npz"))
        XCTAssertEqual(reach.trainingConditions.count, c / 2)

        let summary = try jsonObject(out + "/summary.json")
        for key in ["spectral_abscissa_initial", "spectral_abscissa_final", "optimization_steps", "neurons", "conditions", "muscles"] {
            XCTAssertNotNil(summary[key], "summary.json lacks \(key)")
        }
        XCTAssertEqual((summary["neurons"] as? NSNumber)?.intValue, n)
        XCTAssertEqual((summary["conditions"] as? NSNumber)?.intValue, c)
        XCTAssertEqual((summary["muscles"] as? NSNumber)?.intValue, k)
        XCTAssertLessThan((summary["spectral_abscissa_final"] as? NSNumber)?.doubleValue ?? 99, expected.targetSpectralAbscissa + 1e-12)

        // config.json: version, seed, and the FULL configuration (defaults included)
        let record = try jsonObject(out + "/config.json")
        XCTAssertEqual(record["circuitfit_version"] as? String, CircuitFitVersion.string)
        XCTAssertEqual(record["command"] as? String, "generate")
        XCTAssertEqual((record["seed"] as? NSNumber)?.intValue, 3)
        let written = try XCTUnwrap(record["config"] as? [String: Any])
        let allKeys = try XCTUnwrap(JSONSerialization.jsonObject(with: JSONEncoder().encode(CircuitConfig())) as? [String: Any]).keys
        XCTAssertEqual(Set(written.keys), Set(allKeys), "config.json must list every parameter")
        let decoded = try JSONDecoder().decode(CircuitConfig.self, from: JSONSerialization.data(withJSONObject: written))
        XCTAssertEqual(decoded, expected)
        // fed back as --config, it reproduces the same circuit
        let reuse = try writeJSON(String(decoding: JSONSerialization.data(withJSONObject: written), as: UTF8.self), to: "reuse.json")
        let again = try CLI.run(["generate", "--out", path("again"), "--config", reuse])
        XCTAssertEqual(again.status, 0, again.summary)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out + "/circuit.npz")),
                       try Data(contentsOf: URL(fileURLWithPath: path("again/circuit.npz"))))
    }

    private func jsonObject(_ path: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }
}
