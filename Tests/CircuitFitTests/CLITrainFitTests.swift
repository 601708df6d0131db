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

/// `circuitfit train` end to end on a small generated circuit (60 neurons, 8 training and 8
/// held-out reach conditions): the fit reaches its targets, model.npz re-simulates in NumPy,
/// runs are bit-reproducible, divergence stops cleanly, and config.json reproduces a fit.
final class CLITrainFitTests: CLITestCase {
    private var datasetPath: String!

    override func setUpWithError() throws {
        try super.setUpWithError()
        datasetPath = try generateSmall(json: #"{"neurons": 60}"#) + "/dataset.npz"
    }

    /// `train` into `folder` with `args`; fails the test unless it succeeds.
    @discardableResult
    private func train(_ folder: String, _ args: [String], dataset: String? = nil, file: StaticString = #filePath, line: UInt = #line) throws -> CLIResult {
        let r = try CLI.run(["train", dataset ?? datasetPath, "--out", path(folder)] + args)
        XCTAssertEqual(r.status, 0, r.summary, file: file, line: line)
        return r
    }

    private func bytes(_ file: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path(file))) }

    private func jsonObject(_ file: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: bytes(file)) as? [String: Any])
    }

    /// Normalised MSE Σ(p − y)² / Σ(y − mean_channel y)² over the given (c, t, channel) samples.
    private func nmse(_ pairs: [(channel: Int, predicted: Double, target: Double)], channels: Int) -> Double {
        var sum = [Double](repeating: 0, count: channels), count = [Double](repeating: 0, count: channels)
        for p in pairs { sum[p.channel] += p.target; count[p.channel] += 1 }
        var sse = 0.0, sst = 0.0
        for p in pairs {
            sse += (p.predicted - p.target) * (p.predicted - p.target)
            let d = p.target - sum[p.channel] / count[p.channel]
            sst += d * d
        }
        return sse / sst
    }

    /// Training drives the task error below 1 % NMSE on the training conditions, and with
    /// M = 20, λ = 1 the recorded units match their recordings (NMSE < 5 %): checked both in
    /// metrics.json and independently from model.npz re-simulated against dataset.npz.
    func testFitReachesTaskAndRecordingTargets() throws {
        let r = try train("fit", ["--record", "20", "--lambda", "1", "--hidden", "100", "--iterations", "1500", "--learning-rate", "0.005"])
        XCTAssert(r.stdout.contains("output NMSE"), r.summary)
        let metrics = try jsonObject("fit/metrics.json")
        let taskNMSE = try XCTUnwrap((metrics["output_nmse_train"] as? NSNumber)?.doubleValue)
        let recordedNMSE = try XCTUnwrap((metrics["recorded_nmse_train"] as? NSNumber)?.doubleValue)
        XCTAssertLessThan(taskNMSE, 0.01)
        XCTAssertLessThan(recordedNMSE, 0.05)
        for key in ["output_nmse_heldout", "cca_mean", "cca_mean_heldout", "procrustes_distance", "heldout_neuron_r2"] {
            XCTAssertNotNil(metrics[key], "metrics.json lacks \(key)")
        }

        // independently: load the saved model, simulate, compare with the dataset
        let model = try SavedModel.read(from: URL(fileURLWithPath: path("fit/model.npz")))
        let data = try ReachDataset.read(from: URL(fileURLWithPath: datasetPath))
        XCTAssertEqual(model.spec.hidden, 100)
        XCTAssertEqual(model.recordedNeurons.count, 20)
        XCTAssertEqual(Set(model.recordedNeurons).count, 20)
        XCTAssert(model.recordedNeurons.allSatisfy { (0..<60).contains($0) })
        XCTAssertEqual(model.spec.alpha, data.dtMs / FitConfig().tauMs, accuracy: 1e-12)
        let split = try XCTUnwrap(model.split)
        XCTAssertEqual(split.fit, data.trainingConditions)
        XCTAssertEqual(split.heldOut, data.heldOutConditions)

        let (rates, outputs) = try simulate(spec: model.spec, parameters: model.parameters, inputs: data.inputs)
        let truth = data.rates!
        var task: [(channel: Int, predicted: Double, target: Double)] = []
        var neural: [(channel: Int, predicted: Double, target: Double)] = []
        for c in split.fit {
            for t in 0..<data.steps {
                for k in 0..<data.outputCount { task.append((k, Double(outputs[c, t, k]), data.targets[c, t, k])) }
                for (m, n) in model.recordedNeurons.enumerated() {
                    let unit = model.spec.recordedUnits[m]
                    let y = (truth[c, t, n] - model.neuronOffset[m]) / model.neuronScale[m]
                    neural.append((m, Double(rates[c, t, unit]), y))
                }
            }
        }
        let independentTask = nmse(task, channels: data.outputCount)
        let independentNeural = nmse(neural, channels: 20)
        XCTAssertLessThan(independentTask, 0.01)
        XCTAssertLessThan(independentNeural, 0.05)
        XCTAssertEqual(independentTask, taskNMSE, accuracy: 1e-6 + 1e-3 * taskNMSE, "metrics.json and model.npz disagree")
        XCTAssertEqual(independentNeural, recordedNMSE, accuracy: 1e-6 + 1e-3 * recordedNMSE, "metrics.json and model.npz disagree")
        // default normalisation: offset 0, scale = the neuron's largest |rate| on training conditions
        for (m, n) in model.recordedNeurons.enumerated() {
            var maxAbs = 0.0
            for c in split.fit { for t in 0..<data.steps { maxAbs = max(maxAbs, abs(truth[c, t, n])) } }
            XCTAssertEqual(model.neuronOffset[m], 0)
            XCTAssertEqual(model.neuronScale[m], maxAbs, accuracy: 1e-12 * maxAbs)
        }
        // the learning curve: history.csv has one row per iteration and the task loss fell
        let history = try String(contentsOfFile: path("fit/history.csv"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(history.first, "iteration,loss_total,loss_task,loss_neural,loss_validation,seconds,evaluations,relative_change")
        XCTAssertEqual(history.count, 1 + 1500)
        let firstTask = Double(history[1].split(separator: ",", omittingEmptySubsequences: false)[2])!
        let lastTask = Double(history[1500].split(separator: ",", omittingEmptySubsequences: false)[2])!
        XCTAssertLessThan(lastTask, firstTask / 20)
    }

    /// model.npz re-simulated in ten lines of NumPy (docs/files.md#modelnpz's formula, float64) gives our
    /// outputs z (and rates tanh h) on every condition to 1e-4.
    func testModelReSimulatedInNumPyMatchesOurSimulation() throws {
        try PythonReference.requireNumPy()
        try train("fit", ["--record", "10", "--hidden", "50", "--iterations", "200", "--learning-rate", "0.01"])
        let script = """
            import sys, numpy as np
            m, d = np.load(sys.argv[1]), np.load(sys.argv[2])
            u = d['inputs']; C, T, _ = u.shape; a = float(m['alpha'])
            h = np.tile(m['h0'], (C, 1)); z = np.zeros((C, T, m['C'].shape[0])); r = np.zeros((C, T, m['J'].shape[0]))
            for t in range(T):
                r[:, t] = np.tanh(h)
                z[:, t] = r[:, t] @ m['C'].T + m['d']
                h = (1 - a) * h + a * (r[:, t] @ m['J'].T + u[:, t] @ m['B'].T + m['b'])
            np.savez(sys.argv[3], z=z, r=r)
            """
        try script.write(toFile: path("resimulate.py"), atomically: true, encoding: .utf8)
        let py = try XCTUnwrap(PythonReference.run(
            [path("resimulate.py"), path("fit/model.npz"), datasetPath, path("numpy.npz")]))
        XCTAssertEqual(py.status, 0, "python failed: \(py.err)")

        let reference = try NPZArchive.read(from: URL(fileURLWithPath: path("numpy.npz")))
        let model = try SavedModel.read(from: URL(fileURLWithPath: path("fit/model.npz")))
        let data = try ReachDataset.read(from: URL(fileURLWithPath: datasetPath))
        let (rates, outputs) = try simulate(spec: model.spec, parameters: model.parameters, inputs: data.inputs)
        let z = try reference.array3("z", data.conditions, data.steps, data.outputCount)
        let r = try reference.array3("r", data.conditions, data.steps, 50)
        var zError = 0.0, rError = 0.0, zScale = 0.0
        for i in 0..<z.data.count { zError = max(zError, abs(z.data[i] - Double(outputs.data[i]))); zScale = max(zScale, abs(z.data[i])) }
        for i in 0..<r.data.count { rError = max(rError, abs(r.data[i] - Double(rates.data[i]))) }
        XCTAssertGreaterThan(zScale, 0.1, "the outputs should not be trivially zero")
        XCTAssertLessThan(zError, 1e-4, "max |z_numpy − z_ours| over all \(data.conditions) conditions")
        XCTAssertLessThan(rError, 1e-4, "max |r_numpy − r_ours|")
        // and the model is the trained one, not the initial: its outputs fit the targets
        var task: [(channel: Int, predicted: Double, target: Double)] = []
        for c in data.trainingConditions { for t in 0..<data.steps { for k in 0..<data.outputCount { task.append((k, z[c, t, k], data.targets[c, t, k])) } } }
        XCTAssertLessThan(nmse(task, channels: data.outputCount), 0.5)
    }

    /// Same seed and thread count ⇒ bit-identical model.npz; another seed ⇒ a different one.
    func testSameSeedAndThreadsGiveBitIdenticalModel() throws {
        let args = ["--record", "10", "--hidden", "40", "--iterations", "100", "--noise", "0.05"]
        for threads in ["1", "2"] {
            try train("a\(threads)", args + ["--seed", "5", "--threads", threads])
            try train("b\(threads)", args + ["--seed", "5", "--threads", threads])
            XCTAssertEqual(try bytes("a\(threads)/model.npz"), try bytes("b\(threads)/model.npz"), "threads \(threads): same seed must give the same file")
            XCTAssertEqual(try bytes("a\(threads)/metrics.json"), try bytes("b\(threads)/metrics.json"))
        }
        try train("c", args + ["--seed", "6"])
        XCTAssertNotEqual(try bytes("a1/model.npz"), try bytes("c/model.npz"), "a different seed must change the fit")
        let a = try NPZArchive.read(from: URL(fileURLWithPath: path("a1/model.npz")))
        let c = try NPZArchive.read(from: URL(fileURLWithPath: path("c/model.npz")))
        XCTAssertNotEqual(try a.intVector("recorded_neurons"), try c.intVector("recorded_neurons"), "the seed draws the recorded neurons")
    }

    /// CIRCUITFIT_NO_AVX2=1 runs the portable BLAS and Swift paths: reproducible to the bit
    /// there too, and the same fit as the AVX2 kernels' to Float32 rounding carried through
    /// training (where the CPU has them, the two files differ in their last bits).
    func testPortablePathWithoutTheAVX2KernelsIsReproducibleAndAgrees() throws {
        let args = ["train", datasetPath!, "--record", "10", "--hidden", "40", "--iterations", "100", "--seed", "5"]
        for folder in ["p1", "p2"] {
            let r = try CLI.runBounded(args + ["--out", path(folder)], environment: ["CIRCUITFIT_NO_AVX2": "1"])
            XCTAssertEqual(r.status, 0, r.summary)
        }
        try train("k", Array(args.dropFirst(2)))
        XCTAssertEqual(try bytes("p1/model.npz"), try bytes("p2/model.npz"), "the portable path must be bit-reproducible")
        func finalLoss(_ folder: String) throws -> Double {
            try XCTUnwrap(try jsonObject("\(folder)/config.json")["final_loss_total"] as? Double)
        }
        let portable = try finalLoss("p1"), kernels = try finalLoss("k")
        XCTAssertEqual(kernels, portable, accuracy: 1e-3 * portable, "final objective, kernels vs portable")
        if AVX2Kernels.isAvailable {
            XCTAssertNotEqual(try bytes("p1/model.npz"), try bytes("k/model.npz"), "the switch must change the path taken")
        }
    }

    /// A fit that blows up stops with a message naming the iteration, exits ≠ 0, keeps a
    /// checkpoint.npz with finite parameters and writes no model.npz.
    func testDivergenceStopsAndKeepsAFiniteCheckpoint() throws {
        // an absurd learning rate (from --fit-config): the first update explodes the weights
        let config = try writeJSON(#"{"learningRate": 1e30, "hidden": 40, "record": 10}"#, to: "explode.json")
        let r = try CLI.run(["train", datasetPath, "--out", path("fit"), "--fit-config", config, "--iterations", "300"])
        let iteration = try checkDiverged(r, folder: "fit")
        XCTAssertGreaterThan(iteration, 1, "the first loss is finite, so it must diverge later")
        // history.csv holds the iterations that had a finite loss
        let history = try String(contentsOfFile: path("fit/history.csv"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(history.count - 1, iteration - 1)

        // targets in huge units (×1e30, shifted by 1e30) no longer overflow: the fit trains on
        // standardised targets, and scores exactly as the same fit of the original targets
        let data = try NPZArchive.read(from: URL(fileURLWithPath: datasetPath))
        var huge = NPZArchive(fileName: "huge.npz")
        for name in data.names {
            if name == "targets" {
                huge.set(name, NPYArray(data[name]!.doubles.map { $0 * 1e30 + 1e30 }, shape: data[name]!.shape))
            } else {
                huge.set(name, data[name]!)
            }
        }
        try huge.write(to: URL(fileURLWithPath: path("huge.npz")))
        try train("fit2", ["--hidden", "40", "--record", "10", "--iterations", "50"], dataset: path("huge.npz"))
        try train("fit3", ["--hidden", "40", "--record", "10", "--iterations", "50"])
        let a = try jsonObject("fit2/metrics.json"), b = try jsonObject("fit3/metrics.json")
        for key in ["output_nmse_train", "output_nmse_heldout", "recorded_nmse_train", "cca_mean"] {
            let x = try XCTUnwrap((a[key] as? NSNumber)?.doubleValue), y = try XCTUnwrap((b[key] as? NSNumber)?.doubleValue)
            XCTAssertEqual(x, y, accuracy: 1e-4 * abs(y), key)
        }
    }

    /// The checks of a diverged run; returns the iteration its message names.
    private func checkDiverged(_ r: CLIResult, folder: String, file: StaticString = #filePath, line: UInt = #line) throws -> Int {
        XCTAssertNotEqual(r.status, 0, r.summary, file: file, line: line)
        XCTAssertEqual(r.errorLines.count, 1, r.summary, file: file, line: line)
        XCTAssertEqual(r.stderrLines.last, r.errorLines.first, "the error is the last line", file: file, line: line)
        let message = r.errorLines.first ?? ""
        XCTAssert(message.contains("checkpoint.npz"), message, file: file, line: line)
        guard let range = message.range(of: #"diverged at iteration [0-9]+"#, options: .regularExpression),
              let iteration = Int(message[range].split(separator: " ").last!)
        else {
            XCTFail("the message should name the iteration: \(message)", file: file, line: line)
            return -1
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path(folder + "/model.npz")), "no model.npz after divergence", file: file, line: line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path(folder + "/metrics.json")), file: file, line: line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path(folder + "/config.json")), file: file, line: line)
        XCTAssertEqual(temporaryFiles(in: path(folder)), [], file: file, line: line)
        let checkpoint = try SavedModel.read(from: URL(fileURLWithPath: path(folder + "/checkpoint.npz")))
        XCTAssert(checkpoint.parameters.isFinite, "the checkpoint must hold finite parameters", file: file, line: line)
        let data = try ReachDataset.read(from: URL(fileURLWithPath: datasetPath))
        let (_, z) = try simulate(spec: checkpoint.spec, parameters: checkpoint.parameters, inputs: data.inputs)
        XCTAssert(z.data.allSatisfy(\.isFinite), "the checkpoint's outputs must be finite", file: file, line: line)
        return iteration
    }

    /// The config.json a fit writes, fed back with --fit-config (its "config" object, or the whole
    /// file), reproduces the same model.npz without any other flag.
    func testConfigJSONReproducesTheFit() throws {
        try train("first", ["--record", "12", "--lambda", "0.5", "--hidden", "45", "--iterations", "120", "--seed", "9",
                            "--learning-rate", "0.004", "--mapping", "linear", "--beta-rate", "0.01", "--validation", "2"])
        let record = try jsonObject("first/config.json")
        XCTAssertEqual(record["circuitfit_version"] as? String, CircuitFitVersion.string)
        XCTAssertEqual((record["seed"] as? NSNumber)?.intValue, 9)
        let config = try XCTUnwrap(record["config"] as? [String: Any])
        let allKeys = try XCTUnwrap(JSONSerialization.jsonObject(with: JSONEncoder().encode(FitConfig())) as? [String: Any]).keys
        XCTAssertEqual(Set(config.keys), Set(allKeys), "config.json must hold the full FitConfig, defaults included")
        let decoded = try JSONDecoder().decode(FitConfig.self, from: JSONSerialization.data(withJSONObject: config))
        XCTAssertEqual(decoded.record, 12)
        XCTAssertEqual(decoded.lambda, 0.5)
        XCTAssertEqual(decoded.mapping, .linear)
        XCTAssertEqual(decoded.iterations, 120)
        XCTAssertFalse(decoded.earlyStopping, "--iterations means exactly that many steps")
        XCTAssertFalse(decoded.stopAtConvergence, "--iterations means exactly that many steps")
        XCTAssertEqual((record["iterations_run"] as? NSNumber)?.intValue, 120)
        XCTAssertNotNil(record["converged"] as? Bool)

        // the "config" object alone
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: path("fit.json")))
        try train("second", ["--fit-config", path("fit.json")])
        XCTAssertEqual(try bytes("first/model.npz"), try bytes("second/model.npz"))
        // the whole config.json
        try train("third", ["--fit-config", path("first/config.json")])
        XCTAssertEqual(try bytes("first/model.npz"), try bytes("third/model.npz"))
        let third = try XCTUnwrap(try jsonObject("third/config.json")["config"] as? [String: Any])
        XCTAssertEqual(NSDictionary(dictionary: third), NSDictionary(dictionary: config))
        // flags still override the file
        try train("fourth", ["--fit-config", path("first/config.json"), "--seed", "10"])
        XCTAssertNotEqual(try bytes("first/model.npz"), try bytes("fourth/model.npz"))
    }
}
