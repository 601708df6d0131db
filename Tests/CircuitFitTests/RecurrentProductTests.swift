import XCTest
@testable import CircuitFitCore
@testable import CircuitFitModel
@testable import CircuitFitAnalysis
@testable import CircuitFitImport
@testable import CircuitFitReport
@testable import CircuitFitCircuit
@testable import CircuitFitFitting
@testable import CircuitFitExperiment

/// The per-step recurrent product, which is split into column blocks for large C·H² (OpenBLAS's
/// small-matrix sgemm path; see `RecurrentProduct`), against a plain triple loop, and the BPTT
/// gradient at a size that takes the split path against a directional finite difference.
final class RecurrentProductTests: XCTestCase {
    func testBlockWidthRule() {
        XCTAssertEqual(RecurrentProduct.blockWidth(conditions: 8, hidden: 200), 200)    // 3.2·10⁵: one call
        XCTAssertEqual(RecurrentProduct.blockWidth(conditions: 16, hidden: 200), 200)   // 6.4·10⁵
        XCTAssertEqual(RecurrentProduct.blockWidth(conditions: 32, hidden: 200), 128)   // 156 → 144 → cap 128
        XCTAssertEqual(RecurrentProduct.blockWidth(conditions: 8, hidden: 500), 128)    // 250 → 240 → cap 128
        XCTAssertEqual(RecurrentProduct.blockWidth(conditions: 16, hidden: 500), 112)   // 125 → 112
        XCTAssertEqual(RecurrentProduct.blockWidth(conditions: 64, hidden: 500), 500)   // 31 < 32: one call
        XCTAssertEqual(RecurrentProduct.blockWidth(conditions: 0, hidden: 10), 10)
    }

    /// c += α a·b through `accumulate` equals the triple loop, for one-call and blocked shapes.
    func testAccumulateMatchesTripleLoop() {
        for (C, H) in [(3, 17), (8, 200), (32, 200), (16, 500), (8, 360)] {
            var rng = SeededRandom(seed: UInt64(C * 1000 + H))
            let a = (0..<(C * H)).map { _ in rng.uniform(-1, 1) }
            let b = (0..<(H * H)).map { _ in rng.uniform(-1, 1) }
            let c0 = (0..<(C * H)).map { _ in rng.uniform(-1, 1) }
            let alpha = 0.3
            var expected = c0
            for i in 0..<C {
                for j in 0..<H {
                    var s = 0.0
                    for k in 0..<H { s += a[i * H + k] * b[k * H + j] }
                    expected[i * H + j] += alpha * s
                }
            }
            var c = c0
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    c.withUnsafeMutableBufferPointer { pc in
                        RecurrentProduct.accumulate(conditions: C, hidden: H, alpha: alpha, pa.baseAddress!, pb.baseAddress!, pc.baseAddress!)
                    }
                }
            }
            let err = zip(c, expected).map { abs($0 - $1) }.max()!
            XCTAssertLessThan(err, 1e-11, "C=\(C), H=\(H), block width \(RecurrentProduct.blockWidth(conditions: C, hidden: H))")

            // Float32 as the trainer runs it
            let af = a.map(Float.init), bf = b.map(Float.init)
            var cf = c0.map(Float.init)
            af.withUnsafeBufferPointer { pa in
                bf.withUnsafeBufferPointer { pb in
                    cf.withUnsafeMutableBufferPointer { pc in
                        RecurrentProduct.accumulate(conditions: C, hidden: H, alpha: Float(alpha), pa.baseAddress!, pb.baseAddress!, pc.baseAddress!)
                    }
                }
            }
            let errf = zip(cf, expected).map { abs(Double($0) - $1) }.max()!
            XCTAssertLessThan(errf, 1e-4 * Double(H).squareRoot(), "Float32 C=\(C), H=\(H)")
        }
    }

    /// The analytic gradient at H = 360, C = 8 (split into column blocks of 128) agrees with a
    /// central finite difference along a random direction, in Float64.
    func testGradientOnTheBlockedPath() throws {
        let H = 360, C = 8, T = 6, I = 3, K = 2, M = 5
        XCTAssertLessThan(RecurrentProduct.blockWidth(conditions: C, hidden: H), H, "this size must take the split path")
        var rng = SeededRandom(seed: 21)
        func random(_ d0: Int, _ d1: Int, _ d2: Int) -> Array3<Double> {
            Array3(d0, d1, d2, data: (0..<(d0 * d1 * d2)).map { _ in rng.uniform(-0.5, 0.5) })
        }
        let spec = RNNSpec(hidden: H, inputs: I, outputs: K, recorded: M)
        let data = try TrainingData(inputs: random(C, T, I), targets: random(C, T, K), neural: random(C, T, M))
        var objective = Objective()
        objective.trainable = Set(ParameterBlock.allCases)
        var p = initialParameters(spec: spec, seed: 3).values.map(Double.init)
        for k in spec.layout.range(.h0) { p[k] = rng.uniform(-0.5, 0.5) }
        let ws = try RNNWorkspace<Double>(spec: spec, data: data)
        var g = [Double](repeating: 0, count: p.count)
        _ = p.withUnsafeBufferPointer { pp in
            g.withUnsafeMutableBufferPointer { ws.lossAndGradient(pp.baseAddress!, objective, $0.baseAddress!) }
        }
        let v = (0..<p.count).map { _ in rng.uniform(-1, 1) }
        let eps = 1e-6
        func f(_ s: Double) -> Double {
            let q = zip(p, v).map { $0 + s * $1 }
            return q.withUnsafeBufferPointer { ws.loss($0.baseAddress!, objective).total }
        }
        let fd = (f(eps) - f(-eps)) / (2 * eps)
        let analytic = zip(g, v).reduce(0) { $0 + $1.0 * $1.1 }
        XCTAssertEqual(analytic, fd, accuracy: 1e-6 * max(1, abs(fd)))
    }
}
