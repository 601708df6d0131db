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

/// `ReferencePopulation` (what `evaluate --reference` scores against): the mapping of a model's
/// recorded neurons to reference neurons, its errors, and `evaluateModel` with a reference.
final class ReferencePopulationTests: XCTestCase {
    let c = 4, t = 12, n = 6

    /// A smooth, condition-dependent [C, T, N] "circuit".
    func circuitRates(seed: UInt64 = 3) -> Array3<Double> {
        var g = SeededRandom(seed: seed)
        let phase = g.normals(n), freq = (0..<n).map { _ in g.uniform(0.2, 0.9) }, gain = g.normals(n)
        var r = Array3<Double>(c, t, n, repeating: 0)
        for ci in 0..<c {
            for ti in 0..<t {
                for j in 0..<n {
                    r[ci, ti, j] = 10 * sin(freq[j] * Double(ti) + phase[j] + Double(ci)) + 5 * gain[j] * Double(ci) / Double(c) + g.normal(mean: 0, sd: 0.5)
                }
            }
        }
        return r
    }

    func inputsAndTargets() -> (Array3<Double>, Array3<Double>) {
        var inputs = Array3<Double>(c, t, 3, repeating: 0), targets = Array3<Double>(c, t, 2, repeating: 0)
        for ci in 0..<c {
            let a = 2 * Double.pi * Double(ci) / Double(c)
            for ti in 0..<t {
                if ti < 3 { inputs[ci, ti, 0] = cos(a); inputs[ci, ti, 1] = sin(a); inputs[ci, ti, 2] = 1 }
                targets[ci, ti, 0] = cos(a) * Double(ti) / Double(t); targets[ci, ti, 1] = sin(a) * Double(ti) / Double(t)
            }
        }
        return (inputs, targets)
    }

    var angles: [Double] { (0..<c).map { 2 * Double.pi * Double($0) / Double(c) } }
    let isTraining = [true, true, true, false]

    /// The generated dataset: every neuron's rates.
    func generated(_ rates: Array3<Double>) -> ReachDataset {
        let (u, z) = inputsAndTargets()
        return ReachDataset(inputs: u, targets: z, rates: rates, angles: angles, isTraining: isTraining, dtMs: 5, goIndex: 3)
    }

    /// An "imported" dataset recording the reference neurons `ids` (in that order).
    func imported(_ rates: Array3<Double>, ids: [Int]) -> ReachDataset {
        let (u, z) = inputsAndTargets()
        var recorded = Array3<Double>(c, t, ids.count, repeating: 0)
        for ci in 0..<c { for ti in 0..<t { for (m, id) in ids.enumerated() { recorded[ci, ti, m] = rates[ci, ti, id] + 20 } } }
        return ReachDataset(inputs: u, targets: z, recorded: recorded, neuronIDs: ids, conditionLabels: (0..<c).map(Double.init),
                            angles: angles, isTraining: isTraining, dtMs: 5, goIndex: 3)
    }

    // MARK: mapping

    func testImportedNeuronsMapThroughNeuronIDs() throws {
        let rates = circuitRates()
        let data = imported(rates, ids: [5, 2, 0, 3])
        let ref = try ReferencePopulation(reference: generated(rates), dataset: data, recordedNeurons: [1, 3, 0])
        XCTAssertEqual(ref.recordedNeurons, [2, 3, 5])
        XCTAssertEqual(ref.rates.shape, rates.shape)
    }

    func testGeneratedDatasetMapsByIndex() throws {
        let rates = circuitRates()
        let ref = try ReferencePopulation(reference: generated(rates), dataset: generated(rates), recordedNeurons: [4, 1])
        XCTAssertEqual(ref.recordedNeurons, [4, 1])
    }

    func testShapeMismatchNamesBothShapes() {
        let rates = circuitRates()
        let data = imported(rates, ids: [0, 1, 2])
        let reference = ReachDataset(
            inputs: Array3(c, t - 2, 3, repeating: 0), targets: Array3(c, t - 2, 2, repeating: 0),
            rates: Array3(c, t - 2, n, repeating: 1), angles: angles, isTraining: isTraining, dtMs: 5, goIndex: 3)
        XCTAssertThrowsError(try ReferencePopulation(reference: reference, dataset: data, recordedNeurons: [0], names: ("session.npz", "circuit/dataset.npz"))) { error in
            let message = "\(error)"
            XCTAssert(message.contains("[4, 10, 6]"), message)
            XCTAssert(message.contains("[4, 12, 3]"), message)
            XCTAssert(message.contains("session.npz") && message.contains("circuit/dataset.npz"), message)
        }
    }

    func testReferenceWithoutRatesIsAnError() {
        let rates = circuitRates()
        let data = imported(rates, ids: [0, 1])
        XCTAssertThrowsError(try ReferencePopulation(reference: data, dataset: data, recordedNeurons: [0])) { error in
            XCTAssert("\(error)".contains("no `rates`"), "\(error)")
        }
    }

    func testNeuronIDOutsideTheReferenceIsAnError() {
        let rates = circuitRates()
        var data = imported(rates, ids: [0, 1, 2])
        data.neuronIDs = [0, 17, 2]
        XCTAssertThrowsError(try ReferencePopulation(reference: generated(rates), dataset: data, recordedNeurons: [1, 2])) { error in
            let message = "\(error)"
            XCTAssert(message.contains("17") && message.contains("6 neurons"), message)
        }
    }

    func testMissingNeuronIDsIsAnError() {
        let rates = circuitRates()
        var data = imported(rates, ids: [0, 1, 2])
        data.neuronIDs = nil
        XCTAssertThrowsError(try ReferencePopulation(reference: generated(rates), dataset: data, recordedNeurons: [1])) { error in
            XCTAssert("\(error)".contains("neuron_ids"), "\(error)")
        }
    }

    func testConditionOrderMismatchIsAnError() {
        let rates = circuitRates()
        var data = imported(rates, ids: [0, 1, 2])
        data.angles = Array(data.angles.reversed())
        XCTAssertThrowsError(try ReferencePopulation(reference: generated(rates), dataset: data, recordedNeurons: [1])) { error in
            XCTAssert("\(error)".contains("condition 0"), "\(error)")
        }
        data.angles = Array(repeating: .nan, count: c)  // unknown angles: nothing to compare
        XCTAssertNoThrow(try ReferencePopulation(reference: generated(rates), dataset: data, recordedNeurons: [1]))
    }

    // MARK: evaluateModel with a reference

    func untrainedModel(_ data: ReachDataset, record: Int) throws -> FittedModel {
        var config = FitConfig()
        config.hidden = 12
        config.record = record
        config.seed = 5
        return try prepareFit(dataset: data, config: config)
    }

    func evaluate(_ model: FittedModel, _ data: ReachDataset, reference: ReferencePopulation?) throws -> FitMetrics {
        try evaluateModel(
            spec: model.spec, parameters: model.initialParameters, untrained: model.initialParameters, dataset: data,
            recording: RecordingInfo(neurons: model.neural!.neurons, offset: model.neural!.offset, scale: model.neural!.scale),
            split: model.split, components: 4, reference: reference)
    }

    /// A recording of every reference neuron (permuted, shifted by a baseline): scores against the
    /// reference equal those against the recording (CCA, Procrustes and pooled R² do not depend
    /// on the order of neurons or on a constant shift), and the held-out neurons are the same.
    func testFullRecordingScoresLikeTheReference() throws {
        let rates = circuitRates()
        let ids = [3, 0, 5, 1, 4, 2]
        let data = imported(rates, ids: ids)
        let model = try untrainedModel(data, record: 2)
        let reference = try ReferencePopulation(reference: generated(rates), dataset: data, recordedNeurons: model.neural!.neurons)
        XCTAssertEqual(reference.recordedNeurons, model.neural!.neurons.map { ids[$0] })
        let own = try evaluate(model, data, reference: nil)
        let against = try evaluate(model, data, reference: reference)
        XCTAssertEqual(own.population, "recorded")
        XCTAssertEqual(against.population, "reference")
        XCTAssertEqual(against.populationNeurons, n)
        XCTAssertEqual(against.heldoutNeurons, n - 2)
        XCTAssertEqual(against.ccaMean, own.ccaMean, accuracy: 1e-8)
        XCTAssertEqual(against.procrustesDistance, own.procrustesDistance, accuracy: 1e-8)
        XCTAssertEqual(try XCTUnwrap(against.heldoutNeuronR2), try XCTUnwrap(own.heldoutNeuronR2), accuracy: 1e-8)
        XCTAssertEqual(against.outputNMSETrain, own.outputNMSETrain)
        // the recorded units are still scored against the dataset's own recordings
        XCTAssertEqual(try XCTUnwrap(against.recordedNMSETrain), try XCTUnwrap(own.recordedNMSETrain))
    }

    /// A recording of some reference neurons: the held-out neurons are every reference neuron not
    /// fitted, and R² on them equals R² computed directly on the reference with those neurons.
    func testHeldOutNeuronsAreTheReferenceNeuronsNotFitted() throws {
        let rates = circuitRates()
        let ids = [4, 1, 2]
        let data = imported(rates, ids: ids)
        let model = try untrainedModel(data, record: 2)
        let reference = try ReferencePopulation(reference: generated(rates), dataset: data, recordedNeurons: model.neural!.neurons)
        let metrics = try evaluate(model, data, reference: reference)
        XCTAssertEqual(metrics.populationNeurons, n)
        XCTAssertEqual(metrics.recordedNeurons, 2)
        XCTAssertEqual(metrics.heldoutNeurons, n - 2)
        let fitted = Set(reference.recordedNeurons)
        let expected = try HeldOutNeuronR2().score(
            modelRates: simulate(spec: model.spec, parameters: model.initialParameters, inputs: data.inputs).rates.asDouble,
            circuitRates: rates, neurons: (0..<n).filter { !fitted.contains($0) },
            trainingConditions: model.split.fit, heldOutConditions: model.split.heldOut)
        XCTAssertEqual(try XCTUnwrap(metrics.heldoutNeuronR2), expected.pooledR2, accuracy: 1e-12)
    }

    func testEvaluateModelRejectsAReferenceOnAnotherGrid() throws {
        let rates = circuitRates()
        let data = imported(rates, ids: [0, 1, 2])
        let model = try untrainedModel(data, record: 2)
        let wrong = ReferencePopulation(rates: Array3(c - 1, t, n, repeating: 0), recordedNeurons: [0, 1])
        XCTAssertThrowsError(try evaluate(model, data, reference: wrong)) { error in
            XCTAssert("\(error)".contains("[3, 12, 6]") && "\(error)".contains("[4, 12, 3]"), "\(error)")
        }
    }
}
