import Foundation
import CircuitFitCore

/// The floating-point types the model RNN runs in: `Float` for training (fast) and `Double` for
/// exact gradient checks. Adds to BLAS's gemm the one element-wise function the model needs.
public protocol RNNScalar: BLASScalar {
    /// y[k] = tanh(x[k]) for k < count, the model's rate nonlinearity φ.
    static func tanh(_ x: UnsafePointer<Self>, _ y: UnsafeMutablePointer<Self>, count: Int)
}

extension Float: RNNScalar {
    /// A branch-free rational approximation that the compiler vectorises (glibc's tanhf is a
    /// function call per element and took a third of a training iteration):
    /// tanh(x) ≈ x·P(x²)/Q(x²) on |x| ≤ 9 (deg P = 6, deg Q = 3 in x², coefficients fitted for
    /// this project by iteratively reweighted least squares on the relative error), ±1 beyond.
    /// Largest error in Float32 arithmetic ≈ 3·10⁻⁷ relative (5 ulp; tanhf: 1.4 ulp), odd,
    /// |y| ≤ 1, NaN in → NaN out. The gradient uses 1 − y², consistent to the same precision.
    /// Where the CPU has AVX2 + FMA, the same formula runs 8 lanes at a time in C
    /// (`AVX2Kernels.tanh`; its Horner steps are fused multiply-adds, so the last bit can differ).
    @inlinable public static func tanh(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        if AVX2Kernels.isAvailable { AVX2Kernels.tanh(x, y, count: count); return }
        portableTanh(x, y, count: count)
    }

    /// The formula above in Swift, for CPUs without AVX2 + FMA (and the kernel's tests).
    @inlinable public static func portableTanh(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        let p1: Float = 0.13084009289741516, p2: Float = 0.003103954251855612
        let p3: Float = 1.1154275853186846e-05, p4: Float = -2.0225034091936323e-08
        let p5: Float = 5.277829562277958e-11, p6: Float = -8.488346879770639e-14
        let q1: Float = 0.4641733467578888, q2: Float = 0.024495171383023262
        let q3: Float = 0.00025461416225880384
        for k in 0..<count {
            let v = x[k]
            let xc = v > 9 ? 9 : (v < -9 ? -9 : v)      // NaN stays NaN
            let s = xc * xc
            let p = 1 + s * (p1 + s * (p2 + s * (p3 + s * (p4 + s * (p5 + s * p6)))))
            let q = 1 + s * (q1 + s * (q2 + s * q3))
            let t = xc * p / q
            y[k] = t > 1 ? 1 : (t < -1 ? -1 : t)
        }
    }
}

extension Double: RNNScalar {
    /// Foundation's tanh, element by element (the exact reference for gradient checks).
    @inlinable public static func tanh(_ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, count: Int) {
        for k in 0..<count { y[k] = Foundation.tanh(x[k]) }
    }
}
