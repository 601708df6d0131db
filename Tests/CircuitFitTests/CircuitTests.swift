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

/// The ground-truth circuit of docs/method.md#the-ground-truth-circuit: structure, stability,
/// amplification, readout.
final class CircuitTests: XCTestCase {
    /// The default-seed circuit, generated once for every property checked below.
    func testDefaultCircuitProperties() throws {
        let cfg = CircuitConfig()
        let g = try generateCircuit(cfg)
        let w = g.weights, n = cfg.neurons, ne = cfg.excitatoryCount

        // Stability target reached.
        XCTAssertEqual(g.stability.stop, .reachedTarget)
        XCTAssertLessThan(g.stability.spectralAbscissaFinal, 0.15)
        XCTAssertGreaterThan(g.stability.spectralAbscissaInitial, 5, "the initial network should be violently unstable (α ≈ R)")
        let independent = try Eigendecomposition(w, vectors: false).spectralAbscissa
        XCTAssertEqual(independent, g.stability.spectralAbscissaFinal, accuracy: 1e-9)

        // Dale's law and no self-connections.
        for i in 0..<n {
            XCTAssertEqual(w[i, i], 0, "self-connection at \(i)")
            for j in 0..<ne { XCTAssertGreaterThanOrEqual(w[i, j], 0, "E column \(j) negative at row \(i)") }
            for j in ne..<n { XCTAssertLessThanOrEqual(w[i, j], 0, "I column \(j) positive at row \(i)") }
        }
        // Excitatory weights and mask unchanged from the initial network.
        var random = SeededRandom(seed: cfg.seed).derived(1)
        let w0 = initialNetwork(cfg, random: &random)
        for i in 0..<n { for j in 0..<ne { XCTAssertEqual(w[i, j], w0[i, j]) } }
        // Inhibitory density stays within its cap.
        XCTAssertLessThanOrEqual(g.inhibitoryDensity, cfg.inhibitoryDensity + 1e-12)
        XCTAssertGreaterThan(g.inhibitoryDensity, cfg.connectionProbability, "optimisation should let new inhibitory connections form")

        // Preparatory states are the top Gramian directions.
        let prep = try PreparatoryDirections(weights: w)
        let q = prep.gramian
        var energies: [Double] = []
        for k in 0..<n {
            let v = prep.directions.column(k)
            energies.append(zip(v, matvec(q, v)).reduce(0) { $0 + $1.0 * $1.1 })
        }
        XCTAssertEqual(energies.firstIndex(of: energies.max()!), 0, "a1 must have the largest evoked energy xᵀQx")
        XCTAssertEqual(energies.sorted(by: >)[1], energies[1], accuracy: 1e-9 * energies[0])
        let x0 = g.preparatoryStates.row(0)  // θ = 0 ⇒ x0 = ρ·a1
        let rho = cfg.preparatoryNormPerSqrtN * Double(n).squareRoot()
        for i in 0..<n { XCTAssertEqual(x0[i], rho * prep.directions[i, 0], accuracy: 1e-9) }

        // Transient amplification, then return toward baseline.
        XCTAssertGreaterThan(g.rateNormPeak, 1.5 * g.rateNormInitial, "peak ‖r‖ should be well above the initial")
        let rates = g.dataset.rates!
        let last = rates.d1 - 1
        for c in 0..<rates.d0 {
            let endNorm = (0..<n).reduce(0.0) { $0 + pow(rates[c, last, $1], 2) }.squareRoot()
            var peak = 0.0
            for t in g.dataset.goIndex..<rates.d1 { peak = max(peak, (0..<n).reduce(0.0) { $0 + pow(rates[c, t, $1], 2) }.squareRoot()) }
            XCTAssertLessThan(endNorm, 0.6 * peak, "condition \(c) should decay after its peak")
        }
        // Rates stay inside f's range.
        XCTAssertLessThan(g.peakAbsRateHz, cfg.rmaxHz - cfg.r0Hz)

        // Muscle readout reproduces its targets.
        XCTAssertGreaterThan(g.readoutR2Training, 0.95)
        // Targets are what the readout produces from the circuit's rates.
        let z = g.readout.apply(rates)
        XCTAssertEqual(z.data, g.dataset.targets.data)
        // Readout uses excitatory rates only.
        for m in 0..<cfg.muscles { for j in ne..<n { XCTAssertEqual(g.readout.weights[m, j], 0) } }

        // Dataset layout: inputs on during preparation only.
        let d = g.dataset
        XCTAssertEqual(d.conditions, 16); XCTAssertEqual(d.trainingConditions.count, 8)
        XCTAssertEqual(d.steps, 120); XCTAssertEqual(d.goIndex, 20)
        XCTAssertEqual(d.inputs[3, 0, 0], cos(d.angles[3]), accuracy: 1e-15)
        XCTAssertEqual(d.inputs[3, 19, 2], 1); XCTAssertEqual(d.inputs[3, 20, 2], 0)
        // Held-out angles lie halfway between training angles.
        XCTAssertEqual(d.angles[8] - d.angles[0], .pi / 8, accuracy: 1e-12)
    }

    /// At least five other seeds also reach the stability target.
    func testOtherSeedsReachStabilityTarget() throws {
        let seeds: [UInt64] = [2, 3, 4, 5, 6]
        let results = parallelMap(seeds.count, workers: 2) { k in
            var cfg = CircuitConfig()
            cfg.seed = seeds[k]
            var random = SeededRandom(seed: cfg.seed).derived(1)
            let w0 = initialNetwork(cfg, random: &random)
            return (try? optimizeStability(w0, config: cfg).spectralAbscissaFinal) ?? .nan
        }
        for (k, a) in results.enumerated() {
            XCTAssertLessThan(a, 0.15, "seed \(seeds[k]) ended at spectral abscissa \(a)")
        }
    }

    /// The Gramian's quadratic form is the evoked energy 2∫‖e^{At}v‖²dt, checked by integration.
    func testGramianIsEvokedEnergy() throws {
        var cfg = CircuitConfig()
        cfg.neurons = 40
        cfg.initialSpectralRadius = 3
        var random = SeededRandom(seed: 11)
        let w = try optimizeStability(initialNetwork(cfg, random: &random), config: cfg).weights
        let prep = try PreparatoryDirections(weights: w)
        var a = w
        for i in 0..<40 { a[i, i] -= 1 }
        for k in [0, 1, 39] {
            var x = prep.directions.column(k)
            var energy = 0.0
            let dt = 0.002
            for _ in 0..<20_000 {  // t up to 40 τ
                energy += 2 * dt * x.reduce(0) { $0 + $1 * $1 }
                // RK4 on ẋ = A x
                let k1 = matvec(a, x)
                let k2 = matvec(a, zip(x, k1).map { $0 + dt / 2 * $1 })
                let k3 = matvec(a, zip(x, k2).map { $0 + dt / 2 * $1 })
                let k4 = matvec(a, zip(x, k3).map { $0 + dt * $1 })
                for i in 0..<40 { x[i] += dt / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]) }
            }
            energy -= dt * prep.directions.column(k).reduce(0) { $0 + $1 * $1 }  // trapezoid end correction
            XCTAssertEqual(energy, prep.energies[k], accuracy: 1e-3 * prep.energies[0], "direction \(k)")
        }
        XCTAssertGreaterThan(prep.energies[0], prep.energies[39])
    }

    func testRateNonlinearityAndFixedPointHold() throws {
        let f = RateNonlinearity(r0Hz: 20, rmaxHz: 100)
        XCTAssertEqual(f(0), 0)
        XCTAssertEqual(f(-10_000), -20, accuracy: 1e-9)
        XCTAssertEqual(f(10_000), 80, accuracy: 1e-9)
        XCTAssertEqual((f(1e-6) - f(-1e-6)) / 2e-6, 1, accuracy: 1e-6, "slope 1 at baseline")
        XCTAssertEqual(f(20), 80 * tanh(0.25), accuracy: 1e-12)

        // A 2-neuron circuit: the preparatory epoch holds x0 exactly; movement matches a fine Euler run.
        let w = Matrix<Double>([[0, -0.5], [2, 0]])
        let dyn = RateDynamics(weights: w, f: f, tauMs: 200, stepMs: 1)
        let x0 = Matrix<Double>([[10, -5]])
        let r = dyn.simulate(x0: x0, preparatoryBins: 3, movementBins: 10, binMs: 5)
        for t in 0..<3 { XCTAssertEqual(r[0, t, 0], f(10)); XCTAssertEqual(r[0, t, 1], f(-5)) }
        var x = [10.0, -5.0]
        let h = 0.001
        var binSum = [0.0, 0.0]
        var lastBin = [0.0, 0.0]
        for step in 1...50_000 {  // 50 ms at 1 µs
            let fx = x.map { f($0) }
            let dx = [(-x[0] + w[0, 1] * fx[1]) / 200, (-x[1] + w[1, 0] * fx[0]) / 200]
            x[0] += h * dx[0]; x[1] += h * dx[1]
            if step % 1000 == 0 { binSum[0] += f(x[0]); binSum[1] += f(x[1]) }
            if step % 5000 == 0 { lastBin = binSum.map { $0 / 5 }; binSum = [0, 0] }
        }
        XCTAssertEqual(r[0, 12, 0], lastBin[0], accuracy: 1e-3)
        XCTAssertEqual(r[0, 12, 1], lastBin[1], accuracy: 1e-3)
    }

    func testSameSeedSameCircuitAndConfigErrors() throws {
        var cfg = CircuitConfig()
        cfg.neurons = 30
        cfg.initialSpectralRadius = 3
        let a = try generateCircuit(cfg), b = try generateCircuit(cfg)
        XCTAssertEqual(a.weights, b.weights)
        XCTAssertEqual(a.dataset.targets.data, b.dataset.targets.data)
        cfg.seed = 2
        XCTAssertNotEqual(try generateCircuit(cfg).weights, a.weights)

        XCTAssertThrowsError(try ConfigFile.overlay(CircuitConfig(), json: Data(#"{"neurons": 50, "nuerons": 3}"#.utf8), source: "c.json")) {
            XCTAssert("\($0)".contains("unknown key 'nuerons'"), "\($0)")
        }
        let loaded = try ConfigFile.overlay(CircuitConfig(), json: Data(#"{"neurons": 50}"#.utf8), source: "c.json")
        XCTAssertEqual(loaded.neurons, 50); XCTAssertEqual(loaded.tauMs, 200)
        XCTAssertThrowsError(try ConfigFile.overlay(CircuitConfig(), json: Data(#"{"neurons": "many"}"#.utf8), source: "c.json")) {
            XCTAssert("\($0)".contains("neurons"), "\($0)")
        }
        var bad = CircuitConfig(); bad.neurons = -5
        XCTAssertThrowsError(try bad.validate()) { XCTAssert("\($0)".contains("neurons must be at least 4, got -5"), "\($0)") }
        bad = CircuitConfig(); bad.dtMs = 2.5
        XCTAssertThrowsError(try bad.validate()) { XCTAssert("\($0)".contains("whole multiple"), "\($0)") }
    }
}
