import XCTest
@testable import CircuitFitCore
@testable import CircuitFitModel
@testable import CircuitFitAnalysis
@testable import CircuitFitImport
@testable import CircuitFitReport
@testable import CircuitFitCircuit
@testable import CircuitFitFitting
@testable import CircuitFitExperiment

/// Every decomposition is checked against the identity that defines it and against known values.
final class DecompositionTests: XCTestCase {
    func randomMatrix(_ r: Int, _ c: Int, seed: UInt64) -> Matrix<Double> {
        var g = SeededRandom(seed: seed)
        return Matrix(rows: r, cols: c, data: g.normals(r * c))
    }

    func testMatmulKnownValues() {
        let a = Matrix<Double>([[1, 2, 3], [4, 5, 6]])
        let b = Matrix<Double>([[7, 8], [9, 10], [11, 12]])
        XCTAssertEqual(a * b, Matrix([[58, 64], [139, 154]]))
        XCTAssertEqual(matmul(a, a, transposeB: true), Matrix([[14, 32], [32, 77]]))
        XCTAssertEqual(matmul(a, a, transposeA: true), Matrix([[17, 22, 27], [22, 29, 36], [27, 36, 45]]))
        XCTAssertEqual(matvec(a, [1, 1, 1]), [6, 15])
        XCTAssertEqual(matvec(a, [1, 1], transpose: true), [5, 7, 9])
        let af = a.converted(to: Float.self), bf = b.converted(to: Float.self)
        XCTAssertEqual(af * bf, Matrix<Float>([[58, 64], [139, 154]]))
    }

    func testNonsymmetricEigenKnownAndIdentity() throws {
        // Rotation-scaling block: eigenvalues 1 ± 2i, and a real eigenvalue 3.
        let a = Matrix<Double>([[1, -2, 0], [2, 1, 0], [0, 0, 3]])
        let e = try Eigendecomposition(a)
        let pairs = zip(e.real, e.imaginary).map { [$0, $1] }.sorted { ($0[0], $0[1]) < ($1[0], $1[1]) }
        XCTAssertEqual(pairs[0][0], 1, accuracy: 1e-12); XCTAssertEqual(pairs[0][1], -2, accuracy: 1e-12)
        XCTAssertEqual(pairs[1][0], 1, accuracy: 1e-12); XCTAssertEqual(pairs[1][1], 2, accuracy: 1e-12)
        XCTAssertEqual(pairs[2][0], 3, accuracy: 1e-12)
        XCTAssertEqual(e.spectralAbscissa, 3, accuracy: 1e-12)
        XCTAssertEqual(e.spectralRadius, 3, accuracy: 1e-12)

        // A·V = V·Λ on a random 40×40 matrix, in the complex layout LAPACK returns.
        let m = randomMatrix(40, 40, seed: 1)
        let d = try Eigendecomposition(m)
        let v = d.vectors!
        let av = m * v
        var j = 0
        while j < 40 {
            let re = d.real[j], im = d.imaginary[j]
            if im == 0 {
                for i in 0..<40 { XCTAssertEqual(av[i, j], re * v[i, j], accuracy: 1e-10) }
                j += 1
            } else {
                // A(x + iy) = (re + i·im)(x + iy)  ⇒  Ax = re·x − im·y,  Ay = im·x + re·y
                for i in 0..<40 {
                    XCTAssertEqual(av[i, j], re * v[i, j] - im * v[i, j + 1], accuracy: 1e-10)
                    XCTAssertEqual(av[i, j + 1], im * v[i, j] + re * v[i, j + 1], accuracy: 1e-10)
                }
                j += 2
            }
        }
    }

    func testSymmetricEigen() throws {
        let a = Matrix<Double>([[2, 1], [1, 2]])
        let e = try SymmetricEigendecomposition(a)
        XCTAssertEqual(e.values[0], 3, accuracy: 1e-14)
        XCTAssertEqual(e.values[1], 1, accuracy: 1e-14)
        XCTAssertEqual(abs(e.vectors[0, 0]), 1 / 2.0.squareRoot(), accuracy: 1e-14)

        let x = randomMatrix(30, 30, seed: 2)
        let s = matmul(x, x, transposeB: true)
        let d = try SymmetricEigendecomposition(s)
        XCTAssertEqual(d.values, d.values.sorted(by: >))
        let recon = d.vectors * Matrix.diagonal(d.values) * d.vectors.transposed
        XCTAssertLessThan((recon - s).maxAbs, 1e-10)
        let vtv = matmul(d.vectors, d.vectors, transposeA: true)
        XCTAssertLessThan((vtv - Matrix.identity(30)).maxAbs, 1e-12)
    }

    func testSVD() throws {
        // Known: diag(3, 2) padded.
        let k = try SingularValueDecomposition(Matrix<Double>([[0, 2], [3, 0], [0, 0]]))
        XCTAssertEqual(k.singularValues[0], 3, accuracy: 1e-14)
        XCTAssertEqual(k.singularValues[1], 2, accuracy: 1e-14)

        for (r, c) in [(25, 10), (10, 25)] {
            let a = randomMatrix(r, c, seed: UInt64(r))
            let s = try SingularValueDecomposition(a)
            XCTAssertEqual(s.singularValues, s.singularValues.sorted(by: >))
            let recon = s.u * Matrix.diagonal(s.singularValues) * s.vt
            XCTAssertLessThan((recon - a).maxAbs, 1e-12)
            let utu = matmul(s.u, s.u, transposeA: true)
            XCTAssertLessThan((utu - Matrix.identity(min(r, c))).maxAbs, 1e-12)
        }
    }

    func testLyapunovResidualAndShift() throws {
        // A stable: random/√n − 2I.
        let n = 50
        var a = (1 / Double(n).squareRoot()) * randomMatrix(n, n, seed: 5)
        for i in 0..<n { a[i, i] -= 2 }
        let schur = try RealSchur(a)
        // Z orthogonal and A = Z T Zᵀ
        XCTAssertLessThan((schur.z * schur.t * schur.z.transposed - a).maxAbs, 1e-12)
        let c = -2.0 * Matrix<Double>.identity(n)
        let p = try schur.solveLyapunov(c)                   // A P + P Aᵀ = C
        XCTAssertLessThan((a * p + p * a.transposed - c).maxAbs, 1e-11)
        let q = try schur.solveLyapunov(c, transposed: true) // Aᵀ Q + Q A = C
        XCTAssertLessThan((a.transposed * q + q * a - c).maxAbs, 1e-11)
        // Shifted: (A − sI) X + X (A − sI)ᵀ = C
        let s = 0.7
        var shifted = a
        for i in 0..<n { shifted[i, i] -= s }
        let x = try schur.solveLyapunov(c, shift: s)
        XCTAssertLessThan((shifted * x + x * shifted.transposed - c).maxAbs, 1e-11)
        // Known value: scalar a = −1: −2x = −2 ⇒ x = 1.
        let one = try RealSchur(Matrix<Double>([[-1]])).solveLyapunov(Matrix([[-2]]))
        XCTAssertEqual(one[0, 0], 1, accuracy: 1e-15)
        // The controllability Gramian of a stable system is positive definite.
        let ev = try SymmetricEigendecomposition(p)
        XCTAssertGreaterThan(ev.values.last!, 0)
    }

    func testSylvesterAndSolves() throws {
        var a = randomMatrix(6, 6, seed: 8); for i in 0..<6 { a[i, i] += 5 }
        var b = randomMatrix(4, 4, seed: 9); for i in 0..<4 { b[i, i] += 5 }
        let c = randomMatrix(6, 4, seed: 10)
        let x = try solveSylvester(a, b, c)
        XCTAssertLessThan((a * x + x * b - c).maxAbs, 1e-12)

        let rhs = randomMatrix(6, 2, seed: 11)
        let sol = try solveLinear(a, rhs)
        XCTAssertLessThan((a * sol - rhs).maxAbs, 1e-12)
        XCTAssertEqual(try solveLinear(Matrix([[2, 0], [0, 4]]), Matrix([[2], [2]])), Matrix([[1], [0.5]]))
        XCTAssertThrowsError(try solveLinear(Matrix([[1, 2], [2, 4]]), Matrix([[1], [1]]))) { err in
            XCTAssert("\(err)".contains("singular"), "\(err)")
        }
        XCTAssertThrowsError(try Eigendecomposition(Matrix<Double>(rows: 2, cols: 3))) { err in
            XCTAssert("\(err)".contains("square"), "\(err)")
        }
        XCTAssertThrowsError(try SingularValueDecomposition(Matrix<Double>([[1, .nan]])))
    }

    func testRidgeMatchesClosedForm() throws {
        // y = 2x exactly: penalty 0 recovers 2; penalty λ gives Σxy/(Σx² + λ).
        let x = Matrix<Double>(rows: 4, cols: 1, data: [1, 2, 3, 4])
        let y = Matrix<Double>(rows: 4, cols: 1, data: [2, 4, 6, 8])
        XCTAssertEqual(try ridgeRegression(x, y, penalty: 0)[0, 0], 2, accuracy: 1e-13)
        XCTAssertEqual(try ridgeRegression(x, y, penalty: 10)[0, 0], 60.0 / 40.0, accuracy: 1e-13)
    }
}

final class SelectionTests: XCTestCase {
    func testKthLargestMatchesSort() {
        var g = SeededRandom(seed: 4)
        for n in [1, 2, 3, 10, 101, 1000] {
            let values = (0..<n).map { _ in Double(g.integer(below: 50)) }  // many ties
            let sorted = values.sorted(by: >)
            for k in Set([1, n, (n + 1) / 2, max(1, n / 3)]) {
                var copy = values
                XCTAssertEqual(kthLargest(&copy, k), sorted[k - 1], "n \(n) k \(k)")
            }
        }
    }
}
