import XCTest
@testable import CircuitFitCore
@testable import CircuitFitModel
@testable import CircuitFitAnalysis
@testable import CircuitFitImport
@testable import CircuitFitReport
@testable import CircuitFitCircuit
@testable import CircuitFitFitting
@testable import CircuitFitExperiment

/// A small reaching-like task: C conditions with cue (cos θ, sin θ, 1) for the first 10 steps,
/// targets two smooth condition-dependent waves.
func reachTask(C: Int = 4, T: Int = 50, K: Int = 2) -> (inputs: Array3<Double>, targets: Array3<Double>) {
    var inputs = Array3<Double>(C, T, 3, repeating: 0)
    var targets = Array3<Double>(C, T, K, repeating: 0)
    for c in 0..<C {
        let theta = 2 * Double.pi * Double(c) / Double(C)
        for t in 0..<T {
            if t < 10 { inputs[c, t, 0] = cos(theta); inputs[c, t, 1] = sin(theta); inputs[c, t, 2] = 1 }
            for k in 0..<K {
                targets[c, t, k] = t < 10 ? 0 : 0.5 * sin(Double.pi * Double(t - 10) / Double(T - 10)) * cos(theta + Double(k))
            }
        }
    }
    return (inputs, targets)
}

final class TrainerTests: XCTestCase {

    func testTrainingReducesTaskLossByALargeFactor() throws {
        let (inputs, targets) = reachTask()
        let data = try TrainingData(inputs: inputs, targets: targets)
        let spec = RNNSpec(hidden: 30, inputs: 3, outputs: 2)
        var progressCalls = 0, checkpoints: [Int] = []
        let trainer = Trainer(
            spec: spec, objective: Objective(lambda: 0),
            options: TrainingOptions(iterations: 500, adam: AdamConfig(learningRate: 1e-2), checkpointEvery: 100, progressEvery: 50))
        let result = try trainer.train(
            from: initialParameters(spec: spec, seed: 1), data: data,
            progress: { p in progressCalls += 1; XCTAssert(p.iterationsPerSecond > 0) },
            checkpoint: { it, params in checkpoints.append(it); XCTAssert(params.isFinite) })
        XCTAssertNil(result.error)
        XCTAssertEqual(result.stopReason, .budget)
        XCTAssertEqual(result.updates, 500)
        XCTAssertEqual(result.history.count, 500)
        XCTAssertEqual(result.history.map(\.iteration), Array(1...500))
        XCTAssertEqual(progressCalls, 10)
        XCTAssertEqual(checkpoints, [100, 200, 300, 400, 500])
        let first = result.history[0].lossTask
        XCTAssertLessThan(result.finalLoss.task, first / 50, "task loss \(first) → \(result.finalLoss.task)")
        XCTAssertEqual(result.finalLoss.neural, 0)
    }

    /// A teacher RNN's outputs are the task and M of its units are the "recordings"; with the
    /// identity mapping and λ = 1 the student's tied units come to match them.
    func testIdentityMappingTiedUnitsMatchRecordings() throws {
        let (inputs, _) = reachTask()
        let teacherSpec = RNNSpec(hidden: 30, inputs: 3, outputs: 2)
        let teacher = initialParameters(spec: teacherSpec, gain: 1.5, seed: 7)
        let (rates, outputs) = try simulate(spec: teacherSpec, parameters: teacher, inputs: inputs)
        let recordedNeurons = [2, 5, 11, 17, 23, 29]
        let M = recordedNeurons.count
        var neural = Array3<Float>(4, 50, M, repeating: 0)
        for c in 0..<4 { for t in 0..<50 { for (m, n) in recordedNeurons.enumerated() { neural[c, t, m] = rates[c, t, n] } } }
        let data = try TrainingData(inputs: inputs.converted(), targets: outputs, neural: neural)

        let spec = RNNSpec(hidden: 30, inputs: 3, outputs: 2, recorded: M)   // units 0..<M tied
        XCTAssertEqual(spec.recordedUnits, Array(0..<M))
        let trainer = Trainer(
            spec: spec, objective: Objective(lambda: 1),
            options: TrainingOptions(iterations: 800, adam: AdamConfig(learningRate: 1e-2)))
        let result = try trainer.train(from: initialParameters(spec: spec, seed: 3), data: data)
        let initialNeural = result.history[0].lossNeural
        XCTAssertLessThan(result.finalLoss.neural, initialNeural / 20, "neural loss \(initialNeural) → \(result.finalLoss.neural)")

        // each tied unit's rate tracks its recording: 1 − R² small
        let (student, _) = try simulate(spec: spec, parameters: result.parameters, inputs: inputs)
        for m in 0..<M {
            var ss = 0.0, tot = 0.0, mean = 0.0
            for c in 0..<4 { for t in 0..<50 { mean += Double(neural[c, t, m]) } }
            mean /= 200
            for c in 0..<4 {
                for t in 0..<50 {
                    let e = Double(student[c, t, m] - neural[c, t, m]); ss += e * e
                    let d = Double(neural[c, t, m]) - mean; tot += d * d
                }
            }
            XCTAssertLessThan(ss / tot, 0.1, "unit \(m) does not match its recording")
        }
    }

    func testSameSeedGivesBitIdenticalParameters() throws {
        let (inputs, targets) = reachTask()
        let data = try TrainingData(inputs: inputs, targets: targets)
        let spec = RNNSpec(hidden: 20, inputs: 3, outputs: 2, noiseSD: 0.1)
        func run(_ seed: UInt64) throws -> RNNParameters {
            let trainer = Trainer(spec: spec, objective: Objective(lambda: 0), options: TrainingOptions(iterations: 60, seed: seed))
            return try trainer.train(from: initialParameters(spec: spec, seed: 4), data: data).parameters
        }
        let a = try run(1), b = try run(1), c = try run(2)
        XCTAssertEqual(a.values, b.values)
        XCTAssertNotEqual(a.values, c.values, "a different noise seed must change the run")
    }

    func testFrozenBlocksAreNeverChanged() throws {
        let (inputs, targets) = reachTask()
        let data = try TrainingData(inputs: inputs, targets: targets)
        let spec = RNNSpec(hidden: 20, inputs: 3, outputs: 2)
        var objective = Objective(lambda: 0, betaIn: 0.1)
        objective.trainable = [.J, .C, .d]
        let start = initialParameters(spec: spec, seed: 4)
        let result = try Trainer(spec: spec, objective: objective, options: TrainingOptions(iterations: 50))
            .train(from: start, data: data)
        XCTAssertEqual(result.parameters[.B], start[.B])
        XCTAssertEqual(result.parameters[.b], start[.b])
        XCTAssertEqual(result.parameters[.h0], start[.h0])
        XCTAssertNotEqual(result.parameters[.J], start[.J])
    }

    func testNaNInTargetsIsAClearError() throws {
        var (inputs, targets) = reachTask()
        targets[1, 3, 0] = .nan
        XCTAssertThrowsError(try TrainingData(inputs: inputs, targets: targets)) { error in
            let message = (error as? CircuitFitError)?.message ?? ""
            XCTAssert(message.contains("condition 1, step 3") && message.contains("only neural recordings may contain NaN"), message)
        }
        inputs[0, 0, 0] = .infinity
        targets[1, 3, 0] = 0
        XCTAssertThrowsError(try TrainingData(inputs: inputs, targets: targets))
    }

    func testNegativeLambdaIsRejected() throws {
        let (inputs, targets) = reachTask()
        let data = try TrainingData(inputs: inputs, targets: targets)
        let spec = RNNSpec(hidden: 10, inputs: 3, outputs: 2)
        let trainer = Trainer(spec: spec, objective: Objective(lambda: -1), options: TrainingOptions(iterations: 5))
        XCTAssertThrowsError(try trainer.train(from: initialParameters(spec: spec, seed: 1), data: data)) { error in
            XCTAssert((error as? CircuitFitError)?.message.contains("lambda") == true)
        }
    }

    func testDivergingRunStopsWithTheIterationAndFiniteParameters() throws {
        let (inputs, _) = reachTask()
        let spec = RNNSpec(hidden: 10, inputs: 3, outputs: 2)
        let start = initialParameters(spec: spec, seed: 1)
        // an absurd learning rate: the first update blows the weights up, and the second loss
        // overflows Float32 (outputs ~10²⁸ against targets of order 1 and variance ~0.1). Not the
        // gradient alone: with every unit saturated (the AVX2 tanh gives exactly ±1) it stays finite.
        var targets = Array3<Double>(4, 50, 2, repeating: 0)
        for i in 0..<targets.data.count { targets.data[i] = 1 + 0.5 * sin(Double(i)) }
        let data = try TrainingData(inputs: inputs, targets: targets)
        let trainer = Trainer(spec: spec, objective: Objective(lambda: 0),
                              options: TrainingOptions(iterations: 100, adam: AdamConfig(learningRate: 1e30)))
        var result = try trainer.train(from: start, data: data)
        XCTAssertEqual(result.stopReason, .diverged(iteration: 2))
        XCTAssert(result.error?.message.contains("iteration 2") == true, result.error?.message ?? "no error")
        XCTAssert(result.parameters.isFinite)
        XCTAssertEqual(result.parameters, start, "the last good parameters are those evaluated at iteration 1")
        XCTAssertEqual(result.history.count, 1)
        XCTAssert(result.finalLoss.total.isFinite)
        // the initial parameters themselves give a NaN loss: nothing good but the start
        var bad = start
        bad.values[bad.layout.offset(.d)] = .nan
        XCTAssertThrowsError(try trainer.train(from: bad, data: data)) { XCTAssert("\($0)".contains("NaN or Inf"), "\($0)") }
        var huge = start
        huge.values[huge.layout.offset(.d)] = 3e38
        result = try trainer.train(from: huge, data: data)
        XCTAssertEqual(result.stopReason, .diverged(iteration: 1))
        XCTAssert(result.error?.message.contains("iteration 1") == true && result.error?.message.contains("kept the initial parameters") == true, result.error?.message ?? "")
        XCTAssertEqual(result.parameters, huge)
        // targets whose variance Float32 cannot carry are refused up front
        for i in 0..<targets.data.count { targets.data[i] = 1e30 * (1 + 0.5 * sin(Double(i))) }
        XCTAssertThrowsError(try TrainingData(inputs: inputs, targets: targets)) {
            XCTAssert("\($0)".contains("outside the range Float32 training represents"), "\($0)")
        }
    }

    func testEarlyStoppingOnValidationLoss() throws {
        let (inputs, targets) = reachTask(C: 6)
        let split = (train: [0, 1, 2, 4], validation: [3, 5])
        let train = try TrainingData(inputs: inputs, targets: targets, conditions: split.train)
        let validation = try TrainingData(inputs: inputs, targets: targets, conditions: split.validation)
        let spec = RNNSpec(hidden: 20, inputs: 3, outputs: 2)
        let stop = EarlyStopping(patience: 20, minRelativeImprovement: 0.5, monitor: .validationLoss, validationEvery: 5)
        let trainer = Trainer(spec: spec, objective: Objective(lambda: 0),
                              options: TrainingOptions(iterations: 2000, adam: AdamConfig(learningRate: 1e-2), earlyStopping: stop))
        let result = try trainer.train(from: initialParameters(spec: spec, seed: 2), data: train, validation: validation)
        guard case .earlyStopped(let at) = result.stopReason else { return XCTFail("expected early stop, got \(result.stopReason)") }
        XCTAssertLessThan(at, 2000)
        XCTAssertEqual(result.history.count, at)
        XCTAssertNotNil(result.history[4].lossValidation)
        XCTAssertNil(result.history[5].lossValidation)
        // the returned parameters are the best ones seen on the validation conditions
        let best = result.history.compactMap(\.lossValidation).min()!
        let returned = try evaluateLoss(spec: spec, objective: Objective(lambda: 0), parameters: result.parameters, data: validation)
        XCTAssertEqual(returned.total, best, accuracy: 1e-9 * best)
        XCTAssertLessThan(best, result.history[0].lossValidation! / 5)
        // validation monitor without validation data is an input error
        XCTAssertThrowsError(try trainer.train(from: initialParameters(spec: spec, seed: 2), data: train))
    }

    func testLearningRateDecaySchedules() {
        XCTAssertEqual(LearningRateDecay.none.multiplier(at: 100), 1)
        XCTAssertEqual(LearningRateDecay.exponential(factor: 0.5).multiplier(at: 3), 0.25)
        XCTAssertEqual(LearningRateDecay.step(every: 10, factor: 0.1).multiplier(at: 10), 1)
        XCTAssertEqual(LearningRateDecay.step(every: 10, factor: 0.1).multiplier(at: 11), 0.1, accuracy: 1e-15)
    }

    func testAdamClipsTheGlobalGradientNorm() {
        let layout = ParameterLayout(hidden: 2, inputs: 0, outputs: 1, recorded: 0, mapping: .identity)
        var adam = Adam(config: AdamConfig(learningRate: 0.1, clipNorm: 1), layout: layout, trainable: [.J])
        var p = [Float](repeating: 0, count: layout.count)
        var g = [Float](repeating: 0, count: layout.count)
        g[0] = 300; g[1] = 400; g[layout.offset(.C)] = 1e6    // C frozen: ignored by norm and update
        XCTAssertEqual(adam.gradientNorm(g), 500, accuracy: 1e-9)
        adam.update(&p, gradient: g, gradientNorm: 500)
        // first Adam step moves every trainable coordinate by ≈ lr·sign(g)
        XCTAssertEqual(p[0], -0.1, accuracy: 1e-6)
        XCTAssertEqual(p[1], -0.1, accuracy: 1e-6)
        XCTAssertEqual(p[layout.offset(.C)], 0)
    }
}

extension Array3 where Element: BinaryFloatingPoint {
    func converted<T: BinaryFloatingPoint & Sendable>(to: T.Type = T.self) -> Array3<T> {
        Array3<T>(d0, d1, d2, data: data.map { T($0) })
    }
}
