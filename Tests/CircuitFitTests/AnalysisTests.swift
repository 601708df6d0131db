import Foundation
import XCTest
@testable import CircuitFitCore
@testable import CircuitFitModel
@testable import CircuitFitAnalysis
@testable import CircuitFitImport
@testable import CircuitFitReport
@testable import CircuitFitCircuit
@testable import CircuitFitFitting
@testable import CircuitFitExperiment

/// Known answers for the analysis metrics: a rotated and scaled copy is perfectly similar,
/// independent noise is not, PCA recovers a known covariance, and bad input throws a clear error.
final class AnalysisTests: XCTestCase {
    /// Asserts that `body` throws a CircuitFitError whose message contains every one of `words`.
    func assertCircuitFitError(_ words: [String], file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) {
        do {
            try body()
            XCTFail("expected a CircuitFitError mentioning \(words)", file: file, line: line)
        } catch let error as CircuitFitError {
            for w in words {
                XCTAssertTrue(error.message.contains(w), "message \"\(error.message)\" lacks \"\(w)\"", file: file, line: line)
            }
        } catch {
            XCTFail("expected a CircuitFitError, got \(error)", file: file, line: line)
        }
    }

    // MARK: similarity of a rotated copy, and of independent noise

    func testRotatedScaledCopyHasCanonicalCorrelationsOneAndProcrustesZero() throws {
        let x = AnalysisFixture.latentTrajectories(conditions: 4, steps: 50, latents: 12, seed: 5)
        // Same width: a random rotation, a scaling and an offset.
        let q = try AnalysisFixture.orthogonal(12, seed: 6)
        var y = 3.7 * (x * q)
        for i in 0..<y.rows { for j in 0..<y.cols { y[i, j] += Double(j) - 4 } }
        // Wider: an isometric embedding of the 12 dimensions into 20.
        let embed = try AnalysisFixture.orthogonal(20, seed: 7).rows(0..<12)
        let wide = 0.2 * (x * embed)
        for other in [y, wide] {
            let cca = try CCA(components: 10).fit(x, other)
            XCTAssertEqual(cca.correlations.count, 10)
            for r in cca.correlations { XCTAssertEqual(r, 1, accuracy: 1e-10) }
            XCTAssertEqual(cca.mean, 1, accuracy: 1e-10)
            let p = try Procrustes(components: 10).fit(x, other)
            XCTAssertEqual(p.distance, 0, accuracy: 1e-10)
            XCTAssertEqual(p.angularDistance, 0, accuracy: 1e-10)
            XCTAssertEqual(p.nuclearNorm, 1, accuracy: 1e-10)
            let raw = try Procrustes(components: nil).fit(x, other)   // no PCA: the rotation itself
            XCTAssertEqual(raw.distance, 0, accuracy: 1e-10)
            XCTAssertEqual(raw.componentsY, other.cols)
        }
        // The map found for the raw rotated copy is the rotation: Y·Q = X up to scale and offset.
        let raw = try Procrustes(components: nil).fit(x, y)
        let back = (y * raw.rotation).columnCentred
        let target = x.columnCentred
        XCTAssertEqual(((1 / back.frobeniusNorm) * back - (1 / target.frobeniusNorm) * target).maxAbs, 0, accuracy: 1e-12)
    }

    func testIndependentNoiseHasLowCanonicalCorrelationsAndLargeAngle() throws {
        let n = 2000, k = 10
        let x = AnalysisFixture.gaussian(n, 40, seed: 11), y = AnalysisFixture.gaussian(n, 60, seed: 12)
        let cca = try CCA(components: k).fit(x, y)
        // Under independence E Σρ² ≈ k²/n, so the RMS correlation is ≈ √(k/n) ≈ 0.07; the largest
        // is near (√k + √k)/√n ≈ 0.14 (Wachter). Bounds with margin:
        XCTAssertLessThan(cca.mean, 2 * (Double(k) / Double(n)).squareRoot())
        XCTAssertLessThan(cca.correlations[0], 1.5 * 2 * Double(k).squareRoot() / Double(n).squareRoot())
        XCTAssertEqual(cca.correlations, cca.correlations.sorted(by: >))
        let p = try Procrustes(components: k).fit(x, y)
        XCTAssertGreaterThan(p.angularDistance, 1.3)                // π/2 ≈ 1.571 is orthogonal
        XCTAssertLessThanOrEqual(p.angularDistance, Double.pi / 2 + 1e-12)
        XCTAssertGreaterThan(p.distance, 1.2)                       // √2 ≈ 1.414 is the maximum
        XCTAssertEqual(p.angularDistance, acos(p.nuclearNorm), accuracy: 1e-12)
        XCTAssertEqual(p.distance, (2 - 2 * p.nuclearNorm).squareRoot(), accuracy: 1e-12)
    }

    func testCCAUsesFewerComponentsWhenAPopulationHasFewerFeaturesOrLowerRank() throws {
        let x = AnalysisFixture.gaussian(300, 4, seed: 21)          // 4 features < k = 10
        var y = x * AnalysisFixture.gaussian(4, 15, seed: 22)          // 15 features of rank 4
        let result = try CCA(components: 10).fit(x, y)
        XCTAssertEqual(result.componentsX, 4)
        XCTAssertEqual(result.componentsY, 4)
        XCTAssertEqual(result.correlations.count, 4)
        for r in result.correlations { XCTAssertEqual(r, 1, accuracy: 1e-9) }
        y = y + 0.01 * AnalysisFixture.gaussian(300, 15, seed: 23)     // now full rank
        XCTAssertEqual(try CCA(components: 10).fit(x, y).componentsY, 10)
    }

    // MARK: PCA

    func testPCAExplainedVarianceOfKnownDiagonalCovariance() throws {
        let n = 20_000
        let sd = [5.0, 3, 2, 1, 0.5]
        var g = SeededRandom(seed: 31)
        var x = Matrix<Double>(rows: n, cols: sd.count)
        for i in 0..<n { for j in 0..<sd.count { x[i, j] = 10 + sd[j] * g.normal() } }
        let pca = try PCA(components: 5).fit(x)
        for (v, s) in zip(pca.explainedVariance, sd) {
            // Sampling error of a variance: sd ≈ σ²·√(2/n) ≈ 1%; allow 5%.
            XCTAssertEqual(v, s * s, accuracy: 0.05 * s * s)
        }
        let total = sd.map { $0 * $0 }.reduce(0, +)
        for (r, s) in zip(pca.explainedVarianceRatio, sd) { XCTAssertEqual(r, s * s / total, accuracy: 0.01) }
        XCTAssertEqual(pca.explainedVarianceRatio.reduce(0, +), 1, accuracy: 1e-12)
        for i in 0..<5 {
            XCTAssertGreaterThan(pca.components[i, i], 0.99)   // axis i, sign fixed positive
            XCTAssertEqual(pca.mean[i], 10, accuracy: 0.1)
        }
        // The scores' variances are the explained variances, exactly.
        let scores = try pca.transform(x)
        for j in 0..<5 {
            let column = scores.column(j)
            let variance = column.map { $0 * $0 }.reduce(0, +) / Double(n - 1)
            XCTAssertEqual(variance, pca.explainedVariance[j], accuracy: 1e-9 * pca.explainedVariance[j])
        }
        // Components are orthonormal.
        let gram = matmul(pca.components, pca.components, transposeB: true)
        XCTAssertEqual((gram - .identity(5)).maxAbs, 0, accuracy: 1e-12)
    }

    // MARK: held-out neuron R²

    func testHeldOutR2IsOneForAnExactLinearTargetAndSmallForAnIndependentOne() throws {
        let rates = AnalysisFixture.gaussian(300, 20, seed: 41)
        let map = AnalysisFixture.gaussian(20, 8, seed: 42)
        var target = rates * map
        for i in 0..<target.rows { for j in 0..<target.cols { target[i, j] += 2 * Double(j) - 5 } }
        let split = (train: 0..<200, test: 200..<300)
        func score(_ estimator: HeldOutNeuronR2, _ y: Matrix<Double>) throws -> HeldOutR2Result {
            try estimator.score(
                trainingRates: rates.rows(split.train), trainingNeurons: y.rows(split.train),
                heldOutRates: rates.rows(split.test), heldOutNeurons: y.rows(split.test))
        }
        let nearlyExact = try score(HeldOutNeuronR2(ridge: 1e-9), target)
        XCTAssertEqual(nearlyExact.pooledR2, 1, accuracy: 1e-9)
        XCTAssertEqual(nearlyExact.meanNeuronR2, 1, accuracy: 1e-9)
        let standard = try score(HeldOutNeuronR2(), target)   // light default shrinkage
        XCTAssertGreaterThan(standard.pooledR2, 0.999)
        XCTAssertLessThan(standard.pooledR2, 1)
        XCTAssertGreaterThan(standard.penalty, 0)

        let independent = AnalysisFixture.gaussian(300, 8, seed: 43)
        let noise = try score(HeldOutNeuronR2(), independent)
        // Out of sample, a regression on 20 unrelated predictors does worse than the mean (≈ −p/n).
        XCTAssertLessThan(noise.pooledR2, 0.05)
        XCTAssertLessThan(noise.meanNeuronR2, 0.05)
        XCTAssertEqual(noise.neuronR2.count, 8)
    }

    func testHeldOutR2OnConditionArraysPicksNeuronsAndConditions() throws {
        let (model, circuit) = AnalysisFixture.populations(conditions: 4, steps: 40, seed: 51)
        let m3 = AnalysisFixture.array3(model, conditions: 4), c3 = AnalysisFixture.array3(circuit, conditions: 4)
        let neurons = [3, 7, 11, 40]
        let fromArrays = try HeldOutNeuronR2().score(
            modelRates: m3, circuitRates: c3, neurons: neurons, trainingConditions: [0, 2, 3], heldOutConditions: [1])
        let rows = { (cs: [Int]) in cs.flatMap { c in (c * 40)..<((c + 1) * 40) } }
        func pick(_ m: Matrix<Double>, _ r: [Int], _ cols: [Int]? = nil) -> Matrix<Double> {
            let cols = cols ?? Array(0..<m.cols)
            return Matrix(r.map { i in cols.map { m[i, $0] } })
        }
        let direct = try HeldOutNeuronR2().score(
            trainingRates: pick(model, rows([0, 2, 3])), trainingNeurons: pick(circuit, rows([0, 2, 3]), neurons),
            heldOutRates: pick(model, rows([1])), heldOutNeurons: pick(circuit, rows([1]), neurons))
        XCTAssertEqual(fromArrays.pooledR2, direct.pooledR2, accuracy: 1e-12)
        XCTAssertEqual(fromArrays.heldOutSamples, 40)
        XCTAssertEqual(fromArrays.trainingSamples, 120)
    }

    // MARK: the similarity bundle

    func testDynamicsSimilarityStacksConditionsAndReportsBothMetrics() throws {
        let (model, circuit) = AnalysisFixture.populations(conditions: 4, steps: 60, seed: 61)
        let m3 = AnalysisFixture.array3(model, conditions: 4), c3 = AnalysisFixture.array3(circuit, conditions: 4)
        let s = try DynamicsSimilarity().score(modelRates: m3, circuitRates: c3, conditions: [0, 1, 2, 3])
        let cca = try CCA().fit(model, circuit), p = try Procrustes().fit(model, circuit)
        XCTAssertEqual(s.ccaMean, cca.mean, accuracy: 1e-12)
        XCTAssertEqual(s.canonicalCorrelations.count, 10)
        XCTAssertEqual(s.procrustesDistance, p.distance, accuracy: 1e-12)
        XCTAssertEqual(s.angularDistance, p.angularDistance, accuracy: 1e-12)
        XCTAssertEqual(s.samples, 240)
        // A subset of conditions uses only their rows.
        let sub = try DynamicsSimilarity().score(modelRates: m3, circuitRates: c3, conditions: [2, 0])
        let rows2 = model.rows(120..<180), rows0 = model.rows(0..<60)
        let stacked = Matrix(rows: 120, cols: model.cols, data: rows2.data + rows0.data)
        let circuitStacked = Matrix(rows: 120, cols: circuit.cols, data: circuit.rows(120..<180).data + circuit.rows(0..<60).data)
        XCTAssertEqual(sub.ccaMean, try CCA().fit(stacked, circuitStacked).mean, accuracy: 1e-12)
        // Relative to a floor: the floor itself scores 0, a perfect copy 1.
        let floor = try DynamicsSimilarity().score(
            model: AnalysisFixture.gaussian(240, 30, seed: 62), circuit: circuit)
        let relative = s.relative(toFloor: floor)
        XCTAssertGreaterThan(relative.ccaMean, 0)
        XCTAssertGreaterThan(relative.procrustesDistance, 0)
        XCTAssertEqual(floor.relative(toFloor: floor).ccaMean, 0, accuracy: 1e-15)
        XCTAssertEqual(floor.relative(toFloor: floor).angularDistance, 0, accuracy: 1e-15)
    }

    func testRelativeToFloor() {
        XCTAssertEqual(relativeToFloor(0.8, floor: 0.6), 0.5, accuracy: 1e-15)
        XCTAssertEqual(relativeToFloor(1.0, floor: 0.6), 1, accuracy: 1e-15)
        XCTAssertEqual(relativeToFloor(0.5, floor: 0.6), -0.25, accuracy: 1e-15)
        XCTAssertEqual(relativeToFloor(0.2, floor: 0.8, perfect: 0), 0.75, accuracy: 1e-15)   // distances
        XCTAssertEqual(relativeToFloor(0.0, floor: 0.8, perfect: 0), 1, accuracy: 1e-15)
        XCTAssertTrue(relativeToFloor(0.5, floor: 1).isNaN)
    }

    func testStackConditionsOrder() throws {
        var a = Array3<Double>(3, 2, 2, repeating: 0)
        for c in 0..<3 { for t in 0..<2 { for x in 0..<2 { a[c, t, x] = Double(100 * c + 10 * t + x) } } }
        let m = try stackConditions(a, conditions: [2, 0], channels: [1])
        XCTAssertEqual(m, Matrix([[201], [211], [1], [11]]))
        assertCircuitFitError(["condition 3", "out of range"]) { _ = try stackConditions(a, conditions: [3]) }
        assertCircuitFitError(["repeats"]) { _ = try stackConditions(a, conditions: [1, 1]) }
        assertCircuitFitError(["channel 2"]) { _ = try stackConditions(a, conditions: [0], channels: [2]) }
    }

    // MARK: output error

    func testNormalizedMSEKnownValues() throws {
        let target = Matrix<Double>([[1, 10], [2, 20], [3, 30], [4, 40]])
        XCTAssertEqual(try normalizedMSE(predicted: target, target: target), 0)
        // Predicting each channel's mean scores exactly 1.
        let means = Matrix<Double>([[2.5, 25], [2.5, 25], [2.5, 25], [2.5, 25]])
        XCTAssertEqual(try normalizedMSE(predicted: means, target: target), 1, accuracy: 1e-15)
        // Off by 1 everywhere: Σe² = 8, Σ(z − mean)² = 5 + 500.
        let shifted = Matrix(rows: 4, cols: 2, data: target.data.map { $0 + 1 })
        XCTAssertEqual(try normalizedMSE(predicted: shifted, target: target), 8 / 505, accuracy: 1e-15)
        // On [C, T, K] arrays, only the chosen conditions count.
        let t3 = Array3(2, 2, 2, data: target.data)
        var p3 = t3
        p3[1, 0, 0] += 100   // condition 1 is left out below
        p3[0, 1, 1] += 1     // condition 0: Σe² = 1, Σ(z − mean)² = 0.5 + 50
        XCTAssertEqual(try normalizedMSE(predicted: p3, target: t3, conditions: [0]), 1 / (0.5 + 50), accuracy: 1e-15)
        assertCircuitFitError(["constant"]) {
            _ = try normalizedMSE(predicted: target, target: Matrix(rows: 4, cols: 2, repeating: 3))
        }
    }

    // MARK: summary statistics

    func testPercentilesAndIQRMatchNumPyLinearMethod() throws {
        // np.percentile([1, 2, 3, 4], [25, 50, 75]) = [1.75, 2.5, 3.25]
        let s = try SampleSummary([4, 1, 3, 2])
        XCTAssertEqual(s.median, 2.5)
        XCTAssertEqual(s.lowerQuartile, 1.75)
        XCTAssertEqual(s.upperQuartile, 3.25)
        XCTAssertEqual(s.interquartileRange, 1.5)
        XCTAssertEqual(try SampleSummary([7]).interquartileRange, 0)
        XCTAssertEqual(try percentile([1, 2, 3, 4, 5], 50), 3)
        XCTAssertEqual(try percentile([10, 20], 100), 20)
        XCTAssertEqual(try percentile([10, 20], 0), 10)
        XCTAssertEqual(try percentile([0, 10, 20, 30, 40], 90), 36, accuracy: 1e-12)
        assertCircuitFitError(["empty"]) { _ = try SampleSummary([]) }
        assertCircuitFitError(["nan"]) { _ = try SampleSummary([1, .nan]) }
        assertCircuitFitError(["[0, 100]"]) { _ = try percentile([1], 101) }
    }

    // MARK: bad input

    func testMismatchedSampleCountsThrow() {
        let x = AnalysisFixture.gaussian(100, 20, seed: 71), y = AnalysisFixture.gaussian(90, 20, seed: 72)
        assertCircuitFitError(["CCA", "100 samples", "90"]) { _ = try CCA().fit(x, y) }
        assertCircuitFitError(["Procrustes", "100 samples", "90"]) { _ = try Procrustes().fit(x, y) }
        assertCircuitFitError(["held-out", "100", "90"]) {
            _ = try HeldOutNeuronR2().score(trainingRates: x, trainingNeurons: y, heldOutRates: x, heldOutNeurons: x)
        }
        assertCircuitFitError(["held-out", "unit counts differ", "50×5"]) {
            _ = try HeldOutNeuronR2().score(
                trainingRates: x, trainingNeurons: x, heldOutRates: AnalysisFixture.gaussian(50, 5, seed: 1),
                heldOutNeurons: AnalysisFixture.gaussian(50, 20, seed: 2))
        }
        assertCircuitFitError(["100×20", "90×20"]) { _ = try normalizedMSE(predicted: x, target: y) }
        assertCircuitFitError(["PCA transform", "20 features"]) {
            _ = try PCA(components: 3).fit(x).transform(AnalysisFixture.gaussian(5, 7, seed: 3))
        }
        let a = Array3<Double>(4, 10, 3, repeating: 0), b = Array3<Double>(4, 11, 5, repeating: 0)
        assertCircuitFitError(["[4, 10, 3]", "[4, 11, 5]"]) {
            _ = try DynamicsSimilarity().score(modelRates: a, circuitRates: b, conditions: [0])
        }
    }

    func testFewerSamplesThanComponentsThrow() {
        let small = AnalysisFixture.gaussian(8, 30, seed: 81)
        assertCircuitFitError(["PCA", "10 components", "8 samples"]) { _ = try PCA(components: 10).fit(small) }
        let x = AnalysisFixture.gaussian(15, 30, seed: 82), y = AnalysisFixture.gaussian(15, 30, seed: 83)
        assertCircuitFitError(["CCA", "15 samples", "more than 20"]) { _ = try CCA(components: 10).fit(x, y) }
        assertCircuitFitError(["Procrustes", "8 samples", "10 components"]) { _ = try Procrustes().fit(small, small) }
        assertCircuitFitError(["components must be ≥ 1"]) { _ = try CCA(components: 0).fit(x, y) }
    }

    func testNaNInputThrows() {
        var x = AnalysisFixture.gaussian(100, 20, seed: 91)
        let y = AnalysisFixture.gaussian(100, 20, seed: 92)
        x[7, 3] = .nan
        assertCircuitFitError(["CCA", "X", "nan", "row 7", "column 3"]) { _ = try CCA().fit(x, y) }
        assertCircuitFitError(["Procrustes", "nan"]) { _ = try Procrustes().fit(y, x) }
        assertCircuitFitError(["PCA", "nan"]) { _ = try PCA(components: 2).fit(x) }
        assertCircuitFitError(["held-out", "training rates", "nan"]) {
            _ = try HeldOutNeuronR2().score(trainingRates: x, trainingNeurons: y, heldOutRates: y, heldOutNeurons: y)
        }
        assertCircuitFitError(["normalized MSE", "predicted", "nan"]) { _ = try normalizedMSE(predicted: x, target: y) }
        x[7, 3] = .infinity
        assertCircuitFitError(["inf"]) { _ = try CCA().fit(x, y) }
        assertCircuitFitError(["no variance"]) { _ = try CCA().fit(Matrix(rows: 100, cols: 5, repeating: 1), y) }
    }
}
