import XCTest
@testable import CircuitFitCore
@testable import CircuitFitModel
@testable import CircuitFitAnalysis
@testable import CircuitFitImport
@testable import CircuitFitReport
@testable import CircuitFitCircuit
@testable import CircuitFitFitting
@testable import CircuitFitExperiment

/// The exact BPTT gradient of every parameter block against central finite differences, in
/// Float64 (the same generic code the Float32 trainer runs), for both mappings, with a
/// connectivity mask, Dale's law, NaN-masked recordings, a time mask, all β > 0, noise off/on,
/// and perturbation trials (clamped and driven units, windows, a clamp from step 0).
final class GradientCheckTests: XCTestCase {
    let H = 12, C = 3, T = 15, I = 3, K = 2, M = 4

    /// Condition 0 a control trial; 1: units 3 (recorded) and 5 clamped in steps 4..<11 and unit
    /// 9 driven from step 6 on; 2: unit 7 (recorded) clamped from step 0, units 0 and 9 driven
    /// in steps 2..<12.
    let trialPerturbations: [UnitPerturbation] = [
        .none,
        UnitPerturbation(clampedUnits: [3, 5], clampStates: [0.4, -0.2], fromStep: 4, toStep: 11),
        UnitPerturbation(clampedUnits: [7], clampStates: [0.3], stimulatedUnits: [0, 9], currents: [0.8, -0.5], fromStep: 0, toStep: 12),
    ]

    /// A small problem with every option exercised; neural targets have NaN gaps.
    func makeProblem(mapping: NeuralMapping, dale: Bool, mask: Bool, noise: Double, perturbed: Bool = false)
        throws -> (spec: RNNSpec, data: TrainingData, parameters: [Double])
    {
        var rng = SeededRandom(seed: 11)
        func random(_ d0: Int, _ d1: Int, _ d2: Int, scale: Double) -> Array3<Double> {
            Array3(d0, d1, d2, data: (0..<(d0 * d1 * d2)).map { _ in rng.normal() * scale })
        }
        var neural = random(C, T, M, scale: 0.5)
        for k in stride(from: 0, to: neural.data.count, by: 7) { neural.data[k] = .nan }
        var timeMask = [Double](repeating: 1, count: T)
        timeMask[0] = 0; timeMask[5] = 0; timeMask[6] = 0
        let data = try TrainingData(
            inputs: random(C, T, I, scale: 1), targets: random(C, T, K, scale: 0.5), neural: neural,
            timeMask: timeMask, perturbations: perturbed ? trialPerturbations : nil)
        var maskValues = RNNSpec.noAutapses(H)
        maskValues[1] = 0; maskValues[H + 5] = 0
        let spec = RNNSpec(
            hidden: H, inputs: I, outputs: K, recorded: M, mapping: mapping,
            recordedUnits: mapping == .identity ? [3, 0, 7, 10] : nil, noiseSD: noise,
            excitatory: dale ? (0..<H).map { $0 < 8 } : nil, connectivityMask: mask ? maskValues : nil)
        var p = initialParameters(spec: spec, seed: 5)
        // non-zero biases and initial state so that every block's gradient is generic
        for block in [ParameterBlock.b, .d, .h0, .e] {
            let r = spec.layout.range(block)
            p[block] = ArraySlice(r.map { _ in Float(rng.normal() * 0.3) })
        }
        return (spec, data, p.values.map(Double.init))
    }

    let allBlocks: Set<ParameterBlock> = Set(ParameterBlock.allCases)
    let penalties = Objective(lambda: 0.7, betaJ: 0.03, betaIn: 0.02, betaOut: 0.05, betaRate: 0.1)

    /// Per block: ‖analytic − finite difference‖ / ‖finite difference‖.
    func check(mapping: NeuralMapping, dale: Bool, mask: Bool, noise: Double, perturbed: Bool = false,
               objective base: Objective? = nil, file: StaticString = #filePath, line: UInt = #line) throws {
        let (spec, data, p0) = try makeProblem(mapping: mapping, dale: dale, mask: mask, noise: noise, perturbed: perturbed)
        var objective = base ?? penalties
        if base == nil { objective.trainable = allBlocks }
        let ws = try RNNWorkspace<Double>(spec: spec, data: data)
        var rng = SeededRandom(seed: 99)
        ws.drawNoise(&rng)    // fixed for every evaluation below
        var p = p0
        var g = [Double](repeating: 0, count: p.count)
        let loss = p.withUnsafeBufferPointer { pp in
            g.withUnsafeMutableBufferPointer { ws.lossAndGradient(pp.baseAddress!, objective, $0.baseAddress!) }
        }
        XCTAssert(loss.task > 0 && loss.neural > 0 && loss.penalty > 0, "all terms active", file: file, line: line)
        func f() -> Double { p.withUnsafeBufferPointer { ws.loss($0.baseAddress!, objective).total } }
        let eps = 1e-6
        for block in spec.layout.blocks {
            let range = spec.layout.range(block)
            var diff = 0.0, norm = 0.0, analyticNorm = 0.0
            for k in range {
                let saved = p[k]
                p[k] = saved + eps; let up = f()
                p[k] = saved - eps; let down = f()
                p[k] = saved
                let fd = (up - down) / (2 * eps)
                diff += (g[k] - fd) * (g[k] - fd)
                norm += fd * fd
                analyticNorm += g[k] * g[k]
            }
            if objective.trainable.contains(block) {
                XCTAssertGreaterThan(norm, 1e-12, "\(block) gradient should be non-zero", file: file, line: line)
                let rel = (diff / norm).squareRoot()
                XCTAssertLessThan(rel, 1e-6, "\(block): relative error \(rel) (\(mapping), dale \(dale), mask \(mask), noise \(noise))", file: file, line: line)
            } else {
                XCTAssertEqual(analyticNorm, 0, "frozen \(block) must get zero gradient", file: file, line: line)
            }
        }
    }

    func testIdentityMappingWithMaskDaleAndPenalties() throws {
        try check(mapping: .identity, dale: true, mask: true, noise: 0)
    }

    func testLinearMappingWithMaskDaleAndPenalties() throws {
        try check(mapping: .linear, dale: true, mask: true, noise: 0)
    }

    func testBothMappingsWithNoiseOn() throws {
        try check(mapping: .identity, dale: false, mask: true, noise: 0.3)
        try check(mapping: .linear, dale: true, mask: false, noise: 0.3)
    }

    /// BPTT through clamps (a window, and from step 0 so h0 is partly cut off) and drives, for
    /// both mappings, with and without noise: still exact against finite differences.
    func testFiniteDifferencesThroughClampsAndDrives() throws {
        try check(mapping: .identity, dale: true, mask: true, noise: 0, perturbed: true)
        try check(mapping: .linear, dale: false, mask: true, noise: 0, perturbed: true)
        try check(mapping: .identity, dale: false, mask: false, noise: 0.3, perturbed: true)
    }

    /// A unit clamped in every condition for the whole trial is a constant: its incoming weights
    /// (row u of J), its input weights, bias and initial state get exactly zero gradient, and so
    /// do the entries of dh and ḣ at its state; its outgoing weights (column u of J) still do.
    func testClampedUnitReceivesNoGradient() throws {
        let (spec, data0, p0) = try makeProblem(mapping: .identity, dale: false, mask: false, noise: 0.2)
        let u = 5
        let clampAll = UnitPerturbation(clampedUnits: [u], clampStates: [0.25], fromStep: 0)
        let (inputs, targets, neural) = datasetLayout(data0)
        let data = try TrainingData(inputs: inputs, targets: targets, neural: neural,
                                    perturbations: [clampAll, clampAll, clampAll])
        var objective = penalties
        objective.betaJ = 0; objective.betaIn = 0    // the weight penalties would give J[u,:], B[u,:] a gradient of their own
        objective.trainable = allBlocks
        let ws = try RNNWorkspace<Double>(spec: spec, data: data)
        var rng = SeededRandom(seed: 3)
        ws.drawNoise(&rng)
        var g = [Double](repeating: 0, count: p0.count)
        _ = p0.withUnsafeBufferPointer { pp in g.withUnsafeMutableBufferPointer { ws.lossAndGradient(pp.baseAddress!, objective, $0.baseAddress!) } }
        let layout = spec.layout
        let J = layout.offset(.J), B = layout.offset(.B)
        for j in 0..<H { XCTAssertEqual(g[J + u * H + j], 0, "incoming weight J[\(u), \(j)]") }
        for i in 0..<I { XCTAssertEqual(g[B + u * I + i], 0, "input weight B[\(u), \(i)]") }
        XCTAssertEqual(g[layout.offset(.b) + u], 0, "bias b[\(u)]")
        XCTAssertEqual(g[layout.offset(.h0) + u], 0, "initial state h0[\(u)]")
        let outgoing = (0..<H).filter { $0 != u }.map { g[J + $0 * H + u] * g[J + $0 * H + u] }.reduce(0, +)
        XCTAssertGreaterThan(outgoing, 1e-12, "the clamped unit's outgoing weights still act")
        for t in 0..<T { for c in 0..<C {
            XCTAssertEqual(ws.dh[(t * C + c) * H + u], 0, "dh at step \(t), condition \(c)")
            XCTAssertEqual(ws.h[(t * C + c) * H + u], 0.25, "h held at the clamp state")
        } }
        // the tangent along a random direction is zero at the clamped state too
        let v = (0..<p0.count).map { _ in rng.normal() }
        var out = [Double](repeating: 0, count: p0.count)
        p0.withUnsafeBufferPointer { pp in v.withUnsafeBufferPointer { vv in out.withUnsafeMutableBufferPointer { ws.gaussNewtonProduct(pp.baseAddress!, objective, vv.baseAddress!, $0.baseAddress!) } } }
        for t in 0..<T { for c in 0..<C { XCTAssertEqual(ws.hDot[(t * C + c) * H + u], 0, "ḣ at step \(t)") } }
        XCTAssertEqual(out[layout.offset(.b) + u], 0, "(G v) for b[\(u)]")
    }

    /// The training forward pass through a batch of perturbation trials gives the same states as
    /// the forward-only `simulatePerturbed` of each trial's perturbation (Float32).
    func testTrainingForwardMatchesPerturbedSimulation() throws {
        let (spec0, data, p64) = try makeProblem(mapping: .identity, dale: true, mask: true, noise: 0, perturbed: true)
        let spec = spec0
        let parameters = try RNNParameters(layout: spec.layout, values: p64.map(Float.init))
        let ws = try RNNWorkspace<Float>(spec: spec, data: data)
        _ = parameters.values.withUnsafeBufferPointer { ws.loss($0.baseAddress!, Objective(lambda: 0.7)) }
        var inputs = Array3<Float>(C, T, I, repeating: 0)
        for c in 0..<C { for t in 0..<T { for i in 0..<I { inputs[c, t, i] = data.inputs[(t * C + c) * I + i] } } }
        for (c, perturbation) in trialPerturbations.enumerated() {
            let run = try simulatePerturbed(spec: spec, parameters: parameters, inputs: inputs, perturbations: [perturbation])[0]
            var worst: Float = 0
            for t in 0..<T { for i in 0..<H { worst = max(worst, abs(run.states[c, t, i] - ws.h[(t * C + c) * H + i])) } }
            XCTAssertLessThan(worst, 1e-5, "condition \(c): max |Δh| \(worst)")
        }
        // and the perturbations change the trajectories (the comparison above is not vacuous)
        let control = try simulatePerturbed(spec: spec, parameters: parameters, inputs: inputs, perturbations: [.none])[0]
        XCTAssertGreaterThan(abs(control.states[1, 8, 3] - ws.h[(8 * C + 1) * H + 3]), 1e-2)
        XCTAssertGreaterThan(abs(control.states[2, 5, 0] - ws.h[(5 * C + 2) * H + 0]), 1e-3)
    }

    /// A perturbation list of the wrong length, or a unit outside the model, is a clear error.
    func testBadPerturbationsAreRejected() throws {
        let (spec, data, _) = try makeProblem(mapping: .identity, dale: false, mask: false, noise: 0)
        let (inputs, targets, neural) = datasetLayout(data)
        XCTAssertThrowsError(try TrainingData(inputs: inputs, targets: targets, perturbations: [.none])) {
            XCTAssert("\($0)".contains("1 perturbations for 3 conditions"), "\($0)")
        }
        let bad = try TrainingData(inputs: inputs, targets: targets, neural: neural,
                                   perturbations: [.none, UnitPerturbation(clampedUnits: [H], clampStates: [0], fromStep: 0), .none])
        XCTAssertThrowsError(try RNNWorkspace<Float>(spec: spec, data: bad)) {
            XCTAssert("\($0)".contains("condition 1: perturbation: unit \(H) outside 0..<\(H)"), "\($0)")
        }
    }

    /// The arrays of a TrainingData back in the dataset layout [C, T, ·].
    func datasetLayout(_ data: TrainingData) -> (inputs: Array3<Double>, targets: Array3<Double>, neural: Array3<Double>) {
        var inputs = Array3<Double>(C, T, I, repeating: 0), targets = Array3<Double>(C, T, K, repeating: 0)
        var neural = Array3<Double>(C, T, M, repeating: 0)
        for c in 0..<C { for t in 0..<T {
            for i in 0..<I { inputs[c, t, i] = Double(data.inputs[(t * C + c) * I + i]) }
            for k in 0..<K { targets[c, t, k] = Double(data.targets[(t * C + c) * K + k]) }
            for m in 0..<M { neural[c, t, m] = Double(data.neural[(t * C + c) * M + m]) }
        } }
        return (inputs, targets, neural)
    }

    func testFrozenBlocksGetZeroGradient() throws {
        var objective = penalties
        objective.trainable = [.J, .C, .d, .D, .e]    // B, b, h0 frozen
        try check(mapping: .linear, dale: false, mask: false, noise: 0, objective: objective)
    }

    /// The Float32 training path (fast tanh, specialised code) agrees with the Float64 gradient.
    func testFloat32GradientMatchesFloat64() throws {
        let (spec, data, p64) = try makeProblem(mapping: .linear, dale: true, mask: true, noise: 0)
        var objective = penalties
        objective.trainable = allBlocks
        let parameters = try RNNParameters(layout: spec.layout, values: p64.map(Float.init))
        let (loss32, g32) = try lossAndGradient(spec: spec, objective: objective, parameters: parameters, data: data)
        let ws = try RNNWorkspace<Double>(spec: spec, data: data)
        let pd = parameters.values.map(Double.init)
        var g64 = [Double](repeating: 0, count: pd.count)
        let loss64 = pd.withUnsafeBufferPointer { p in
            g64.withUnsafeMutableBufferPointer { ws.lossAndGradient(p.baseAddress!, objective, $0.baseAddress!) }
        }
        XCTAssertEqual(loss32.total, loss64.total, accuracy: 1e-5 * loss64.total)
        for block in spec.layout.blocks {
            var diff = 0.0, norm = 0.0
            for k in spec.layout.range(block) {
                diff += (Double(g32[k]) - g64[k]) * (Double(g32[k]) - g64[k]); norm += g64[k] * g64[k]
            }
            XCTAssertLessThan((diff / norm).squareRoot(), 1e-4, "\(block)")
        }
    }

    // MARK: Gauss-Newton products

    /// At a zero-residual point (targets = the model's own outputs and recordings) the Hessian of
    /// the data terms is exactly the Gauss-Newton matrix, and the weight penalties are quadratic:
    /// G v must equal the finite difference of the exact gradient along v. Both mappings, Dale's
    /// law, a mask, NaN gaps, a time mask; every trainable block.
    func testGaussNewtonProductIsTheHessianAtZeroResidual() throws {
        for (mapping, perturbed) in [(NeuralMapping.identity, false), (.linear, false), (.identity, true), (.linear, true)] {
            let (spec, data0, p0) = try makeProblem(mapping: mapping, dale: mapping == .linear, mask: true, noise: 0, perturbed: perturbed)
            var objective = Objective(lambda: 0.7, betaJ: 0.03, betaIn: 0.02, betaOut: 0.05, betaRate: 0)
            objective.trainable = allBlocks
            // the model's own outputs as targets
            let ws0 = try RNNWorkspace<Double>(spec: spec, data: data0)
            _ = p0.withUnsafeBufferPointer { ws0.loss($0.baseAddress!, objective) }
            var targets = Array3<Double>(C, T, K, repeating: 0), neural = Array3<Double>(C, T, M, repeating: 0)
            for c in 0..<C {
                for t in 0..<T {
                    for k in 0..<K { targets[c, t, k] = ws0.z[(t * C + c) * K + k] }
                    for m in 0..<M {
                        neural[c, t, m] = mapping == .identity ? ws0.r[(t * C + c) * H + spec.recordedUnits[m]] : ws0.y[(t * C + c) * M + m]
                        if (c + t + m) % 7 == 0 { neural[c, t, m] = .nan }
                    }
                }
            }
            var timeMask = [Double](repeating: 1, count: T)
            timeMask[2] = 0
            var inputs = Array3<Double>(C, T, I, repeating: 0)
            for c in 0..<C { for t in 0..<T { for i in 0..<I { inputs[c, t, i] = Double(data0.inputs[(t * C + c) * I + i]) } } }
            let data = try TrainingData(inputs: inputs, targets: targets, neural: neural, timeMask: timeMask,
                                        perturbations: perturbed ? trialPerturbations : nil)
            let ws = try RNNWorkspace<Double>(spec: spec, data: data)
            let n = p0.count
            var rng = SeededRandom(seed: 17)
            let v = (0..<n).map { _ in rng.normal() }
            func gradient(_ p: [Double]) -> [Double] {
                var g = [Double](repeating: 0, count: n)
                _ = p.withUnsafeBufferPointer { pp in g.withUnsafeMutableBufferPointer { ws.lossAndGradient(pp.baseAddress!, objective, $0.baseAddress!) } }
                return g
            }
            let eps = 1e-5
            let up = gradient(zip(p0, v).map { $0 + eps * $1 }), down = gradient(zip(p0, v).map { $0 - eps * $1 })
            let fd = zip(up, down).map { ($0 - $1) / (2 * eps) }
            _ = gradient(p0)    // forward caches at p0
            var gv = [Double](repeating: 0, count: n)
            p0.withUnsafeBufferPointer { pp in
                v.withUnsafeBufferPointer { vv in gv.withUnsafeMutableBufferPointer { ws.gaussNewtonProduct(pp.baseAddress!, objective, vv.baseAddress!, $0.baseAddress!) } }
            }
            for block in spec.layout.blocks {
                let range = spec.layout.range(block)
                var diff = 0.0, norm = 0.0
                for k in range { diff += (gv[k] - fd[k]) * (gv[k] - fd[k]); norm += fd[k] * fd[k] }
                XCTAssertGreaterThan(norm, 1e-16, "\(mapping) \(block): G v should be non-zero")
                XCTAssertLessThan((diff / norm).squareRoot(), 1e-5, "\(mapping) \(block): relative error \((diff / norm).squareRoot())")
            }
        }
    }

    /// Away from zero residual, with every term on (rate penalty included): G is symmetric and
    /// positive semi-definite, and vᵀ G v equals Σ Λ (Jₑ v)² from finite differences of the outputs.
    func testGaussNewtonProductIsSymmetricPositiveAndMatchesTangents() throws {
        let (spec, data, p0) = try makeProblem(mapping: .linear, dale: true, mask: true, noise: 0)
        var objective = penalties
        objective.trainable = allBlocks
        let ws = try RNNWorkspace<Double>(spec: spec, data: data)
        let n = p0.count
        var rng = SeededRandom(seed: 23)
        let u = (0..<n).map { _ in rng.normal() }, v = (0..<n).map { _ in rng.normal() }
        _ = p0.withUnsafeBufferPointer { ws.loss($0.baseAddress!, objective) }
        func product(_ x: [Double]) -> [Double] {
            var out = [Double](repeating: 0, count: n)
            p0.withUnsafeBufferPointer { pp in x.withUnsafeBufferPointer { xx in out.withUnsafeMutableBufferPointer { ws.gaussNewtonProduct(pp.baseAddress!, objective, xx.baseAddress!, $0.baseAddress!) } } }
            return out
        }
        let gu = product(u), gv = product(v)
        let uGv = zip(u, gv).map(*).reduce(0, +), vGu = zip(v, gu).map(*).reduce(0, +), vGv = zip(v, gv).map(*).reduce(0, +)
        XCTAssertEqual(uGv, vGu, accuracy: 1e-9 * abs(uGv))
        XCTAssertGreaterThan(vGv, 0)
        // vᵀGv = Σ Λ ė² with ė from central differences of every residual (outputs, recordings, rates, weights)
        func residuals(_ p: [Double]) -> [Double] {
            _ = p.withUnsafeBufferPointer { ws.loss($0.baseAddress!, objective) }
            var e: [Double] = []
            for t in 0..<T { for c in 0..<C { for k in 0..<K {
                let i = (t * C + c) * K + k
                e.append((2 * ws.w[t] * ws.taskWeight[k]).squareRoot() * ws.z[i])
            } } }
            for row in 0..<(T * C) { for m in 0..<M where !ws.yStar[row * M + m].isNaN {
                e.append((2 * objective.lambda * ws.neuralWeight[m]).squareRoot() * ws.y[row * M + m])
            } }
            let nr = Double(T * C * H)
            for k in 0..<(T * C * H) { e.append((2 * objective.betaRate / nr).squareRoot() * ws.r[k]) }
            for k in 0..<(H * H) { e.append((2 * objective.betaJ).squareRoot() * ws.J[k]) }
            for k in spec.layout.range(.B) { e.append((2 * objective.betaIn).squareRoot() * p[k]) }
            let cStart = spec.layout.offset(.C)
            for k in 0..<K { for i in 0..<H { e.append((2 * objective.betaOut / ws.outputVariance[k]).squareRoot() * p[cStart + k * H + i]) } }
            return e
        }
        let eps = 1e-6
        let up = residuals(zip(p0, v).map { $0 + eps * $1 }), down = residuals(zip(p0, v).map { $0 - eps * $1 })
        let quadratic = zip(up, down).map { ($0 - $1) / (2 * eps) }.map { $0 * $0 }.reduce(0, +)
        XCTAssertEqual(vGv, quadratic, accuracy: 1e-6 * vGv)
    }
}

