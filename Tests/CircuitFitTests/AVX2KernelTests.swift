import Foundation
import XCTest
@testable import CircuitFitCore
@testable import CircuitFitModel

/// Our AVX2 + FMA kernels (`AVX2Kernels`, Sources/CKernels): chosen exactly when the CPU has the
/// instructions (/proc/cpuinfo as the independent witness); the recurrent product against a
/// Float64 triple loop at every edge of its 4 × 16 register blocking, with padded leading
/// dimensions whose padding must stay untouched; tanh against the Swift formula and Foundation.
final class AVX2KernelTests: XCTestCase {
    /// The flags of the first CPU in /proc/cpuinfo.
    private func cpuFlags() throws -> Set<String> {
        let text = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let line = try XCTUnwrap(text.split(separator: "\n").first { $0.hasPrefix("flags") })
        return Set(line.split(separator: ":", maxSplits: 1)[1].split(separator: " ").map(String.init))
    }

    func testChosenExactlyWhenTheCPUHasAVX2AndFMA() throws {
        let flags = try cpuFlags()
        let off = ProcessInfo.processInfo.environment["CIRCUITFIT_NO_AVX2"] == "1"
        XCTAssertEqual(AVX2Kernels.isAvailable, !off && flags.contains("avx2") && flags.contains("fma"), "flags: avx2 \(flags.contains("avx2")), fma \(flags.contains("fma")), CIRCUITFIT_NO_AVX2 \(off)")
    }

    func testAccumulateAtEveryBlockingEdge() throws {
        guard AVX2Kernels.isAvailable else {
            // no AVX2 + FMA (or CIRCUITFIT_NO_AVX2=1): the trainer must not take the kernel
            XCTAssertFalse(RecurrentProduct.usesKernel(Float.self, hidden: 200)); return
        }
        var rng = SeededRandom(seed: 77)
        let sentinel: Float = 12345.5
        var cases = 0
        for m in [1, 2, 3, 4, 5, 7, 8, 9, 13] {
            for n in [1, 7, 8, 9, 15, 16, 17, 23, 24, 25, 33, 200] {
                for k in [1, 3, 8, 17, 200, 257] where m * n * k <= 200_000 || (m == 8 && n == 200) {
                    let lda = k + 3, ldb = n + 5, ldc = n + 2
                    let a = (0..<(m * lda)).map { _ in Float(rng.uniform(-1, 1)) }
                    let b = (0..<(k * ldb)).map { _ in Float(rng.uniform(-1, 1)) }
                    var c = [Float](repeating: sentinel, count: m * ldc)
                    for i in 0..<m { for j in 0..<n { c[i * ldc + j] = Float(rng.uniform(-1, 1)) } }
                    let c0 = c, alpha: Float = 0.7
                    var expected = [Double](repeating: 0, count: m * ldc)
                    for i in 0..<m {
                        for j in 0..<n {
                            var s = 0.0
                            for p in 0..<k { s += Double(a[i * lda + p]) * Double(b[p * ldb + j]) }
                            expected[i * ldc + j] = Double(c0[i * ldc + j]) + Double(alpha) * s
                        }
                    }
                    func run(_ c: inout [Float]) {
                        a.withUnsafeBufferPointer { pa in
                            b.withUnsafeBufferPointer { pb in
                                c.withUnsafeMutableBufferPointer { pc in
                                    AVX2Kernels.accumulate(m: m, n: n, k: k, alpha: alpha, a: pa.baseAddress!, lda: lda,
                                                           b: pb.baseAddress!, ldb: ldb, c: pc.baseAddress!, ldc: ldc)
                                }
                            }
                        }
                    }
                    run(&c)
                    for i in 0..<m {
                        for j in 0..<ldc {
                            let got = c[i * ldc + j]
                            if j < n {
                                XCTAssertEqual(Double(got), expected[i * ldc + j], accuracy: 2e-6 * Double(k).squareRoot() + 1e-6,
                                               "m=\(m) n=\(n) k=\(k) at [\(i), \(j)]")
                            } else {
                                XCTAssertEqual(got, sentinel, "m=\(m) n=\(n) k=\(k): padding column \(j) of row \(i) was written")
                            }
                        }
                    }
                    var again = c0
                    run(&again)
                    XCTAssertEqual(again, c, "m=\(m) n=\(n) k=\(k): not the same bits twice")
                    cases += 1
                }
            }
        }
        XCTAssertGreaterThan(cases, 400)
    }

    /// The trainer's RecurrentProduct takes the kernel for Float up to H = 256 (BLAS above, and
    /// always for Double) and gives what BLAS gives, to rounding.
    func testRecurrentProductAgreesWithBLAS() throws {
        guard AVX2Kernels.isAvailable else {
            XCTAssertFalse(RecurrentProduct.usesKernel(Float.self, hidden: 17)); return
        }
        XCTAssertTrue(RecurrentProduct.usesKernel(Float.self, hidden: 200))
        XCTAssertTrue(RecurrentProduct.usesKernel(Float.self, hidden: 256))
        XCTAssertFalse(RecurrentProduct.usesKernel(Float.self, hidden: 257))
        XCTAssertFalse(RecurrentProduct.usesKernel(Double.self, hidden: 200))
        for (C, H) in [(8, 200), (3, 17), (32, 256)] {
            var rng = SeededRandom(seed: UInt64(C + H))
            let a = (0..<(C * H)).map { _ in Float(rng.uniform(-1, 1)) }
            let b = (0..<(H * H)).map { _ in Float(rng.uniform(-1, 1)) }
            let c0 = (0..<(C * H)).map { _ in Float(rng.uniform(-1, 1)) }
            var viaKernel = c0, viaBLAS = c0
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    viaKernel.withUnsafeMutableBufferPointer { RecurrentProduct.accumulate(conditions: C, hidden: H, alpha: 0.1, pa.baseAddress!, pb.baseAddress!, $0.baseAddress!) }
                    viaBLAS.withUnsafeMutableBufferPointer { RecurrentProduct.accumulateBLAS(conditions: C, hidden: H, alpha: 0.1, pa.baseAddress!, pb.baseAddress!, $0.baseAddress!) }
                }
            }
            let err = zip(viaKernel, viaBLAS).map { abs($0 - $1) }.max()!
            XCTAssertLessThan(err, 2e-5, "C=\(C) H=\(H)")
            XCTAssertNotEqual(err, -1)
        }
    }

    func testTanhMatchesTheFormulaAndFoundation() throws {
        guard AVX2Kernels.isAvailable else {
            // without the kernels Float.tanh is the Swift formula, to the bit
            let xs: [Float] = stride(from: -12.0, through: 12.0, by: 0.01).map { Float($0) }
            var viaTanh = xs, viaSwift = xs
            xs.withUnsafeBufferPointer { px in
                viaTanh.withUnsafeMutableBufferPointer { Float.tanh(px.baseAddress!, $0.baseAddress!, count: xs.count) }
                viaSwift.withUnsafeMutableBufferPointer { Float.portableTanh(px.baseAddress!, $0.baseAddress!, count: xs.count) }
            }
            XCTAssertEqual(viaTanh, viaSwift); return
        }
        var xs: [Float] = stride(from: -12.0, through: 12.0, by: 0.001).map { Float($0) }
        xs += [0, -0.0, 9, -9, 8.999999, 1e-30, -1e-30, Float.leastNonzeroMagnitude, .infinity, -.infinity, 1e30, -1e30]
        for count in [xs.count, 0, 1, 7, 8, 9, 17] {        // the 8-lane body and the scalar tail
            var viaKernel = [Float](repeating: 7, count: xs.count), viaSwift = viaKernel
            xs.withUnsafeBufferPointer { px in
                viaKernel.withUnsafeMutableBufferPointer { AVX2Kernels.tanh(px.baseAddress!, $0.baseAddress!, count: count) }
                viaSwift.withUnsafeMutableBufferPointer { Float.portableTanh(px.baseAddress!, $0.baseAddress!, count: count) }
            }
            // relative errors against Foundation's Double tanh: the kernel's within the formula's
            // documented 3·10⁻⁷ plus a rounding or two (its Horner steps are fused)
            var worstKernel = 0.0, worstSwift = 0.0
            for i in 0..<count {
                let x = xs[i], y = viaKernel[i], exact = Foundation.tanh(Double(x))
                XCTAssertEqual(y, viaSwift[i], accuracy: 6e-7 * max(abs(viaSwift[i]), 1e-30), "x = \(x)")   // each within its error, on either side
                XCTAssertLessThanOrEqual(abs(y), 1)
                if exact != 0 {
                    worstKernel = max(worstKernel, abs(Double(y) - exact) / abs(exact))
                    worstSwift = max(worstSwift, abs(Double(viaSwift[i]) - exact) / abs(exact))
                }
            }
            XCTAssertLessThan(worstKernel, 4.5e-7, "kernel \(worstKernel), Swift formula \(worstSwift)")
            if count == xs.count { XCTAssertGreaterThan(worstSwift, 1e-8, "the comparison must see rounding") }
            XCTAssertTrue(viaKernel[count...].allSatisfy { $0 == 7 }, "count \(count): wrote past the end")
        }
        // odd to the bit, signed zero, NaN in → NaN out
        let pos = xs.filter { $0 > 0 && $0.isFinite }, neg = pos.map { -$0 }
        var yp = [Float](repeating: 0, count: pos.count), yn = yp
        pos.withUnsafeBufferPointer { p in yp.withUnsafeMutableBufferPointer { AVX2Kernels.tanh(p.baseAddress!, $0.baseAddress!, count: pos.count) } }
        neg.withUnsafeBufferPointer { p in yn.withUnsafeMutableBufferPointer { AVX2Kernels.tanh(p.baseAddress!, $0.baseAddress!, count: neg.count) } }
        XCTAssertEqual(yn, yp.map { -$0 })
        var special: [Float] = [.nan, -0.0, 0.5, .nan, 3, -.nan, 1, 2, .nan], out = special
        special.withUnsafeMutableBufferPointer { s in out.withUnsafeMutableBufferPointer { AVX2Kernels.tanh(s.baseAddress!, $0.baseAddress!, count: s.count) } }
        XCTAssertTrue(out[0].isNaN && out[3].isNaN && out[5].isNaN && out[8].isNaN, "\(out)")
        XCTAssertEqual(out[1], 0); XCTAssertEqual(out[1].sign, .minus)
        XCTAssertFalse(out[2].isNaN || out[4].isNaN)
    }
}
