import CircuitFit
import Foundation
BLASThreads.set(1)
var rng = SeededRandom(seed: 1)
let n = 200
var cfg = CircuitConfig()
let w = initialNetwork(cfg, random: &rng)
func time(_ label: String, _ reps: Int = 20, _ f: () throws -> Void) rethrows { let t0 = Date(); for _ in 0..<reps { try f() }; print(label, Date().timeIntervalSince(t0) / Double(reps) * 1000, "ms") }
var s: RealSchur? = nil
try time("schur") { s = try RealSchur(w) }
let m2 = -2.0 * Matrix<Double>.identity(n)
var y = m2
try time("trsyl3") { y = try s!.solveLyapunovInSchurBasis(m2, shift: 12) }
time("gemm") { _ = y * y }
try time("eig novec") { _ = try Eigendecomposition(w, vectors: false) }
