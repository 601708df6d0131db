import Foundation
import CircuitFitCore

// Clock, medians and the machine's sgemm rate: the measuring tools every table uses.

private let clock = ContinuousClock()

/// Wall-clock seconds `body` takes.
func seconds(_ body: () -> Void) -> Double {
    let d = clock.measure(body)
    return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}

func median(_ x: [Double]) -> Double {
    let s = x.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : 0.5 * (s[s.count / 2 - 1] + s[s.count / 2])
}

/// Median over `repeats` of the mean time of one call, each repeat running `body` enough times to
/// last about `target` seconds (at least once), after one untimed warm-up call.
func timePerCall(repeats: Int, target: Double = 0.05, _ body: () -> Void) -> Double {
    body()  // warm-up (page faults, BLAS buffers)
    let one = max(seconds(body), 1e-7)
    let inner = max(1, Int(target / one))
    return median((0..<repeats).map { _ in seconds { for _ in 0..<inner { body() } } / Double(inner) })
}

/// A Float buffer filled with seeded uniform values in [−scale, scale], for timing BLAS calls.
final class Buffer {
    let p: UnsafeMutablePointer<Float>
    let count: Int
    init(_ count: Int, seed: UInt64 = 7, scale: Float = 0.1) {
        self.count = max(count, 1)
        p = .allocate(capacity: self.count)
        var rng = SeededRandom(seed: seed)
        for i in 0..<self.count { p[i] = scale * Float(rng.uniform(-1, 1)) }
    }
    deinit { p.deallocate() }
}

/// GFLOP/s of C = A·B (row-major, m×k times k×n), optionally with A transposed (A stored k×m),
/// through CircuitFit's BLAS wrapper (`Float.gemm` = cblas_sgemm).
func sgemmRate(m: Int, n: Int, k: Int, transA: Bool = false, repeats: Int) -> Double {
    let a = Buffer(m * k), b = Buffer(k * n, seed: 8), c = Buffer(m * n, seed: 9)
    let s = timePerCall(repeats: repeats) {
        Float.gemm(transA: transA, transB: false, m: m, n: n, k: k, alpha: 1,
                   a: a.p, lda: transA ? m : k, b: b.p, ldb: n, beta: 0, c: c.p, ldc: n)
    }
    return 2 * Double(m * n * k) / s / 1e9
}

/// What the report says about the machine: its CPU and how busy it was.
enum Machine {
    /// The 1, 5 and 15 minute load averages, as /proc/loadavg gives them ("?" elsewhere).
    static func loadAverage() -> String {
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))
            .map { $0.split(separator: " ").prefix(3).joined(separator: " ") } ?? "?"
    }

    /// The CPU's model name from /proc/cpuinfo ("?" elsewhere).
    static func cpuModel() -> String {
        guard let s = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "?" }
        let line = s.split(separator: "\n").first { $0.hasPrefix("model name") }
        return line.map { $0.split(separator: ":", maxSplits: 1).last!.trimmingCharacters(in: .whitespaces) } ?? "?"
    }

    static var cores: Int { ProcessInfo.processInfo.activeProcessorCount }
}

/// Progress for the person watching (stderr; stdout carries only results).
func log(_ s: String) { FileHandle.standardError.write(Data((s + "\n").utf8)) }

/// `x` with `digits` decimals.
func fmt(_ x: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", x) }
