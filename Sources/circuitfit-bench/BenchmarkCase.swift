import ArgumentParser

/// One benchmark size: H hidden units, C conditions, T time steps, with I = 3 inputs, K = 3
/// outputs and M = 20 recorded (tied) units as in every case of the benchmark; and the FLOP count
/// of one training iteration at that size (matrix products only, see benchmarks/README.md).
struct BenchmarkCase: Hashable, ExpressibleByArgument {
    var H: Int, C: Int, T: Int
    var I = 3, K = 3, M = 20

    init(H: Int, C: Int, T: Int) {
        (self.H, self.C, self.T) = (H, C, T)
    }

    /// The sizes every table reports: the default model, a 5× longer trial, a larger network.
    static let main = [BenchmarkCase(H: 200, C: 8, T: 120), BenchmarkCase(H: 200, C: 8, T: 600),
                       BenchmarkCase(H: 500, C: 16, T: 120)]

    /// `H,C,T`, e.g. `200,8,120`: H ≥ 1 hidden units, C ≥ 1 conditions, T ≥ 2 steps.
    init?(argument: String) {
        let parts = argument.split(separator: ",", omittingEmptySubsequences: false).map { Int($0) }
        guard parts.count == 3, let h = parts[0], let c = parts[1], let t = parts[2], h >= 1, c >= 1, t >= 2 else { return nil }
        self.init(H: h, C: c, T: t)
    }
    var defaultValueDescription: String { "\(H),\(C),\(T)" }

    var label: String { "H=\(H), C=\(C), T=\(T)" }

    /// Recurrent products: forward r[t]·Jᵀ and backward dh[t+1]·J, each 2·C·H² per step over the
    /// T−1 transitions, and the weight gradient dJ = Σ dh[t+1]ᵀ r[t], one gemm of 2·H²·(T−1)·C.
    var recurrentFlops: Double { 6 * Double((T - 1) * C) * Double(H * H) }
    /// Everything else that is a matrix product: input drive B·u (forward) and dB (backward),
    /// 2·(T−1)·C·H·I each; readout C·r (forward), dC and dr = dz·C (backward), 2·T·C·H·K each.
    var otherFlops: Double { 4 * Double((T - 1) * C * H * I) + 6 * Double(T * C * H * K) }
    var flops: Double { recurrentFlops + otherFlops }
}
