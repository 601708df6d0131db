import Foundation
import XCTest
@testable import CircuitFitCore
@testable import CircuitFitModel
@testable import CircuitFitAnalysis
@testable import CircuitFitImport
@testable import CircuitFitFitting

/// Data that used to train for minutes and then fail in the evaluation (losing the fit): NaN in
/// `recorded`, degenerate datasets, bad model files, and the small items (config errors, lists,
/// unit ids, NaN spike times). Degenerate data fail up front, before --out exists; NaN stays
/// allowed and is masked by the complete-neuron rule (docs/method.md § Missing samples).
final class AdversarialDataTests: AdversarialTestCase {
    /// The small dataset as a recording (`recorded`, `neuron_ids`) with missing samples: neuron 2
    /// missing on training condition 0, neuron 5 at three bins, neuron 9 on the held-out conditions.
    private func recordingWithGaps() throws -> (path: String, archive: NPZArchive) {
        let good = try smallDatasetArchive()
        let rates = good["rates"]!
        let (c, t, n) = (rates.shape[0], rates.shape[1], rates.shape[2])
        var values = rates.doubles
        func set(_ ci: Int, _ ti: Int, _ ni: Int) { values[(ci * t + ti) * n + ni] = .nan }
        for ti in 0..<t { set(0, ti, 2) }
        for (ci, ti) in [(1, 3), (2, 40), (3, 10)] { set(ci, ti, 5) }
        let train = try good.intVector("train")
        for ci in 0..<c where train[ci] == 0 { for ti in 0..<t { set(ci, ti, 9) } }
        var a = NPZArchive(fileName: "gaps.npz")
        for name in good.names where name != "rates" && name != "excitatory" { a.set(name, good[name]!) }
        a.set("recorded", NPYArray(values, shape: [c, t, n]))
        a.set("neuron_ids", NPYArray(Array(0..<n)))
        let url = scratch.appendingPathComponent("gaps.npz")
        try a.write(to: url)
        return (url.path, a)
    }

    func testNaNInRecordedThroughTrainAndEvaluate() throws {
        let (data, _) = try recordingWithGaps()
        let fit = path("fit")
        // neuron 5 (three missing bins) is recorded: training masks its missing samples
        try expectHandled("nan", ["train", data, "--out", fit, "--neurons", "0,5,7,11,13,17", "--hidden", "24", "--iterations", "60"])
        let metrics = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: fit + "/metrics.json"))) as! [String: Any]
        for key in ["output_nmse_train", "cca_mean", "procrustes_distance", "heldout_neuron_r2"] {
            let v = (metrics[key] as? NSNumber)?.doubleValue
            XCTAssert(v?.isFinite == true, "\(key) must be a finite number, got \(String(describing: metrics[key]))")
        }
        // held-out R² over the unrecorded neurons with no gap on training or held-out conditions
        XCTAssertEqual((metrics["heldout_neurons"] as? NSNumber)?.intValue, 30 - 6 - 2, "neurons 2 and 9 are left out of the held-out R²")
        let r = try expectHandled("nan", ["evaluate", fit, data, "--json"])
        XCTAssertFalse(r.stdout.contains("NaN"), "evaluate --json never writes NaN strings")
        let evaluated = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        XCTAssertEqual((evaluated["cca_mean"] as? NSNumber)?.doubleValue, (metrics["cca_mean"] as? NSNumber)?.doubleValue)
    }

    /// The masking rule against an independent NumPy computation: CCA and Procrustes of model
    /// rates against a population with gaps equal those against its complete neurons only.
    func testMaskingRuleAgreesWithNumPy() throws {
        try PythonReference.requireNumPy(scipy: true)
        let (_, archive) = try recordingWithGaps()
        let dataset = try ReachDataset(archive: archive)
        let population = dataset.recorded!
        let config = { var c = FitConfig(); c.hidden = 24; c.record = 6; return c }()
        let model = try prepareFit(dataset: dataset, config: config)
        let rates = try simulate(spec: model.spec, parameters: model.initialParameters, inputs: dataset.inputs).rates.asDouble
        let train = model.split.fit
        let scores = try DynamicsSimilarity().score(modelRates: rates, circuitRates: population, conditions: train)
        // identity: the same as scoring against the complete neurons explicitly
        let complete = MissingSamples.completeChannels(population, conditions: train)
        XCTAssertEqual(complete, (0..<30).filter { $0 != 2 && $0 != 5 })
        let explicit = try DynamicsSimilarity().score(
            model: stackConditions(rates, conditions: train), circuit: stackConditions(population, conditions: train, channels: complete))
        XCTAssertEqual(scores, explicit)
        // witness: NumPy drops the columns with NaN itself, then PCA (eigh) and CCA (Cholesky whitening)
        let script = """
            import scipy.linalg
            X, Y = load('model'), load('population')
            Y = Y[:, ~np.isnan(Y).any(axis=0)]
            def pc_scores(A, k):
                A = A - A.mean(0)
                w, V = np.linalg.eigh(A.T @ A)
                order = np.argsort(w)[::-1][:k]
                return A @ V[:, order]
            Sx, Sy = pc_scores(X, 10), pc_scores(Y, 10)
            Lx = np.linalg.cholesky(Sx.T @ Sx); Ly = np.linalg.cholesky(Sy.T @ Sy)
            rho = np.clip(np.linalg.svd(np.linalg.solve(Lx, Sx.T @ Sy) @ np.linalg.inv(Ly).T, compute_uv=False), 0, 1)
            def unit(A):
                A = A - A.mean(0)
                return A / np.linalg.norm(A)
            A, B = unit(Sx), unit(Sy)
            R, _ = scipy.linalg.orthogonal_procrustes(B, A)
            print(json.dumps({'cca': rho.tolist(), 'distance': float(np.linalg.norm(A - B @ R)), 'neurons': int(Y.shape[1])}))
            """
        let ref = try PythonReference.evaluate(script, arrays: [
            "model": PythonReference.matrix(try stackConditions(rates, conditions: train)),
            "population": PythonReference.matrix(try stackConditions(population, conditions: train)),
        ])
        XCTAssertEqual((ref["neurons"] as? NSNumber)?.intValue, 28)
        let rho = PythonReference.doubles(ref["cca"])
        XCTAssertEqual(rho.count, scores.canonicalCorrelations.count)
        for (a, b) in zip(scores.canonicalCorrelations, rho) { XCTAssertEqual(a, b, accuracy: 1e-7) }
        XCTAssertEqual(scores.procrustesDistance, PythonReference.doubles(ref["distance"]).first ?? .nan, accuracy: 1e-7)
    }

    func testDegenerateDataFailUpFront() throws {
        let good = try smallDatasetArchive()
        let fit = path("fit")
        func replaced(_ name: String, _ array: String, _ make: (NPYArray) -> NPYArray) throws -> String {
            try variant(name, of: good) { $0.set(array, make($0[array]!)) }
        }
        let rates = good["rates"]!
        // 30% of the samples missing at random: no neuron is complete
        var random = SeededRandom(seed: 30)
        var holes = rates.doubles
        for i in holes.indices where random.uniform() < 0.3 { holes[i] = .nan }
        let sparse = try variant("sparse.npz", of: good) { a in
            var b = NPZArchive(fileName: "sparse.npz")
            for n in a.names where n != "rates" { b.set(n, a[n]!) }
            b.set("recorded", NPYArray(holes, shape: rates.shape))
            a = b
        }
        let inputs = good["inputs"]!, targets = good["targets"]!
        let cases: [(String, [String])] = [
            (sparse, ["each of the 30 neurons has a missing (NaN) sample on the training conditions"]),
            (try replaced("constant.npz", "rates") { NPYArray([Double](repeating: 2, count: $0.count), shape: $0.shape) }, ["every neuron's rate is constant"]),
            (try replaced("flat-targets.npz", "targets") { NPYArray([Double](repeating: 1, count: $0.count), shape: $0.shape) }, ["targets: output channel 0 is constant", "leave the channel out"]),
            (try replaced("no-inputs.npz", "inputs") { NPYArray([Double](), shape: [$0.shape[0], $0.shape[1], 0]) }, ["'inputs' has no channels"]),
            (try replaced("zero-inputs.npz", "inputs") { NPYArray([Double](repeating: 0, count: $0.count), shape: $0.shape) }, ["'inputs' is 0 everywhere"]),
            (try replaced("same-inputs.npz", "inputs") { a in
                let block = a.shape[1] * a.shape[2]
                let first = Array(a.doubles[0..<block])
                return NPYArray((0..<a.shape[0]).flatMap { _ in first }, shape: a.shape)
            }, ["'inputs' is the same in every condition"]),
            (try variant("dt.npz", of: good) { $0.set("dt_ms", NPYArray(scalar: 1e-300)) }, ["dt_ms must be between"]),
            // one training condition of 8 steps around the go cue: too few samples for CCA on 10 components
            (try variant("short.npz", of: good) { a in
                func cut(_ x: NPYArray) -> NPYArray {
                    let c = x.shape[0], t = x.shape[1], k = x.shape[2]
                    let v: [Double] = x.doubles
                    var out: [Double] = []
                    for ci in 0..<c { for ti in 16..<24 { for j in 0..<k { out.append(v[(ci * t + ti) * k + j]) } } }
                    return NPYArray(out, shape: [c, 8, k])
                }
                for n in ["inputs", "targets", "rates"] { a.set(n, cut(a[n]!)) }
                a.set("go_index", NPYArray(scalar: 4))
                a.set("train", NPYArray([1] + [Int](repeating: 0, count: inputs.shape[0] - 1)))
            }, ["time steps in all", "need more than"]),
        ]
        _ = targets
        for (file, mentions) in cases {
            let start = Date()
            try expectCleanError("degenerate data", ["train", file, "--out", fit] + Self.quickFit, mentions: mentions, out: fit)
            XCTAssertLessThan(Date().timeIntervalSince(start), 10, "\(file) must fail before training")
        }
        // a 4-neuron circuit used to fail late (10 PCs asked of 4 neurons); now it is scored on its 4
        let tiny = path("tiny")
        try expectHandled("degenerate data", ["generate", "--out", tiny, "--neurons", "4", "--config", try writeJSON(#"{"trainingAngles": 4}"#, to: "tiny.json")])
        try expectHandled("degenerate data", ["train", tiny + "/dataset.npz", "--out", path("tiny-fit"), "--hidden", "10", "--record", "2", "--iterations", "20"])
    }

    /// `evaluate` checks the dataset against the model and the model file's own consistency.
    func testEvaluateChecksModelAndDataset() throws {
        let dataset = try smallDataset()
        let fit = path("fit")
        try CLI.run(["train", dataset.path, "--out", fit] + Self.quickFit)
        let model = try NPZArchive.read(from: URL(fileURLWithPath: fit + "/model.npz"))
        func brokenModel(_ name: String, _ change: (inout NPZArchive) -> Void) throws -> String {
            let folder = path(name)
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            var a = model
            change(&a)
            try a.write(to: URL(fileURLWithPath: folder + "/model.npz"))
            return folder
        }
        let neurons = try model.intVector("recorded_neurons")
        let cases: [(String, [String])] = [
            (try brokenModel("repeated") { $0.set("recorded_neurons", NPYArray([neurons[0]] + neurons.dropLast())) }, ["recorded_neurons lists neuron \(neurons[0]) more than once"]),
            (try brokenModel("zero-scale") { $0.set("neuron_scale", NPYArray([Double](repeating: 0, count: neurons.count))) }, ["neuron_scale[0] is 0.0"]),
            (try brokenModel("nan-J") { a in
                var j = a["J"]!.doubles; j[3] = .nan
                a.set("J", NPYArray(j, shape: a["J"]!.shape))
            }, ["array 'J' has a non-finite value"]),
            (try brokenModel("tau") { $0.set("tau_ms", NPYArray(scalar: 7.0)) }, ["alpha", "inconsistent"]),
            (try brokenModel("split") { $0.set("heldout_conditions", NPYArray([0])) }, ["condition 0 is in both"]),
        ]
        for (folder, mentions) in cases {
            try expectCleanError("evaluate checks", ["evaluate", folder, dataset.path], mentions: mentions)
        }
        let otherStep = try variant("dt2.npz", of: try smallDatasetArchive()) { $0.set("dt_ms", NPYArray(scalar: 2.5)) }
        try expectCleanError("evaluate checks", ["evaluate", fit, otherStep], mentions: ["dt_ms = 5.0", "dt_ms = 2.5"])
        // --json: every key present, undefined values null, no NaN strings
        let r = try expectHandled("evaluate checks", ["evaluate", fit, dataset.path, "--json"])
        XCTAssertFalse(r.stdout.contains("NaN") || r.stdout.contains("Infinity"), r.stdout)
        // a non-finite metric is written as null, and read back as NaN
        var metrics = try JSONDecoder().decode(FitMetrics.self, from: Data(contentsOf: URL(fileURLWithPath: fit + "/metrics.json")))
        metrics.ccaMean = .nan; metrics.canonicalCorrelations[0] = .infinity; metrics.outputNMSEHeldout = -.infinity
        let json = String(decoding: try OutputFolder.json(metrics), as: UTF8.self)
        XCTAssert(json.contains("\"cca_mean\" : null") && json.contains("\"output_nmse_heldout\" : null"), json)
        XCTAssertFalse(json.contains("NaN") || json.contains("Infinity"), json)
        let back = try JSONDecoder().decode(FitMetrics.self, from: Data(json.utf8))
        XCTAssert(back.ccaMean.isNaN && back.canonicalCorrelations[0].isNaN)
        XCTAssertNil(back.outputNMSEHeldout)
    }

    /// The small items: config errors name the key, lists with empty items, duplicate unit ids,
    /// NaN spike times recorded in the provenance.
    func testSmallItemsGiveClearErrors() throws {
        let dataset = try smallDataset().path
        let out = path("out")
        for (json, mentions) in [(#"{"neurons": 20.5}"#, ["'neurons' must be a whole number", "20.5"]),
                                 (#"{"neurons": 20, "muscles": 2, "neurons": 30}"#, ["'neurons' is given more than once"]),
                                 (#"{"neurons": "twenty"}"#, ["'neurons' must be a whole number", "\"twenty\""]),
                                 (#"{"neurons": 20,}"#, ["not valid JSON", "line 1"]),
                                 (#"{"tauMs": NaN}"#, ["not valid JSON", "NaN and Infinity are not JSON"])] {
            try expectCleanError("small items", ["generate", "--out", out, "--config", try writeJSON(json, to: "c.json")], mentions: mentions, out: out)
        }
        try expectCleanError("small items", ["generate", "--out", out, "--config", scratch.path], mentions: [scratch.path, "Is a directory"], out: out)
        try expectCleanError("small items", ["train", dataset, "--out", out, "--fit-config", try writeJSON(#"{"mapping": "sideways"}"#, to: "f.json")] + Self.quickFit,
                             mentions: ["'mapping'", "\"sideways\""], out: out)
        for list in [",", "3,,4", " ", "3,x"] {
            try expectCleanError("small items", ["train", dataset, "--out", out, "--neurons", list] + Self.quickFit, mentions: ["--neurons"], out: out)
        }
        // duplicate unit ids, and NaN/Inf spike times (counted in the provenance)
        var a = try NPZArchive.read(from: URL(fileURLWithPath: try AdversarialSizeTests.manyUnitRecording(in: scratch, units: 3, conditions: 2)))
        a.set("unit_ids", NPYArray([4, 7, 4]))
        let duplicated = scratch.appendingPathComponent("dup.npz")
        try a.write(to: duplicated)
        try expectCleanError("small items", ["import", duplicated.path, "--out", path("dup-out.npz")], mentions: ["unit id 4 is given twice"], out: path("dup-out.npz"))
        a.set("unit_ids", NPYArray([4, 7, 9]))
        var times = a["spike_times"]!.doubles
        times[0] = .nan; times[5] = .infinity; times[9] = -.infinity
        a.set("spike_times", NPYArray(times))
        let nan = scratch.appendingPathComponent("nan-spikes.npz")
        try a.write(to: nan)
        let r = try expectHandled("small items", ["import", nan.path, "--out", path("nan-out.npz")])
        XCTAssert(r.stderr.contains("note: 3 spike time(s) were NaN or infinite"), r.summary)
        let provenance = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path("nan-out.provenance.json")))) as! [String: Any]
        XCTAssertEqual(((provenance["provenance"] as? [String: Any])?["nonFiniteSpikeTimesDropped"] as? NSNumber)?.intValue, 3)
    }
}
