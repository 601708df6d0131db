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

/// `circuitfit train` on bad input: each case is ONE `error: …` line naming the array or value
/// (expected vs actual), exit code ≠ 0, and no output left in --out (the folder is not created).
final class CLITrainInputTests: CLITestCase {
    /// A small generated dataset (40 neurons, 8 conditions of 120 steps, 3 muscles).
    private var dataset: NPZArchive!
    private var datasetPath: String!

    override func setUpWithError() throws {
        try super.setUpWithError()
        datasetPath = try generateSmall() + "/dataset.npz"
        dataset = try NPZArchive.read(from: URL(fileURLWithPath: datasetPath))
        XCTAssertEqual(dataset["targets"]?.shape, [8, 120, 3])
        XCTAssertEqual(dataset["rates"]?.shape, [8, 120, 40])
    }

    /// Runs `train <dataset> --out <scratch>/fit args…` with few iterations (it must fail before
    /// training anyway), and checks the error and that nothing was written.
    @discardableResult
    private func trainFails(_ dataset: String, _ args: [String], mentions: [String],
                            file: StaticString = #filePath, line: UInt = #line) throws -> CLIResult {
        let out = path("fit")
        let r = try CLI.run(["train", dataset, "--out", out, "--iterations", "5", "--hidden", "40"] + args)
        assertOneLineError(r, mentions: mentions, file: file, line: line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "bad input must fail before --out is created: \(r.summary)", file: file, line: line)
        assertNothingWritten(out, file: file, line: line)
        return r
    }

    /// The small dataset with arrays replaced and removed, written as `name`.
    private func modifiedDataset(_ name: String, replacing: [String: NPYArray] = [:], removing: Set<String> = []) throws -> String {
        var a = NPZArchive(fileName: name)
        for key in dataset.names where !removing.contains(key) { a.set(key, replacing[key] ?? dataset[key]!) }
        try a.write(to: URL(fileURLWithPath: path(name)))
        return path(name)
    }

    func testTheUnmodifiedDatasetTrains() throws {
        // the control: the fixture itself is fine, so each failure below is the one change's
        let r = try CLI.run(["train", datasetPath, "--out", path("fit"), "--iterations", "5", "--hidden", "40"])
        XCTAssertEqual(r.status, 0, r.summary)
        for file in ["model.npz", "metrics.json", "history.csv", "config.json"] {
            XCTAssert(FileManager.default.fileExists(atPath: path("fit/" + file)), "\(file) missing")
        }
        XCTAssertEqual(temporaryFiles(in: path("fit")), [])
    }

    func testMissingArrayIsNamed() throws {
        let file = try modifiedDataset("no-targets.npz", removing: ["targets"])
        try trainFails(file, [], mentions: ["no-targets.npz", "missing array 'targets'"])
        let noRates = try modifiedDataset("no-rates.npz", removing: ["rates"])
        try trainFails(noRates, [], mentions: ["no-rates.npz", "rates", "recorded"])
    }

    func testWrongShapesNameExpectedAndActual() throws {
        // targets for 5 conditions where inputs have 8
        let targets = try dataset.array3("targets", nil, nil, nil)
        let five = Array3(5, targets.d1, targets.d2, data: Array(targets.data.prefix(5 * targets.d1 * targets.d2)))
        let file = try modifiedDataset("five.npz", replacing: ["targets": NPYArray(five)])
        try trainFails(file, [], mentions: ["five.npz", "'targets'", "[5, 120, 3]", "[8, 120, K]"])

        // rates with one time step too few
        let rates = try dataset.array3("rates", nil, nil, nil)
        var short = Array3<Double>(8, 119, 40, repeating: 0)
        for c in 0..<8 { for t in 0..<119 { for n in 0..<40 { short[c, t, n] = rates[c, t, n] } } }
        let file2 = try modifiedDataset("short.npz", replacing: ["rates": NPYArray(short)])
        try trainFails(file2, [], mentions: ["short.npz", "'rates'", "[8, 119, 40]", "[8, 120, N]"])

        // targets as a 2-D array
        let flat = NPYArray(targets.data, shape: [8, 360])
        let file3 = try modifiedDataset("flat.npz", replacing: ["targets": flat])
        try trainFails(file3, [], mentions: ["flat.npz", "'targets'", "[8, 360]", "3 dimensions"])
    }

    func testMoreRecordedNeuronsThanTheCircuitHas() throws {
        try trainFails(datasetPath, ["--record", "1000"], mentions: ["M = 1000", "40"])
    }

    func testRecordedIndicesOutOfRange() throws {
        try trainFails(datasetPath, ["--neurons", "0,5,999"], mentions: ["999", "0..<40"])
        try trainFails(datasetPath, ["--neurons", "-1,5"], mentions: ["-1", "0..<40"])
        try trainFails(datasetPath, ["--neurons", "3,3"], mentions: ["3", "twice"])
        try trainFails(datasetPath, ["--neurons", "1,x"], mentions: ["--neurons", "'x'"])
    }

    func testNaNInTargetsIsLocated() throws {
        var targets = try dataset.array3("targets", nil, nil, nil)
        targets[2, 7, 1] = .nan
        let file = try modifiedDataset("nan.npz", replacing: ["targets": NPYArray(targets)])
        try trainFails(file, [], mentions: ["nan.npz", "'targets'", "nan", "[2, 7, 1]"])
        targets[2, 7, 1] = .infinity
        let file2 = try modifiedDataset("inf.npz", replacing: ["targets": NPYArray(targets)])
        try trainFails(file2, [], mentions: ["inf.npz", "'targets'", "inf", "[2, 7, 1]"])
    }

    func testNegativeLambda() throws {
        try trainFails(datasetPath, ["--lambda", "-1"], mentions: ["lambda", "≥ 0", "-1"])
        let config = try writeJSON(#"{"lambda": -0.5}"#, to: "fit.json")
        try trainFails(datasetPath, ["--fit-config", config], mentions: ["lambda", "-0.5"])
    }

    func testOtherBadValuesAreNamed() throws {
        try trainFails(datasetPath, ["--record", "-3"], mentions: ["record", "-3"])
        try trainFails(datasetPath, ["--learning-rate", "-0.1"], mentions: ["learningRate", "-0.1"])
        try trainFails(datasetPath, ["--mapping", "cubic"], mentions: ["--mapping", "cubic"])
        try trainFails(datasetPath, ["--threads", "0"], mentions: ["--threads", "0"])
        try trainFails(datasetPath, ["--bogus"], mentions: ["--bogus"])
        let typo = try writeJSON(#"{"lamda": 1}"#, to: "typo.json")
        try trainFails(datasetPath, ["--fit-config", typo], mentions: ["typo.json", "unknown key 'lamda'"])
    }

    func testTruncatedOrNonNPYDatasetFile() throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: datasetPath))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: path("truncated.npz")))
        try trainFails(path("truncated.npz"), [], mentions: ["truncated.npz", "truncated"])

        try Data("inputs,targets\n1,2\n".utf8).write(to: URL(fileURLWithPath: path("text.npz")))
        try trainFails(path("text.npz"), [], mentions: ["text.npz", "not a NumPy .npz"])

        // a valid ZIP whose entry is not an .npy array
        let zip = ZipWriter.archive([ZipEntry(name: "inputs.npy", bytes: Array("just text".utf8))])
        try Data(zip).write(to: URL(fileURLWithPath: path("notnpy.npz")))
        try trainFails(path("notnpy.npz"), [], mentions: ["notnpy.npz", "'inputs'", ".npy"])

        try trainFails(path("absent.npz"), [], mentions: [path("absent.npz"), "No such file"])
    }
}
