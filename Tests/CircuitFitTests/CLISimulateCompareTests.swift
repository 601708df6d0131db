import Foundation
import XCTest
@testable import CircuitFitCore
@testable import CircuitFitModel
@testable import CircuitFitAnalysis
@testable import CircuitFitFitting

/// `circuitfit simulate` and `circuitfit compare` end to end on a small fit (40 neurons, 4
/// training angles): simulate writes exactly the saved model's simulation, compare reproduces
/// evaluate's similarity scores bit for bit and the known answers of CCA, Procrustes and DSA, and
/// bad input gets one line naming the file, array and shapes.
final class CLISimulateCompareTests: CLITestCase {
    private var datasetPath: String!
    private var fitPath: String!

    override func setUpWithError() throws {
        try super.setUpWithError()
        datasetPath = try generateSmall() + "/dataset.npz"
        fitPath = path("fit")
        let r = try CLI.run(["train", datasetPath, "--out", fitPath, "--record", "6", "--hidden", "30", "--iterations", "60"])
        XCTAssertEqual(r.status, 0, r.summary)
    }

    private func archive(_ file: String) throws -> NPZArchive { try NPZArchive.read(from: URL(fileURLWithPath: file)) }

    private func json(_ text: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// simulate's arrays are the saved model run in process: rates and outputs equal exactly,
    /// predictions are offset + scale · the tied unit's rate.
    func testSimulateWritesTheSavedModelsSimulation() throws {
        let out = path("sim.npz")
        let r = try CLI.run(["simulate", fitPath, datasetPath, "--out", out])
        XCTAssertEqual(r.status, 0, r.summary)
        let sim = try archive(out)
        XCTAssertEqual(sim.names, ["rates", "outputs", "recorded_predictions", "t_ms", "recorded_neurons"])
        let model = try SavedModel.read(from: URL(fileURLWithPath: fitPath + "/model.npz"))
        let data = try ReachDataset.read(from: URL(fileURLWithPath: datasetPath))
        let expected = try simulate(spec: model.spec, parameters: model.parameters, inputs: data.inputs)
        let rates = try sim.array3("rates", data.conditions, data.steps, 30)
        let outputs = try sim.array3("outputs", data.conditions, data.steps, data.outputCount)
        XCTAssertEqual(rates.data, expected.rates.asDouble.data)
        XCTAssertEqual(outputs.data, expected.outputs.asDouble.data)
        let predictions = try sim.array3("recorded_predictions", data.conditions, data.steps, 6)
        for (m, unit) in model.spec.recordedUnits.enumerated() {
            for (c, t) in [(0, 0), (data.conditions - 1, data.steps - 1), (2, 50)] {
                let want = model.neuronOffset[m] + model.neuronScale[m] * rates[c, t, unit]
                XCTAssertEqual(predictions[c, t, m], want, accuracy: 1e-9 * max(1, abs(want)))
            }
        }
        XCTAssertEqual(try sim.vector("t_ms"), (0..<data.steps).map { Double($0) * data.dtMs })
        XCTAssertEqual(try sim.intVector("recorded_neurons"), model.recordedNeurons)
    }

    func testSimulateRefusesAnotherDatasetAndAMissingFolder() throws {
        var other = try ReachDataset.read(from: URL(fileURLWithPath: datasetPath))
        other.inputs = Array3(other.conditions, other.steps, 5, repeating: 0)
        try other.archive().write(to: URL(fileURLWithPath: path("other.npz")))
        let wrong = try CLI.run(["simulate", fitPath, path("other.npz"), "--out", path("sim.npz")])
        assertOneLineError(wrong, mentions: ["model.npz has 3 inputs", "other.npz has 5 input channels"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("sim.npz")))
        let nowhere = try CLI.run(["simulate", fitPath, datasetPath, "--out", path("missing/sim.npz")])
        assertOneLineError(nowhere, mentions: ["--out", "does not exist"])
    }

    /// compare on the model's rates against the circuit's, on the fit conditions, prints
    /// metrics.json's similarity scores exactly: the same metric code, nothing recomputed.
    func testCompareReproducesEvaluate() throws {
        XCTAssertEqual(try CLI.run(["simulate", fitPath, datasetPath, "--out", path("sim.npz")]).status, 0)
        let model = try SavedModel.read(from: URL(fileURLWithPath: fitPath + "/model.npz"))
        let fitConditions = try XCTUnwrap(model.split).fit.map(String.init).joined(separator: ",")
        let r = try CLI.run(["compare", path("sim.npz"), datasetPath, "--conditions", fitConditions, "--json"])
        XCTAssertEqual(r.status, 0, r.summary)
        let scores = try json(r.stdout)
        let metrics = try json(String(decoding: Data(contentsOf: URL(fileURLWithPath: fitPath + "/metrics.json")), as: UTF8.self))
        for key in ["cca_mean", "procrustes_distance", "procrustes_angular_distance"] {
            XCTAssertEqual((scores[key] as? NSNumber)?.doubleValue, (metrics[key] as? NSNumber)?.doubleValue, key)
        }
        XCTAssertEqual(scores["canonical_correlations"] as? [Double], metrics["canonical_correlations"] as? [Double])
        XCTAssertEqual((scores["a"] as? [String: Any])?["array"] as? String, "rates")
        XCTAssertEqual(scores["samples"] as? Int, 4 * 120)
        let dsa = try XCTUnwrap(scores["dsa_angular_distance"] as? Double)
        XCTAssert(dsa > 0 && dsa <= .pi / 2, "DSA angle \(dsa)")
    }

    /// A rotated, scaled copy has CCA 1 and Procrustes distance 0; the .npy and .npz forms of an
    /// array give the same scores; 2-D [samples, units] arrays work.
    func testCompareKnownAnswers() throws {
        var random = SeededRandom(seed: 11)
        let c = 3, t = 40, n = 8
        var x = Array3<Double>(c, t, n, repeating: 0)
        for i in x.data.indices { x.data[i] = random.normal() }
        // y = 2 · x · Q with Q a rotation in the (0, 1) plane and a swap of units 2 and 3
        var y = x
        let (cs, sn) = (cos(0.7), sin(0.7))
        for ci in 0..<c {
            for ti in 0..<t {
                y[ci, ti, 0] = 2 * (cs * x[ci, ti, 0] - sn * x[ci, ti, 1])
                y[ci, ti, 1] = 2 * (sn * x[ci, ti, 0] + cs * x[ci, ti, 1])
                y[ci, ti, 2] = 2 * x[ci, ti, 3]
                y[ci, ti, 3] = 2 * x[ci, ti, 2]
                for j in 4..<n { y[ci, ti, j] = 2 * x[ci, ti, j] }
            }
        }
        try NPZArchive(["x": NPYArray(x)]).write(to: URL(fileURLWithPath: path("x.npz")))
        try NPYFormat.encode(NPYArray(x)).write(to: URL(fileURLWithPath: path("x.npy")))
        try NPZArchive(["population": NPYArray(y), "t_ms": NPYArray([1.0])]).write(to: URL(fileURLWithPath: path("y.npz")))
        let r = try CLI.run(["compare", path("x.npz"), path("y.npz"), "--array-b", "population", "--components", "5", "--json"])
        XCTAssertEqual(r.status, 0, r.summary)
        let scores = try json(r.stdout)
        XCTAssertEqual(try XCTUnwrap(scores["cca_mean"] as? Double), 1, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(scores["procrustes_distance"] as? Double), 0, accuracy: 1e-6)
        XCTAssertEqual(scores["components_a"] as? Int, 5)
        // DSA: the copy has the same dynamics up to an orthogonal change of coordinates and a scale
        XCTAssertEqual(try XCTUnwrap(scores["dsa_angular_distance"] as? Double), 0, accuracy: 1e-4)
        XCTAssert(scores["dsa_skipped"] is NSNull)
        XCTAssertEqual((scores["dsa_settings"] as? [String: Any])?["components"] as? Int, 5)
        let skipped = try json(CLI.run(["compare", path("x.npz"), path("y.npz"), "--array-b", "population", "--no-dsa", "--json"]).stdout)
        XCTAssert(skipped["dsa_angular_distance"] is NSNull)
        XCTAssertEqual(skipped["dsa_skipped"] as? String, "--no-dsa")
        XCTAssertEqual(skipped["cca_mean"] as? Double, try json(CLI.run(["compare", path("x.npz"), path("y.npz"), "--array-b", "population", "--json"]).stdout)["cca_mean"] as? Double)
        let fromNPY = try CLI.run(["compare", path("x.npy"), path("y.npz"), "--array-b", "population", "--components", "5", "--json"])
        XCTAssertEqual(try json(fromNPY.stdout)["cca_mean"] as? Double, scores["cca_mean"] as? Double)

        let flatX = Matrix(rows: c * t, cols: n, data: x.data), flatY = Matrix(rows: c * t, cols: n, data: y.data)
        try NPZArchive(["a": NPYArray(flatX)]).write(to: URL(fileURLWithPath: path("fx.npz")))
        try NPZArchive(["b": NPYArray(flatY)]).write(to: URL(fileURLWithPath: path("fy.npz")))
        let flat = try CLI.run(["compare", path("fx.npz"), path("fy.npz")])
        XCTAssertEqual(flat.status, 0, flat.summary)
        XCTAssert(flat.stdout.contains("CCA mean (top 10 PCs)               1.0000"), flat.stdout)
        XCTAssert(flat.stdout.contains("DSA angular distance (rad)          — ([samples, units] arrays have no trials in time)"), flat.stdout)
    }

    func testCompareBadInputGetsOneLine() throws {
        let ones = Array3<Double>(2, 30, 4, repeating: 1)
        try NPZArchive(["rates": NPYArray(ones)]).write(to: URL(fileURLWithPath: path("a.npz")))
        try NPZArchive(["rates": NPYArray(Array3<Double>(2, 20, 4, repeating: 1))]).write(to: URL(fileURLWithPath: path("short.npz")))
        assertOneLineError(try CLI.run(["compare", path("a.npz"), path("short.npz")]),
                           mentions: ["a.npz 'rates' has shape [2, 30, 4]", "short.npz 'rates' has [2, 20, 4]", "same conditions and time steps"])

        var nan = ones
        nan[1, 7, 2] = .nan
        try NPZArchive(["rates": NPYArray(nan)]).write(to: URL(fileURLWithPath: path("nan.npz")))
        assertOneLineError(try CLI.run(["compare", path("a.npz"), path("nan.npz")]),
                           mentions: ["nan.npz", "'rates'", "[1, 7, 2]", "finite"])

        try NPZArchive(["u": NPYArray(ones), "v": NPYArray(ones)]).write(to: URL(fileURLWithPath: path("two.npz")))
        assertOneLineError(try CLI.run(["compare", path("two.npz"), path("a.npz")]), mentions: ["two.npz", "u, v", "--array-a"])

        try NPZArchive(["rates": NPYArray([1, 2, 3, 4], shape: [2, 2])]).write(to: URL(fileURLWithPath: path("int.npz")))
        assertOneLineError(try CLI.run(["compare", path("int.npz"), path("int.npz")]), mentions: ["int.npz", "integers"])

        assertOneLineError(try CLI.run(["compare", path("a.npz"), path("a.npz"), "--conditions", "0,5"]),
                           mentions: ["a.npz 'rates'", "condition 5 is out of range"])
    }
}

/// CIRCUITFIT_PROGRESS_INTERVAL sets how often a progress line is written when standard error is
/// not a terminal: 0 gives one per update, a long interval only the first and the last.
final class CLIProgressIntervalTests: CLITestCase {
    private func progressLines(interval: String) throws -> Int {
        setenv("CIRCUITFIT_PROGRESS_INTERVAL", interval, 1)
        defer { unsetenv("CIRCUITFIT_PROGRESS_INTERVAL") }
        let folder = "circuit-\(interval)"
        let r = try CLI.run(["generate", "--out", path(folder), "--neurons", "40"])
        XCTAssertEqual(r.status, 0, r.summary)
        return r.stderrLines.filter { $0.hasPrefix("stability optimisation: step") }.count
    }

    func testIntervalSetsTheCadence() throws {
        let every = try progressLines(interval: "0")
        let rare = try progressLines(interval: "100000")
        XCTAssertEqual(rare, 2, "a long interval shows the first and the last line")
        XCTAssertGreaterThan(every, 10, "interval 0 shows every optimisation step")
    }
}
