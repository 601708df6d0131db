import XCTest
@testable import CircuitFitCore
@testable import CircuitFitModel
@testable import CircuitFitAnalysis
@testable import CircuitFitImport
@testable import CircuitFitReport
@testable import CircuitFitCircuit
@testable import CircuitFitFitting
@testable import CircuitFitExperiment

final class NeuralTargetsTests: XCTestCase {
    /// rates [C=3, T=4, N=5]: neuron n at condition c, step t = (n+1)·(c+1)·(t−1); neuron 3 silent.
    func rates() -> Array3<Double> {
        var r = Array3<Double>(3, 4, 5, repeating: 0)
        for c in 0..<3 { for t in 0..<4 { for n in 0..<5 where n != 3 { r[c, t, n] = Double((n + 1) * (c + 1) * (t - 1)) } } }
        return r
    }

    func testMaxAbsNormalisationUsesTrainingConditionsOnly() throws {
        let targets = try prepareNeuralTargets(rates: rates(), neurons: [4, 0, 3], trainingConditions: [0, 1])
        XCTAssertEqual(targets.values.shape, [3, 4, 3])
        XCTAssertEqual(targets.offset, [0, 0, 0])
        // neuron 4: max |rate| over conditions 0, 1 is 5·2·2 = 20; neuron 0: 1·2·2 = 4
        XCTAssertEqual(targets.scale, [20, 4, 1])
        XCTAssertEqual(targets.values[1, 3, 0], 1)
        XCTAssertEqual(targets.values[0, 0, 1], -0.25)
        XCTAssertEqual(targets.values[2, 3, 0], 1.5, "held-out conditions may exceed 1")
        // the silent neuron gets scale 1 and stays finite
        XCTAssert((0..<3).allSatisfy { c in (0..<4).allSatisfy { targets.values[c, $0, 2] == 0 } })
    }

    func testZScoreAndMissingSamples() throws {
        var r = rates()
        r[0, 1, 2] = .nan
        let targets = try prepareNeuralTargets(rates: r, neurons: [2, 3], trainingConditions: [0, 1, 2], normalization: .zScore)
        XCTAssert(targets.values[0, 1, 0].isNaN, "a missing sample stays missing")
        var present: [Double] = []
        for c in 0..<3 { for t in 0..<4 where !targets.values[c, t, 0].isNaN { present.append(Double(targets.values[c, t, 0])) } }
        XCTAssertEqual(present.count, 11)
        let mean = present.reduce(0, +) / 11
        let variance = present.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 11
        XCTAssertEqual(mean, 0, accuracy: 1e-6)
        XCTAssertEqual(variance, 1, accuracy: 1e-5)
        XCTAssertEqual(targets.scale[1], 1, "constant neuron: scale 1, no NaN")
        XCTAssertFalse(targets.values[1, 1, 1].isNaN)
    }

    func testBadNeuronListsAreClearErrors() {
        XCTAssertThrowsError(try prepareNeuralTargets(rates: rates(), neurons: [0, 5], trainingConditions: [0])) {
            XCTAssertEqual(($0 as? CircuitFitError)?.message, "recorded neurons: index 5 out of range 0..<5")
        }
        XCTAssertThrowsError(try prepareNeuralTargets(rates: rates(), neurons: [1, 1], trainingConditions: [0])) {
            XCTAssertEqual(($0 as? CircuitFitError)?.message, "recorded neurons: neuron 1 listed twice")
        }
        XCTAssertThrowsError(try prepareNeuralTargets(rates: rates(), neurons: [1], trainingConditions: [3]))
    }

    func testChoosingRecordedNeurons() throws {
        let a = try chooseRecordedNeurons(count: 10, neuronCount: 200, seed: 4)
        XCTAssertEqual(a, try chooseRecordedNeurons(count: 10, neuronCount: 200, seed: 4))
        XCTAssertNotEqual(a, try chooseRecordedNeurons(count: 10, neuronCount: 200, seed: 5))
        XCTAssertEqual(Set(a).count, 10)
        XCTAssertEqual(Array(a.prefix(5)), try chooseRecordedNeurons(count: 5, neuronCount: 200, seed: 4), "nested across M")
        let excitatory = Array(0..<100)
        let e = try chooseRecordedNeurons(count: 50, neuronCount: 200, among: excitatory, seed: 1)
        XCTAssert(e.allSatisfy { $0 < 100 })
        XCTAssertEqual(try chooseRecordedNeurons(count: 200, neuronCount: 200, seed: 1).sorted(), Array(0..<200))
        XCTAssertThrowsError(try chooseRecordedNeurons(count: 201, neuronCount: 200, seed: 1)) {
            XCTAssertEqual(($0 as? CircuitFitError)?.message, "recorded neurons: cannot record M = 201 neurons from 200 available")
        }
        XCTAssertThrowsError(try chooseRecordedNeurons(count: 2, neuronCount: 10, among: [1, 10], seed: 1))
        XCTAssertNoThrow(try validateRecordedNeurons([3, 1, 2], neuronCount: 4))
        XCTAssertThrowsError(try validateRecordedNeurons([3, -1], neuronCount: 4))
    }

    func testDefaultRecordedUnits() throws {
        XCTAssertEqual(try defaultRecordedUnits(neurons: [7, 3, 9], hidden: 10), [0, 1, 2])
        // circuit: neurons 0..<5 excitatory; model: units 0..<6 excitatory
        let neuronE = (0..<10).map { $0 < 5 }, unitE = (0..<10).map { $0 < 6 }
        let units = try defaultRecordedUnits(neurons: [7, 1, 8, 2], hidden: 10, neuronExcitatory: neuronE, modelExcitatory: unitE)
        XCTAssertEqual(units, [6, 0, 7, 1])
        XCTAssertThrowsError(try defaultRecordedUnits(neurons: [5, 6, 7, 8, 9], hidden: 10, neuronExcitatory: neuronE,
                                                      modelExcitatory: (0..<10).map { $0 < 8 }))
        XCTAssertThrowsError(try defaultRecordedUnits(neurons: Array(0..<11), hidden: 10))
        XCTAssertThrowsError(try defaultRecordedUnits(neurons: [1], hidden: 10, modelExcitatory: unitE))
    }
}
