import Foundation
@testable import CircuitFitCore
@testable import CircuitFitModel
@testable import CircuitFitAnalysis
@testable import CircuitFitImport
@testable import CircuitFitReport
@testable import CircuitFitCircuit
@testable import CircuitFitFitting
@testable import CircuitFitExperiment

/// Test data for the analysis metrics, all drawn from SeededRandom.
enum AnalysisFixture {
    static func gaussian(_ rows: Int, _ cols: Int, seed: UInt64) -> Matrix<Double> {
        var g = SeededRandom(seed: seed)
        return Matrix(rows: rows, cols: cols, data: g.normals(rows * cols))
    }

    /// A random n × n orthogonal matrix (the left singular vectors of a Gaussian matrix).
    static func orthogonal(_ n: Int, seed: UInt64) throws -> Matrix<Double> {
        try SingularValueDecomposition(gaussian(n, n, seed: seed)).u
    }

    /// Smooth low-dimensional trajectories: `conditions` conditions × `steps` time steps of a
    /// `latents`-dimensional signal (sums of sinusoids whose phase depends on the condition), as a
    /// `(conditions·steps, latents)` matrix.
    static func latentTrajectories(conditions: Int, steps: Int, latents: Int, seed: UInt64) -> Matrix<Double> {
        var g = SeededRandom(seed: seed)
        let frequency = (0..<latents).map { _ in g.uniform(0.5, 3) }
        let phase = (0..<latents).map { _ in g.uniform(0, 2 * Double.pi) }
        let amplitude = (0..<latents).map { j in 1.0 / Double(j + 1).squareRoot() }
        var m = Matrix<Double>(rows: conditions * steps, cols: latents)
        for c in 0..<conditions {
            let angle = 2 * Double.pi * Double(c) / Double(conditions)
            for t in 0..<steps {
                let time = Double(t) / Double(steps)
                for j in 0..<latents {
                    m[c * steps + t, j] = amplitude[j] * sin(2 * Double.pi * frequency[j] * time + phase[j] + angle * Double(j % 3 + 1))
                        + 0.05 * g.normal()
                }
            }
        }
        return m
    }

    /// Model-like and circuit-like populations driven by shared latents, with private noise:
    /// model `(samples, units)` = tanh(L·A + noise), circuit `(samples, neurons)` = L·B + noise.
    static func populations(
        conditions: Int = 4, steps: Int = 60, latents: Int = 6, units: Int = 30, neurons: Int = 50, seed: UInt64 = 2024
    ) -> (model: Matrix<Double>, circuit: Matrix<Double>) {
        let l = latentTrajectories(conditions: conditions, steps: steps, latents: latents, seed: seed)
        let a = gaussian(latents, units, seed: seed &+ 1), b = gaussian(latents, neurons, seed: seed &+ 2)
        let model = l * a + 0.3 * gaussian(l.rows, units, seed: seed &+ 3)
        let circuit = l * b + 0.5 * gaussian(l.rows, neurons, seed: seed &+ 4)
        return (Matrix(rows: model.rows, cols: model.cols, data: model.data.map { tanh($0) }), circuit)
    }

    /// A `(C·T, X)` matrix as a `[C, T, X]` array.
    static func array3(_ m: Matrix<Double>, conditions: Int) -> Array3<Double> {
        Array3(conditions, m.rows / conditions, m.cols, data: m.data)
    }
}
