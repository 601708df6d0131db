import Foundation
import XCTest
@testable import CircuitFitCore
@testable import CircuitFitModel
@testable import CircuitFitCircuit
@testable import CircuitFitAudit
@testable import CircuitFitFitting

/// Prediction of perturbations a fit never saw: exact for a model of the system's own dynamics,
/// training through perturbation trials end to end, and one reported held-out effect against a
/// NumPy re-simulation of model.npz and circuit.npz.
final class PerturbationPredictionTests: XCTestCase {

    /// A teacher network in the model's own class generates control and perturbation trials
    /// (its units are the "neurons", rate = scale·tanh(h) Hz); a student at the teacher's
    /// parameters predicts every set, held out or not, with R² = 1 to float tolerance, and its
    /// objective over control + perturbation trials is 0; a student with perturbed recurrent
    /// weights predicts them worse and has a positive loss (the score can fail).
    func testStudentAtTeacherParametersPredictsHeldOutPerturbationsExactly() throws {
        let H = 12, C = 3, T = 40, go = 10, K = 2
        let spec = RNNSpec(hidden: H, inputs: 3, outputs: K, recorded: H)
        var teacher = initialParameters(spec: spec, gain: 1.5, seed: 8)
        var rng = SeededRandom(seed: 2)
        for block in [ParameterBlock.b, .d] { teacher[block] = ArraySlice(spec.layout.range(block).map { _ in Float(rng.normal() * 0.2) }) }
        var inputs = Array3<Double>(C, T, 3, repeating: 0)
        for c in 0..<C { for t in 0..<go { inputs[c, t, 0] = cos(Double(c)); inputs[c, t, 1] = sin(Double(c)); inputs[c, t, 2] = 1 } }
        let scale = (0..<H).map { 10 + Double($0) }
        let recording = RecordingInfo(neurons: Array(0..<H), offset: [Double](repeating: 0, count: H), scale: scale)
        let sets = [
            PerturbationSet(neurons: [1, 4], kind: .silence, window: 15..<30, amplitudeHz: 0, isTraining: true),
            PerturbationSet(neurons: [2, 7], kind: .stimulate, window: go..<T, amplitudeHz: 5, isTraining: false),
            PerturbationSet(neurons: [9], kind: .silence, window: go..<T, amplitudeHz: 0, isTraining: false),
        ]
        let unitPerturbations = try sets.map { try modelPerturbation($0, recording: recording, units: spec.recordedUnits) }
        XCTAssertEqual(unitPerturbations[1].currents, [5 / 12, 5 / 17])
        XCTAssertEqual(unitPerturbations[0].clampStates, [0, 0])
        let runs = try simulatePerturbed(spec: spec, parameters: teacher, inputs: inputs, perturbations: [.none] + unitPerturbations)
        func hz(_ r: Array3<Float>) -> Array3<Double> {
            var out = Array3<Double>(r.d0, r.d1, r.d2, repeating: 0)
            for c in 0..<r.d0 { for t in 0..<r.d1 { for n in 0..<H { out[c, t, n] = scale[n] * Double(r[c, t, n]) } } }
            return out
        }
        func stack(_ xs: [Array3<Double>]) -> Array3<Double> { Array3(xs.count * xs[0].d0, xs[0].d1, xs[0].d2, data: Array(xs.map(\.data).joined())) }
        let asDouble = { (a: Array3<Float>) in Array3(a.d0, a.d1, a.d2, data: a.data.map(Double.init)) }
        let trials = PerturbationTrials(sets: sets, rates: stack(runs.dropFirst().map { hz($0.rates) }), targets: stack(runs.dropFirst().map { asDouble($0.outputs) }))
        let dataset = ReachDataset(inputs: inputs, targets: asDouble(runs[0].outputs), rates: hz(runs[0].rates),
                                   angles: [0, 1, 2], isTraining: [true, true, true], dtMs: 10, goIndex: go, perturbations: trials)
        let exact = try predictPerturbations(spec: spec, parameters: teacher, recording: recording, dataset: dataset, conditions: [0, 1, 2])
        XCTAssertEqual(exact.map(\.set), [0, 1, 2])
        XCTAssertEqual(exact.map(\.heldOut), [false, true, true])
        for p in exact {
            XCTAssertGreaterThan(p.outputEffectNorm, 1e-3, "set \(p.set) has an effect")
            XCTAssertEqual(p.outputR2, 1, accuracy: 1e-9, "set \(p.set)")
            XCTAssertEqual(p.outputSizeRatio, 1, accuracy: 1e-9)
            XCTAssertEqual(try XCTUnwrap(p.neuronR2), 1, accuracy: 1e-9)
        }
        // the objective over control and perturbation trials vanishes at the teacher
        var model = try prepareFit(dataset: dataset, config: { var f = FitConfig(); f.hidden = H; f.record = H; f.recordNeurons = Array(0..<H); f.normalization = .maxAbs; return f }())
        model.neural = NeuralTargets(values: Array3(C, T, H, data: hz(runs[0].rates).data.enumerated().map { Float($0.element / scale[$0.offset % H]) }),
                                     neurons: Array(0..<H), offset: recording.offset, scale: scale, normalization: .maxAbs,
                                     variance: [Double](repeating: 1, count: H))
        model.outputs = OutputStandardization(offset: [Double](repeating: 0, count: K), scale: [Double](repeating: 1, count: K))
        let data = try trainingDataWithPerturbations(dataset: dataset, model: model, conditions: [0, 1, 2], setCount: 1)
        XCTAssertEqual(data.conditions, [0, 1, 2, 3, 4, 5])
        XCTAssertEqual(data.perturbations.count, 6)
        let (loss, _) = try lossAndGradient(spec: spec, objective: Objective(lambda: 1), parameters: teacher, data: data)
        XCTAssertLessThan(loss.total, 1e-9)
        // a student whose recurrent weights differ: the same scores now fall below 1, the loss rises
        var student = teacher
        student[.J] = ArraySlice(student[.J].map { $0 + Float(rng.normal() * 0.1) })
        let worse = try predictPerturbations(spec: spec, parameters: student, recording: recording, dataset: dataset, conditions: [0, 1, 2])
        XCTAssert(worse.allSatisfy { $0.outputR2 < 0.999 }, "\(worse.map(\.outputR2))")
        XCTAssertGreaterThan(try lossAndGradient(spec: spec, objective: Objective(lambda: 1), parameters: student, data: data).0.total, 1e-4)
    }

    /// Trains a small fit through two training sets of a generated circuit (`fitModel` with
    /// perturbationSets = 2: the perturbed neurons are recorded, the batch has 3× the
    /// conditions), then checks one held-out set's reported effect (true and predicted output
    /// norms, and R²) against a NumPy re-simulation of model.npz and circuit.npz under the
    /// stated protocol (clamp window, release), to 1e-3.
    func testHeldOutEffectEqualsNumPyResimulation() throws {
        try PythonReference.requireNumPy()
        var cfg = CircuitConfig()
        cfg.neurons = 30; cfg.muscles = 2; cfg.seed = 5; cfg.trainingAngles = 2; cfg.movementMs = 200
        var trials = PerturbationTrialConfig()
        trials.sets = 4; trials.size = 3; trials.population = .E; trials.kind = .silence; trials.windowMs = [20, 120]; trials.heldOutSets = 2
        cfg.perturbationTrials = trials
        let generated = try generateCircuit(cfg)
        let dataset = try addingPerturbationTrials(to: generated)
        var fit = FitConfig()
        fit.hidden = 30; fit.record = 12; fit.iterations = 30; fit.earlyStopping = false; fit.checkpointEvery = 0
        fit.stopAtConvergence = false
        fit.perturbationSets = 2
        let fitted = try fitModel(dataset: dataset, config: fit)
        let perturbed = Set(dataset.perturbations!.sets.flatMap(\.neurons))
        XCTAssert(perturbed.isSubset(of: Set(fitted.neural!.neurons)), "the perturbed neurons are recorded")
        let saved = try SavedModel(archive: NPZArchive.decode(fitted.archive().encoded(), fileName: "model.npz"))
        let recording = RecordingInfo(neurons: saved.recordedNeurons, offset: saved.neuronOffset, scale: saved.neuronScale)
        let predictions = try predictPerturbations(spec: saved.spec, parameters: saved.parameters, recording: recording,
                                                   dataset: dataset, conditions: dataset.trainingConditions)
        let heldOut = try XCTUnwrap(predictions.first { $0.heldOut })
        let folder = try PythonReference.makeFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try fitted.archive().write(to: folder.appendingPathComponent("model.npz"))
        try generated.circuitArchive().write(to: folder.appendingPathComponent("circuit.npz"))
        try dataset.archive().write(to: folder.appendingPathComponent("dataset.npz"))
        let script = """
            d = np.load('\(folder.path)/model.npz'); c = np.load('\(folder.path)/circuit.npz'); ds = np.load('\(folder.path)/dataset.npz')
            J, B, b, C, dd, h0, alpha = d['J'], d['B'], d['b'], d['C'], d['d'], d['h0'], float(d['alpha'])
            units, neurons = d['recorded_units'].astype(int), d['recorded_neurons'].astype(int)
            offset, scale = d['neuron_offset'], d['neuron_scale']
            u, go, dt = ds['inputs'], int(ds['go_index']), float(ds['dt_ms'])
            p = \(heldOut.set)
            ns = ds['perturbation_neurons'][p]; ns = ns[ns >= 0]
            start, end = ds['perturbation_window'][p]
            assert str(ds['perturbation_kind'][p]) == 'silence'
            conds = np.where(ds['train'] == 1)[0]
            T = u.shape[1]
            idx = [list(neurons).index(n) for n in ns]
            us, hv = units[idx], np.arctanh(-offset[idx] / scale[idx])
            def model(perturb):
                z = np.zeros((len(conds), T, C.shape[0]))
                for i, cnd in enumerate(conds):
                    h = h0.astype(float).copy()
                    for t in range(T):
                        if t > 0:
                            h = (1 - alpha) * h + alpha * (J @ np.tanh(h) + B @ u[cnd, t - 1] + b)
                        if perturb and start <= t < end: h[us] = hv
                        z[i, t] = C @ np.tanh(h) + dd
                return z
            W, x0, R, rb = c['W'], c['x0'], c['readout'], c['readout_bias']
            tau, r0, rmax = float(c['tau_ms']), float(c['r0_hz']), float(c['rmax_hz'])
            f = lambda x: np.where(x < 0, r0 * np.tanh(x / r0), (rmax - r0) * np.tanh(x / (rmax - r0)))
            def circuit(perturb):
                z = np.zeros((len(conds), T, R.shape[0]))
                for i, cnd in enumerate(conds):
                    x = x0[cnd].copy(); frozen = np.zeros(len(x), bool)
                    def dx(x):
                        d_ = (W @ f(x) - x) / tau
                        d_[frozen] = 0
                        return d_
                    for t in range(T):
                        if perturb and t == start: x[ns] = 0; frozen[ns] = True
                        if perturb and t == end: frozen[:] = False
                        if t < go:
                            r = f(x0[cnd])
                        else:
                            acc = np.zeros_like(x)
                            for _ in range(int(round(dt))):
                                k1 = dx(x); k2 = dx(x + 0.5 * k1); k3 = dx(x + 0.5 * k2); k4 = dx(x + k3)
                                x = x + (k1 + 2 * k2 + 2 * k3 + k4) / 6
                                acc += f(x)
                            r = acc / int(round(dt))
                        z[i, t] = R @ r + rb
                return z
            dz_true = (circuit(True) - circuit(False))[:, start:]
            dz_pred = (model(True) - model(False))[:, start:]
            r2 = 1 - np.sum((dz_pred - dz_true) ** 2) / np.sum((dz_true - dz_true.mean()) ** 2)
            print(json.dumps({'true': float(np.linalg.norm(dz_true)), 'pred': float(np.linalg.norm(dz_pred)), 'r2': float(r2)}))
            """
        let ref = try PythonReference.evaluate(script, arrays: [:])
        let truth = try XCTUnwrap(ref["true"] as? Double), pred = try XCTUnwrap(ref["pred"] as? Double), r2 = try XCTUnwrap(ref["r2"] as? Double)
        XCTAssertGreaterThan(truth, 1e-3, "the circuit responds to the held-out set")
        XCTAssertEqual(heldOut.outputEffectNorm, truth, accuracy: 1e-3 * truth)
        XCTAssertEqual(heldOut.outputPredictedNorm, pred, accuracy: 1e-3 * max(pred, 1e-9))
        XCTAssertEqual(heldOut.outputR2, r2, accuracy: 1e-3 * max(1, abs(r2)))
    }
}
