import Foundation
import CircuitFitCore

/// Standard normal draws for the recurrent noise ξ, fast enough to fill T·C·H values per
/// iteration: the ziggurat method (Marsaglia & Tsang 2000) with 256 layers, driven by a
/// `SeededRandom` (one 64-bit draw per value in ~99% of cases), so a seed gives the same stream on
/// every platform. The layer table is derived at first use from its defining equations (see
/// `Ziggurat.init`), not hard-coded.
struct Ziggurat: Sendable {
    static let shared = Ziggurat()

    /// Layer edges x[0] > x[1] = r > … > x[255] > x[256] = 0 (x[0] = v/f(r), the base layer's
    /// equivalent width), and f(x[i]) with f(x) = exp(−x²/2).
    let x: [Double]
    let f: [Double]
    /// Start of the tail, r.
    let r: Double

    /// Every layer has area v = r f(r) + ∫_r^∞ f; x[i+1] = f⁻¹(v/x[i] + f(x[i])). r is the root
    /// (found by bisection) at which the top layer closes: x[255]·(1 − f(x[255])) = v.
    init() {
        let n = 256
        func density(_ t: Double) -> Double { Foundation.exp(-0.5 * t * t) }
        func tailArea(_ r: Double) -> Double { (Double.pi / 2).squareRoot() * Foundation.erfc(r / 2.0.squareRoot()) }
        /// > 0 when r is too small (layers run out before the top), < 0 when too large.
        func mismatch(_ r: Double) -> (Double, [Double]) {
            let v = r * density(r) + tailArea(r)
            var x = [Double](repeating: 0, count: n + 1)
            x[0] = v / density(r)
            x[1] = r
            for i in 1..<(n - 1) {
                let y = v / x[i] + density(x[i])
                if y >= 1 { return (1, x) }
                x[i + 1] = (-2 * Foundation.log(y)).squareRoot()
            }
            return (v - x[n - 1] * (1 - density(x[n - 1])), x)
        }
        var lo = 3.0, hi = 4.5
        for _ in 0..<200 {
            let mid = 0.5 * (lo + hi)
            if mismatch(mid).0 > 0 { lo = mid } else { hi = mid }
        }
        r = hi
        var table = mismatch(hi).1
        table[n] = 0
        x = table
        f = table.map(density)
    }

    /// One N(0, 1) draw.
    @inline(__always) func normal(_ rng: inout SeededRandom) -> Double {
        while true {
            let bits = rng.next()
            let i = Int(bits & 0xFF)                          // layer
            let sign: Double = bits & 0x100 == 0 ? 1 : -1
            let u = Double(bits >> 11) * 0x1.0p-53            // uniform [0, 1)
            let t = u * x[i]
            if t < x[i + 1] { return sign * t }               // inside the layer's inner rectangle
            if i == 0 {
                // tail beyond r (Marsaglia 1964): r + a with a ~ exponential, accepted w.p. exp(−a²/2)
                while true {
                    let a = -Foundation.log(1 - rng.uniform()) / r
                    let b = -Foundation.log(1 - rng.uniform())
                    if 2 * b > a * a { return sign * (r + a) }
                }
            }
            // wedge: accept under the curve
            if f[i] + rng.uniform() * (f[i + 1] - f[i]) < Foundation.exp(-0.5 * t * t) { return sign * t }
        }
    }
}
