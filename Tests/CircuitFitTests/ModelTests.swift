import XCTest
@testable import CircuitFitCore
@testable import CircuitFitModel
@testable import CircuitFitAnalysis
@testable import CircuitFitImport
@testable import CircuitFitReport
@testable import CircuitFitCircuit
@testable import CircuitFitFitting
@testable import CircuitFitExperiment

final class ModelTests: XCTestCase {
    func testParameterLayoutIsOneContiguousVector() {
        let layout = ParameterLayout(hidden: 5, inputs: 3, outputs: 2, recorded: 4, mapping: .linear)
        let expected: [(ParameterBlock, [Int])] = [(.J, [5, 5]), (.B, [5, 3]), (.b, [5]), (.C, [2, 5]), (.d, [2]), (.h0, [5]), (.D, [4, 5]), (.e, [4])]
        var next = 0
        for (block, shape) in expected {
            XCTAssertEqual(layout.shape(block), shape)
            XCTAssertEqual(layout.range(block), next..<(next + shape.reduce(1, *)))
            next += shape.reduce(1, *)
        }
        XCTAssertEqual(layout.count, next)
        let identity = ParameterLayout(hidden: 5, inputs: 3, outputs: 2, recorded: 4, mapping: .identity)
        XCTAssertEqual(identity.count, next - 24)
        XCTAssertEqual(identity.blocks, [.J, .B, .b, .C, .d, .h0])
    }

    func testInitialisationStatisticsAndStructure() {
        let H = 200
        let spec = RNNSpec(hidden: H, inputs: 3, outputs: 3, excitatory: (0..<H).map { $0 < 150 }, connectivityMask: RNNSpec.noAutapses(H))
        let p = initialParameters(spec: spec, seed: 1)
        XCTAssertEqual(p, initialParameters(spec: spec, seed: 1))
        let J = p.effectiveJ(spec: spec)
        for i in 0..<H { XCTAssertEqual(J[i * H + i], 0, "no autapses") }
        XCTAssert((0..<H).allSatisfy { i in (0..<H).allSatisfy { j in j < 150 ? J[i * H + j] >= 0 : J[i * H + j] <= 0 } }, "Dale's law")
        // balanced: mean row input ≈ 0 (E and I columns cancel in expectation)
        let meanJ = J.reduce(0, +) / Float(H * H)
        XCTAssertEqual(meanJ, 0, accuracy: 0.01)
        let plain = RNNSpec(hidden: H, inputs: 3, outputs: 3)
        let q = initialParameters(spec: plain, seed: 2)
        let varJ = q[.J].map { Double($0 * $0) }.reduce(0, +) / Double(H * H)
        XCTAssertEqual(varJ, 1.44 / Double(H), accuracy: 0.05 * 1.44 / Double(H))
        let varC = q[.C].map { Double($0 * $0) }.reduce(0, +) / Double(3 * H)
        XCTAssertEqual(varC, 1 / Double(H), accuracy: 0.2 / Double(H))
        XCTAssert(q[.b].allSatisfy { $0 == 0 } && q[.d].allSatisfy { $0 == 0 } && q[.h0].allSatisfy { $0 == 0 })
    }

    /// The exported model.npz arrays re-simulate the fitted model with the formula of docs/files.md#modelnpz,
    /// written here in plain Double loops, including Dale's law and a mask (exported J is effective).
    func testExportedArraysResimulateTheModel() throws {
        let H = 8, I = 2, K = 2, C = 2, T = 12
        let spec = RNNSpec(hidden: H, inputs: I, outputs: K, recorded: 3, mapping: .linear,
                           excitatory: (0..<H).map { $0 % 2 == 0 }, connectivityMask: RNNSpec.noAutapses(H))
        var p = initialParameters(spec: spec, seed: 3)
        p[.h0] = ArraySlice((0..<H).map { Float($0) * 0.1 - 0.3 })
        p[.b] = ArraySlice((0..<H).map { Float($0 % 3) * 0.05 })
        var rng = SeededRandom(seed: 1)
        let inputs = Array3<Double>(C, T, I, data: (0..<(C * T * I)).map { _ in rng.normal() })
        let (rates, outputs) = try simulate(spec: spec, parameters: p, inputs: inputs)

        var arrays: [String: [Double]] = [:]
        for a in p.modelArrays(spec: spec) { arrays[a.name] = a.values }
        XCTAssertEqual(Set(arrays.keys), ["J", "B", "b", "C", "d", "h0", "alpha", "recorded_units", "D", "e"])
        let J = arrays["J"]!, B = arrays["B"]!, b = arrays["b"]!, Cw = arrays["C"]!, d = arrays["d"]!
        let alpha = arrays["alpha"]![0]
        XCTAssertEqual(alpha, 0.1)
        // reloading the saved arrays into a spec without Dale's law or mask gives the same model
        var plain = spec
        plain.excitatory = nil
        plain.connectivityMask = nil
        var blocks: [ParameterBlock: [Float]] = [:]
        for block in plain.layout.blocks { blocks[block] = arrays[block.rawValue]!.map(Float.init) }
        let reloaded = try RNNParameters(layout: plain.layout, blocks: blocks)
        XCTAssertEqual(try simulate(spec: plain, parameters: reloaded, inputs: inputs).outputs, outputs)
        blocks[.e] = nil
        XCTAssertThrowsError(try RNNParameters(layout: plain.layout, blocks: blocks))

        for c in 0..<C {
            var h = arrays["h0"]!
            for t in 0..<T {
                let r = h.map { Foundation.tanh($0) }
                for i in 0..<H { XCTAssertEqual(Double(rates[c, t, i]), r[i], accuracy: 2e-5) }
                for k in 0..<K {
                    let z = d[k] + (0..<H).map { Cw[k * H + $0] * r[$0] }.reduce(0, +)
                    XCTAssertEqual(Double(outputs[c, t, k]), z, accuracy: 2e-5)
                }
                h = (0..<H).map { i in
                    let recurrent = (0..<H).map { J[i * H + $0] * r[$0] }.reduce(0, +)
                    let input = (0..<I).map { B[i * I + $0] * inputs[c, t, $0] }.reduce(0, +)
                    return (1 - alpha) * h[i] + alpha * (recurrent + input + b[i])
                }
            }
        }
    }

    /// Time-masked steps do not count; NaN recordings are left out of the neural mean.
    func testTimeMaskAndMissingRecordings() throws {
        let H = 6, C = 2, T = 5
        let spec = RNNSpec(hidden: H, inputs: 1, outputs: 1, recorded: 2, recordedUnits: [4, 1])
        let p = initialParameters(spec: spec, seed: 8)
        let inputs = Array3<Double>(C, T, 1, repeating: 0.5)
        var targets = Array3<Double>(C, T, 1, repeating: 0.2)
        var neural = Array3<Double>(C, T, 2, repeating: 0.3)
        neural[0, 2, 1] = .nan; neural[1, 4, 0] = .nan
        let mask: [Double] = [1, 0, 1, 1, 0]
        let objective = Objective(lambda: 1)
        let base = try evaluateLoss(spec: spec, objective: objective, parameters: p,
                                    data: TrainingData(inputs: inputs, targets: targets, neural: neural, timeMask: mask))
        // by hand
        let (rates, outputs) = try simulate(spec: spec, parameters: p, inputs: inputs)
        var task = 0.0, neuralSum = 0.0, present = 0.0
        for c in 0..<C {
            for t in 0..<T {
                if mask[t] == 1 { let e = Double(outputs[c, t, 0]) - 0.2; task += e * e }
                for (m, unit) in [4, 1].enumerated() where !neural[c, t, m].isNaN {
                    let e = Double(rates[c, t, unit]) - 0.3; neuralSum += e * e; present += 1
                }
            }
        }
        XCTAssertEqual(present, 18)
        XCTAssertEqual(base.task, task / 6, accuracy: 1e-6)
        XCTAssertEqual(base.neural, neuralSum / 18, accuracy: 1e-6)
        XCTAssertEqual(base.total, base.task + base.neural, accuracy: 1e-9)
        // changing a target at a masked step changes nothing
        targets[1, 4, 0] = 50
        let masked = try evaluateLoss(spec: spec, objective: objective, parameters: p,
                                      data: TrainingData(inputs: inputs, targets: targets, neural: neural, timeMask: mask))
        XCTAssertEqual(masked, base)
    }

    func testSpecValidation() {
        XCTAssertThrowsError(try RNNSpec(hidden: 4, inputs: 1, outputs: 1, recorded: 2, recordedUnits: [1, 1]).validate())
        XCTAssertThrowsError(try RNNSpec(hidden: 4, inputs: 1, outputs: 1, recorded: 2, recordedUnits: [1, 4]).validate())
        XCTAssertThrowsError(try RNNSpec(hidden: 4, inputs: 1, outputs: 1, recorded: 5).validate())
        XCTAssertThrowsError(try RNNSpec(hidden: 4, inputs: 1, outputs: 1, excitatory: [true]).validate())
        XCTAssertThrowsError(try RNNSpec(hidden: 2, inputs: 1, outputs: 1, connectivityMask: [1, 0.5, 1, 1]).validate())
        XCTAssertNoThrow(try RNNSpec(hidden: 4, inputs: 1, outputs: 1, recorded: 9, mapping: .linear).validate())
    }

    /// The Float32 tanh approximation stays within 5·10⁻⁷ relative of Foundation's tanh.
    func testFastTanhAccuracy() {
        var x: [Float] = stride(from: -12.0, through: 12.0, by: 0.001).map { Float($0) }
        x += [0, 1e-30, -1e-8, 1e-4, .infinity, -.infinity, Float.greatestFiniteMagnitude]
        var y = [Float](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { Float.tanh(xp.baseAddress!, $0.baseAddress!, count: x.count) } }
        for (xi, yi) in zip(x, y) {
            let exact = Foundation.tanh(Double(xi))
            XCTAssertLessThanOrEqual(abs(Double(yi) - exact), 5e-7 * max(abs(exact), 1e-30), "tanh(\(xi))")
            XCTAssertLessThanOrEqual(abs(yi), 1)
        }
        var nan: [Float] = [.nan], out: [Float] = [0]
        nan.withUnsafeBufferPointer { n in out.withUnsafeMutableBufferPointer { Float.tanh(n.baseAddress!, $0.baseAddress!, count: 1) } }
        XCTAssert(out[0].isNaN)
    }
}

final class RecurrentNoiseTests: XCTestCase {
    /// The ziggurat's table closes (x[256] = 0 after the top layer) and its draws have the moments
    /// and tail mass of N(0, 1).
    func testZigguratDrawsAreStandardNormal() {
        let z = Ziggurat.shared
        XCTAssertEqual(z.r, 3.6541528853610088, accuracy: 1e-9)    // published 256-layer value
        XCTAssertEqual(z.x.count, 257)
        var rng = SeededRandom(seed: 21)
        let n = 400_000
        var m1 = 0.0, m2 = 0.0, m4 = 0.0, beyond2 = 0, beyond37 = 0
        for _ in 0..<n {
            let v = z.normal(&rng)
            m1 += v; m2 += v * v; m4 += v * v * v * v
            if abs(v) > 2 { beyond2 += 1 }
            if abs(v) > 3.7 { beyond37 += 1 }
        }
        XCTAssertEqual(m1 / Double(n), 0, accuracy: 0.006)
        XCTAssertEqual(m2 / Double(n), 1, accuracy: 0.01)
        XCTAssertEqual(m4 / Double(n), 3, accuracy: 0.06)
        XCTAssertEqual(Double(beyond2) / Double(n), 0.0455, accuracy: 0.002)        // P(|x| > 2)
        XCTAssertEqual(Double(beyond37) / Double(n), 2.16e-4, accuracy: 0.8e-4)     // tail beyond r
        var a = SeededRandom(seed: 3), b = SeededRandom(seed: 3)
        XCTAssertEqual((0..<100).map { _ in z.normal(&a) }, (0..<100).map { _ in z.normal(&b) })
    }
}
