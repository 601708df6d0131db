import Foundation
import XCTest
@testable import CircuitFitCore
@testable import CircuitFitModel
@testable import CircuitFitAnalysis
@testable import CircuitFitCircuit
@testable import CircuitFitAudit
@testable import CircuitFitFitting

/// A small circuit (N = 40) with its dataset and a briefly trained model (H = 40, M = 10), shared
/// by the audit tests.
enum AuditFixture {
    struct Fixture: @unchecked Sendable {
        var generated: GeneratedCircuit
        var circuit: GroundTruthCircuit
        var fitted: FittedModel
        var saved: SavedModel
    }
    static let shared: Fixture = {
        var cfg = CircuitConfig()
        cfg.neurons = 40
        cfg.muscles = 2
        cfg.seed = 3
        let g = try! generateCircuit(cfg)
        let circuit = try! GroundTruthCircuit(archive: NPZArchive.decode(g.circuitArchive().encoded(), fileName: "circuit.npz"))
        var fit = FitConfig()
        fit.hidden = 40
        fit.record = 10
        fit.iterations = 150
        fit.earlyStopping = false
        fit.checkpointEvery = 0
        let fitted = try! fitModel(dataset: g.dataset, config: fit)
        let saved = try! SavedModel(archive: NPZArchive.decode(fitted.archive().encoded(), fileName: "model.npz"))
        return Fixture(generated: g, circuit: circuit, fitted: fitted, saved: saved)
    }()

    static func data(_ f: Fixture) -> AuditData {
        AuditData(inputs: f.generated.dataset.inputs, rates: f.generated.dataset.rates!, excitatory: f.generated.excitatory,
                  conditions: f.generated.dataset.trainingConditions, goIndex: f.generated.dataset.goIndex, dtMs: f.generated.dataset.dtMs)
    }
}

final class AuditTests: XCTestCase {
    /// A linear network: its one fixed point is (I − W)⁻¹ c and its spectrum eig(W − I)/τ.
    func testLinearNetworkFixedPointAndSpectrumAreAnalytic() throws {
        var random = SeededRandom(seed: 11)
        let n = 30, tau = 0.05
        var w = Matrix<Double>(rows: n, cols: n)
        for k in 0..<w.data.count { w.data[k] = random.normal() * 0.6 / Double(n).squareRoot() }
        let c = random.normals(n)
        let network = RateNetwork(weights: w, nonlinearity: .linear, tauSeconds: tau)
        let expected = try solveLinear(Matrix<Double>.identity(n) - w, Matrix(rows: n, cols: 1, data: c)).data
        var starts = Matrix<Double>(rows: 8, cols: n), drives = starts
        for p in 0..<8 { for i in 0..<n { starts[p, i] = 3 * random.normal(); drives[p, i] = c[i] } }
        let found = try findFixedPoints(
            network: network, starts: starts, drives: drives, groups: [Int](repeating: 0, count: 8),
            scale: 3, medianSpeed: 100, flowStepSeconds: nil, settings: FixedPointSearchSettings())[0]
        XCTAssertEqual(found.filter(\.isFixed).count, 1, "a linear system has exactly one fixed point")
        let point = try XCTUnwrap(found.first)
        XCTAssertEqual(point.stability, .stable)
        for i in 0..<n { XCTAssertEqual(point.state[i], expected[i], accuracy: 1e-8) }
        var shifted = w
        for i in 0..<n { shifted[i, i] -= 1 }
        let eig = try Eigendecomposition((1 / tau) * shifted, vectors: false)
        let (re, im) = sortedBySlowest(eig.real, eig.imaginary)
        let (fre, fim) = sortedBySlowest(point.eigenReal, point.eigenImaginary)
        for k in 0..<n { XCTAssertEqual(fre[k], re[k], accuracy: 1e-8); XCTAssertEqual(abs(fim[k]), abs(im[k]), accuracy: 1e-8) }
    }

    /// ‖e^{At}‖ of a 2 × 2 Jordan-like non-normal matrix, the observability Gramian of a
    /// diagonal one, and slowest time constants and rotation frequency in physical units.
    func testLinearizationSummaryKnownAnswers() throws {
        let tau = 0.2, k = 6.0
        let a = Matrix<Double>([[-1 / tau, k / tau], [0, -1 / tau]])
        let s = try summarizeLinearization(a, tauSeconds: tau, pcs: Matrix.identity(2))
        // e^{At} = e^{−t/τ} [[1, k t/τ], [0, 1]]: ‖·‖₂ = e^{−u}(ku/2 + √(1 + (ku/2)²)), u = t/τ
        var best = 1.0
        for j in 1...40 {
            let u = Double(j) / 8
            best = max(best, exp(-u) * (k * u / 2 + (1 + pow(k * u / 2, 2)).squareRoot()))
        }
        XCTAssertEqual(try XCTUnwrap(s.peakPropagatorNorm), best, accuracy: 1e-6 * best)
        XCTAssertGreaterThan(best, 1.5, "the fixture must be non-normal enough to amplify")
        XCTAssertEqual(s.slowestTimeConstants[0], tau, accuracy: 1e-9)
        // a normal leaky system: Gramian energies are τ/2, relative 1, no transient growth
        let leak = try summarizeLinearization(Matrix<Double>([[-1 / tau, 0], [0, -2 / tau]]), tauSeconds: tau, pcs: .identity(2))
        XCTAssertEqual(try XCTUnwrap(leak.gramianEnergiesRelative)[0], 1, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(leak.peakPropagatorNorm), 1, accuracy: 1e-9)
        // a rotation at 3 Hz decaying with τ: dominant rotation 3 Hz
        let w = 2 * Double.pi * 3
        let rot = try summarizeLinearization(Matrix<Double>([[-1 / tau, -w], [w, -1 / tau]]), tauSeconds: tau, pcs: .identity(2))
        XCTAssertEqual(rot.dominantRotationHz, 3, accuracy: 1e-9)
    }

    /// A model with a planted second attractor (a strongly self-exciting unit whose sign the
    /// input sets) is flagged: more stable fixed points than the circuit, in the movement epoch.
    func testPlantedSecondAttractorIsFlagged() throws {
        let f = AuditFixture.shared
        var spec = f.saved.spec
        spec.recorded = 0; spec.recordedUnits = []
        let h = spec.hidden
        var p = RNNParameters(layout: spec.layout)
        var random = SeededRandom(seed: 5)
        var j = (0..<(h * h)).map { _ in Float(random.normal() * 0.3 / Double(h).squareRoot()) }
        j[0] = 3                                   // unit 0: tanh self-excitation, bistable at ≈ ±3
        p[.J] = ArraySlice(j)
        var b = [Float](repeating: 0, count: h * spec.inputs)
        b[0] = 6                                   // cos θ pushes unit 0 up or down
        for i in 1..<h { b[i * spec.inputs + 1] = Float(random.normal()) }
        p[.B] = ArraySlice(b)
        p[.C] = ArraySlice((0..<(spec.outputs * h)).map { _ in Float(random.normal() / Double(h).squareRoot()) })
        let model = try AuditSubject(spec: spec, parameters: p, neurons: [], offset: [], scale: [], unitExcitatory: nil)
        let circuit = AuditSubject(circuit: f.circuit, neurons: [])
        let audit = try auditMechanism(model: model, circuit: circuit, data: AuditFixture.data(f), tiedUnitsFitted: false)
        XCTAssertEqual(audit.circuit.movement.stable, 1, "the circuit with its input off has one attractor, at baseline")
        XCTAssertEqual(audit.model.movement.stable, 2)
        XCTAssertEqual(audit.spuriousAttractors, 1)
        XCTAssertGreaterThanOrEqual(audit.model.movement.saddles, 1, "between two attractors lies a saddle")
    }

    /// The circuit audited against itself: distances 0, perturbation R² 1, one stable point at x = 0.
    func testCircuitAgainstItselfIsPerfect() throws {
        let f = AuditFixture.shared
        let recorded = f.saved.recordedNeurons
        let a = AuditSubject(circuit: f.circuit, neurons: recorded)
        let audit = try auditMechanism(model: a, circuit: a, data: AuditFixture.data(f), tiedUnitsFitted: true)
        XCTAssertEqual(audit.circuit.movement.stable, 1)
        XCTAssertEqual(audit.spuriousAttractors, 0)
        XCTAssertEqual(try XCTUnwrap(audit.spectrumDistancePerS), 0, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(audit.slowestModesDistancePerS), 0, accuracy: 1e-9)
        XCTAssertEqual(audit.dsaAngularDistance, 0, accuracy: 1e-6)
        XCTAssertEqual(audit.perturbation.units, .tied)
        XCTAssertFalse(audit.perturbation.groups.isEmpty)
        for g in audit.perturbation.groups {
            XCTAssertEqual(g.muscleR2, 1, accuracy: 1e-12, "\(g.kind) \(g.type)")
            XCTAssertEqual(g.muscleNetworkR2, 1, accuracy: 1e-12)
            XCTAssertEqual(g.muscleSizeRatio, 1, accuracy: 1e-12)
            XCTAssertEqual(try XCTUnwrap(g.otherNeuronsR2), 1, accuracy: 1e-12)
            XCTAssertGreaterThan(g.trueEffectRelativeToVariance, 0, "the perturbations must change the muscles")
        }
        // the baseline is x = 0 with the spectrum of (W − I)/τ
        let baseline = try XCTUnwrap(audit.circuit.baseline)
        var shifted = f.circuit.weights
        for i in 0..<shifted.rows { shifted[i, i] -= 1 }
        let abscissa = try Eigendecomposition(shifted, vectors: false).spectralAbscissa / (f.circuit.tauMs / 1000)
        XCTAssertEqual(baseline.spectralAbscissaPerS, abscissa, accuracy: 1e-8)
        XCTAssertEqual(audit.circuit.movement.points[0].pc1, try PCAOfCircuitStatesAtZero(f), accuracy: 1e-6)
    }

    /// The PC-1 coordinate of x = 0 on the circuit's movement-epoch states (the baseline's place).
    private func PCAOfCircuitStatesAtZero(_ f: AuditFixture.Fixture) throws -> Double {
        let data = AuditFixture.data(f)
        let run = try AuditSubject(circuit: f.circuit, neurons: []).simulate(
            [SubjectPerturbation(units: [], values: [], kind: .silence)], conditions: data.conditions, inputs: data.inputs,
            goIndex: data.goIndex, steps: data.inputs.d1, dtMs: data.dtMs)[0]
        let states = try stackConditions(movementEpoch(run.states, from: data.goIndex), conditions: Array(0..<data.conditions.count))
        let pca = try PCA(components: 10).fit(states)
        return try pca.transform(Matrix(rows: 1, cols: f.circuit.neurons, data: [Double](repeating: 0, count: f.circuit.neurons)))[0, 0]
    }

    /// A copy of the model in rotated coordinates (units permuted and sign-flipped, an
    /// orthogonal change of basis tanh commutes with) has the same spectrum and DSA distance 0.
    func testRotatedCopyHasSameSpectrumAndZeroDSA() throws {
        let f = AuditFixture.shared
        let spec = f.saved.spec, p = f.saved.parameters, h = spec.hidden
        var random = SeededRandom(seed: 9)
        let perm = random.permutation(h)
        let sign: [Float] = (0..<h).map { _ in random.uniform() < 0.5 ? -1 : 1 }
        // unit i of the copy is unit perm[i] of the original, times sign[i]
        var q = p
        let j = p.block(.J), bw = p.block(.B), b = p.block(.b), c = p.block(.C), h0 = p.block(.h0)
        var j2 = j, b2 = bw, bias2 = b, c2 = c, h02 = h0
        let I = spec.inputs, K = spec.outputs
        for i in 0..<h {
            for k in 0..<h { j2[i * h + k] = sign[i] * sign[k] * j[perm[i] * h + perm[k]] }
            for k in 0..<I { b2[i * I + k] = sign[i] * bw[perm[i] * I + k] }
            bias2[i] = sign[i] * b[perm[i]]; h02[i] = sign[i] * h0[perm[i]]
        }
        for k in 0..<K { for i in 0..<h { c2[k * h + i] = sign[i] * c[k * h + perm[i]] } }
        q[.J] = ArraySlice(j2); q[.B] = ArraySlice(b2); q[.b] = ArraySlice(bias2); q[.C] = ArraySlice(c2); q[.h0] = ArraySlice(h02)
        var spec2 = spec
        spec2.recorded = 0; spec2.recordedUnits = []
        var spec1 = spec2
        spec1.hidden = h
        var p1 = RNNParameters(layout: spec1.layout), p2 = RNNParameters(layout: spec2.layout)
        for block in [ParameterBlock.J, .B, .b, .C, .d, .h0] { p1[block] = p[block]; p2[block] = q[block] }
        let original = try AuditSubject(spec: spec1, parameters: p1, neurons: [], offset: [], scale: [], unitExcitatory: nil)
        let rotated = try AuditSubject(spec: spec2, parameters: p2, neurons: [], offset: [], scale: [], unitExcitatory: nil)
        let circuit = AuditSubject(circuit: f.circuit, neurons: [])
        let data = AuditFixture.data(f)
        let a1 = try auditMechanism(model: original, circuit: circuit, data: data, tiedUnitsFitted: false)
        let a2 = try auditMechanism(model: rotated, circuit: circuit, data: data, tiedUnitsFitted: false)
        let b1 = try XCTUnwrap(a1.model.baseline), b2x = try XCTUnwrap(a2.model.baseline)
        XCTAssertEqual(b1.spectralAbscissaPerS, b2x.spectralAbscissaPerS, accuracy: 1e-6)
        for (x, y) in zip(b1.projectedEigenReal, b2x.projectedEigenReal) { XCTAssertEqual(x, y, accuracy: 1e-4) }
        XCTAssertEqual(try XCTUnwrap(a1.spectrumDistancePerS), try XCTUnwrap(a2.spectrumDistancePerS), accuracy: 1e-4)
        XCTAssertEqual(a1.dsaAngularDistance, a2.dsaAngularDistance, accuracy: 1e-4)
        XCTAssertEqual(a1.model.movement.stable, a2.model.movement.stable)
        // DSA between the model and its rotated copy
        let none = SubjectPerturbation(units: [], values: [], kind: .silence)
        let r1 = try original.simulate([none], conditions: data.conditions, inputs: data.inputs, goIndex: data.goIndex, steps: data.inputs.d1, dtMs: data.dtMs)[0]
        let r2 = try rotated.simulate([none], conditions: data.conditions, inputs: data.inputs, goIndex: data.goIndex, steps: data.inputs.d1, dtMs: data.dtMs)[0]
        let dsa = DynamicalSimilarity()
        XCTAssertEqual(try dsa.distance(movementEpoch(r1.rates, from: data.goIndex), movementEpoch(r2.rates, from: data.goIndex)), 0, accuracy: 1e-3)
        XCTAssertGreaterThan(a1.dsaAngularDistance, 0.05, "a model and the circuit must not look identical to DSA")
    }

    /// The perturbed simulation without a perturbation is `simulate`; a clamp holds the unit.
    func testPerturbedSimulationMatchesSimulateAndHoldsClamps() throws {
        let f = AuditFixture.shared
        let spec = f.saved.spec, p = f.saved.parameters
        let inputs = f.generated.dataset.inputs
        let plain = try simulate(spec: spec, parameters: p, inputs: inputs)
        let go = f.generated.dataset.goIndex
        let runs = try simulatePerturbed(spec: spec, parameters: p, inputs: inputs, perturbations: [
            .none, UnitPerturbation(clampedUnits: [3], clampStates: [0.5], fromStep: go),
        ])
        for (x, y) in zip(runs[0].outputs.data, plain.outputs.data) { XCTAssertEqual(x, y, accuracy: 1e-5) }
        for (x, y) in zip(runs[0].rates.data, plain.rates.data) { XCTAssertEqual(x, y, accuracy: 1e-5) }
        for c in 0..<inputs.d0 {
            XCTAssertEqual(runs[1].rates[c, go - 1, 3], plain.rates[c, go - 1, 3], accuracy: 1e-6, "before the go cue nothing changes")
            for t in go..<inputs.d1 { XCTAssertEqual(runs[1].rates[c, t, 3], Float(tanh(0.5)), accuracy: 1e-6) }
        }
        // the circuit's own simulation reproduces the dataset's rates
        let circuitRuns = try f.circuit.simulate(
            conditions: Array(0..<inputs.d0), perturbations: [CircuitPerturbation()], preparatoryBins: go,
            movementBins: inputs.d1 - go, binMs: f.generated.dataset.dtMs)
        for (x, y) in zip(circuitRuns[0].rates.data, f.generated.dataset.rates!.data) { XCTAssertEqual(x, y, accuracy: 1e-4) }
    }

    /// jPCA of a pure rotation: skew R² ratio 1 and the rotation frequency.
    func testRotationalDynamicsOfAPureRotation() throws {
        let dt = 0.005, hz = 3.0, slow = 1.0
        var trials = Array3<Double>(8, 100, 6, repeating: 0)
        for c in 0..<8 {
            let phase = Double(c) * 0.7
            for t in 0..<100 {
                let s = Double(t) * dt
                trials[c, t, 0] = 2 * cos(2 * .pi * hz * s + phase); trials[c, t, 1] = 2 * sin(2 * .pi * hz * s + phase)
                trials[c, t, 2] = cos(2 * .pi * slow * s + 2 * phase); trials[c, t, 3] = sin(2 * .pi * slow * s + 2 * phase)
                trials[c, t, 4] = 0.5 * cos(2 * .pi * 2 * s + 3 * phase); trials[c, t, 5] = 0.5 * sin(2 * .pi * 2 * s + 3 * phase)
            }
        }
        let r = try rotationalDynamics(trials, dtSeconds: dt)
        XCTAssertEqual(r.skewR2Ratio, 1, accuracy: 1e-3)
        XCTAssertEqual(r.rotationHz, hz, accuracy: 0.01 * hz)
        // a pure decay is no rotation
        var decay = trials
        for c in 0..<8 { for t in 0..<100 { for j in 0..<6 { decay[c, t, j] = exp(-Double(t) * dt * Double(j + 1)) * Double((c + j) % 5 + 1) } } }
        XCTAssertLessThan(try rotationalDynamics(decay, dtSeconds: dt).skewR2Ratio, 0.5)
    }

    /// The control: without fitted tied units the perturbations go to random units of the
    /// neurons' type under Dale's law.
    func testControlPerturbsRandomUnitsOfTheSameType() throws {
        let f = AuditFixture.shared
        let types = (0..<f.saved.spec.hidden).map { $0 % 3 == 0 }
        let model = try AuditSubject(spec: f.saved.spec, parameters: f.saved.parameters, neurons: f.saved.recordedNeurons,
                                     offset: f.saved.neuronOffset, scale: f.saved.neuronScale, unitExcitatory: types)
        let audit = try perturbationAudit(
            model: model, circuit: AuditSubject(circuit: f.circuit, neurons: f.saved.recordedNeurons),
            circuitExcitatory: f.generated.excitatory, rates: f.generated.dataset.rates!, inputs: f.generated.dataset.inputs,
            conditions: f.generated.dataset.trainingConditions, goIndex: f.generated.dataset.goIndex, dtMs: 5,
            tiedUnitsFitted: false, settings: PerturbationSettings())
        XCTAssertEqual(audit.units, .randomUnits)
        XCTAssertFalse(audit.sets.isEmpty)
        for s in audit.sets {
            for u in s.units { XCTAssertEqual(types[u], s.type == .excitatory) }
            for n in s.neurons { XCTAssertEqual(f.generated.excitatory[n], s.type == .excitatory) }
            XCTAssertEqual(s.units.count, s.neurons.count)
        }
        let tied = try perturbationAudit(
            model: model, circuit: AuditSubject(circuit: f.circuit, neurons: f.saved.recordedNeurons),
            circuitExcitatory: f.generated.excitatory, rates: f.generated.dataset.rates!, inputs: f.generated.dataset.inputs,
            conditions: f.generated.dataset.trainingConditions, goIndex: f.generated.dataset.goIndex, dtMs: 5,
            tiedUnitsFitted: true, settings: PerturbationSettings())
        for s in tied.sets {
            for (n, u) in zip(s.neurons, s.units) {
                let m = try XCTUnwrap(f.saved.recordedNeurons.firstIndex(of: n), "only recorded neurons are perturbed")
                XCTAssertEqual(f.saved.spec.recordedUnits[m], u, "each neuron's own tied unit")
            }
        }
    }

    /// Bad input gets a one-line error before any work.
    func testMismatchedTimeStepAndMissingGroundTruthAreErrors() throws {
        let f = AuditFixture.shared
        var other = f.generated.dataset
        other.dtMs = 10
        XCTAssertThrowsError(try auditFit(model: f.saved, lambda: 1, unitExcitatory: nil, circuit: f.circuit, dataset: other, names: ("fit", "circuit"))) { e in
            let message = (e as? CircuitFitError)?.message ?? ""
            XCTAssertTrue(message.contains("dt_ms 5") && message.contains("dt_ms 10"), message)
            XCTAssertFalse(message.contains("\n"))
        }
        var recorded = f.generated.dataset
        recorded.recorded = recorded.rates
        recorded.rates = nil
        XCTAssertThrowsError(try auditFit(model: f.saved, lambda: 1, unitExcitatory: nil, circuit: f.circuit, dataset: recorded, names: ("fit", "circuit"))) { e in
            XCTAssertTrue(((e as? CircuitFitError)?.message ?? "").contains("no ground truth"))
        }
    }
}

/// audit JSON keeps its keys: `Fixtures/golden/audit.json` was written by `circuitfit audit
/// --json` (a 40-neuron circuit, a 40-unit fit with M = 10); decoding and re-encoding it gives
/// the same bytes.
final class AuditGoldenTests: XCTestCase {
    func testAuditJSONRoundTrips() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/golden/audit.json")
        let original = try Data(contentsOf: url)
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        let audit = try decoder.decode(MechanismAudit.self, from: original)
        XCTAssertEqual(try OutputFolder.json(audit), original, "audit.json: re-encoded bytes differ")
        XCTAssertEqual(audit.settings, AuditSettings(), "the golden file was written with the default settings")
        XCTAssertFalse(audit.perturbation.sets.isEmpty)
    }
}
