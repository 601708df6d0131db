import Foundation
import XCTest
@testable import CircuitFitCore
@testable import CircuitFitModel
@testable import CircuitFitAnalysis
@testable import CircuitFitFitting

/// The objective does not depend on the data's units (docs/method.md#the-objective): every
/// output channel's and recorded neuron's squared error is divided by its variance, the readout
/// penalty is measured in units of each output's standard deviation, and a fit trains on
/// standardised targets, so rescaling a channel or a neuron changes no fitted number.
final class UnitFreeObjectiveTests: XCTestCase {

    /// Model layer: scaling output channel k's targets and its readout row (C_k, d_k) by s, or a
    /// linear-mapping neuron's recordings and its readout row (D_m, e_m), leaves L unchanged.
    func testLossIsTheSameInAnyUnits() throws {
        var rng = SeededRandom(seed: 21)
        let H = 10, C = 3, T = 12, I = 3, K = 2, M = 3
        func random(_ d2: Int, _ scale: Double) -> Array3<Double> {
            Array3(C, T, d2, data: (0..<(C * T * d2)).map { _ in rng.normal() * scale })
        }
        let inputs = random(I, 1), targets = random(K, 0.5)
        var neural = random(M, 0.4)
        neural.data[5] = .nan
        let spec = RNNSpec(hidden: H, inputs: I, outputs: K, recorded: M, mapping: .linear)
        var p = initialParameters(spec: spec, seed: 3)
        p[.d] = [0.2, -0.1]
        let objective = Objective(lambda: 0.7, betaJ: 1e-3, betaIn: 1e-3, betaOut: 0.05, betaRate: 0.01)
        let base = try evaluateLoss(spec: spec, objective: objective, parameters: p,
                                    data: TrainingData(inputs: inputs, targets: targets, neural: neural))
        XCTAssert(base.task > 0 && base.neural > 0 && base.penalty > 0)

        // output channel 1 in units 1000× smaller, neuron 2 in units 1000× larger
        var scaledTargets = targets, scaledNeural = neural
        for c in 0..<C { for t in 0..<T { scaledTargets[c, t, 1] *= 1000; scaledNeural[c, t, 2] *= 1e-3 } }
        var q = p
        var cw = q.block(.C), d = q.block(.d), dw = q.block(.D), e = q.block(.e)
        for i in 0..<H { cw[H + i] *= 1000; dw[2 * H + i] *= 1e-3 }
        d[1] *= 1000; e[2] *= 1e-3
        q[.C] = cw[...]; q[.d] = d[...]; q[.D] = dw[...]; q[.e] = e[...]
        let scaled = try evaluateLoss(spec: spec, objective: objective, parameters: q,
                                      data: TrainingData(inputs: inputs, targets: scaledTargets, neural: scaledNeural))
        XCTAssertEqual(scaled.task, base.task, accuracy: 1e-5 * base.task)
        XCTAssertEqual(scaled.neural, base.neural, accuracy: 1e-5 * base.neural)
        XCTAssertEqual(scaled.penalty, base.penalty, accuracy: 1e-5 * base.penalty)

        // a model predicting every channel's mean scores L_task = 1 (normalised MSE)
        let taskOnly = RNNSpec(hidden: H, inputs: I, outputs: K)
        var meanModel = RNNParameters(layout: taskOnly.layout)
        meanModel[.d] = ArraySlice((0..<K).map { k in
            Float((0..<C).map { c in (0..<T).map { targets[c, $0, k] }.reduce(0, +) }.reduce(0, +) / Double(C * T))
        })
        let mean = try evaluateLoss(spec: taskOnly, objective: Objective(lambda: 0), parameters: meanModel,
                                    data: TrainingData(inputs: inputs, targets: targets))
        XCTAssertEqual(mean.task, 1, accuracy: 1e-5)
    }

    /// A small synthetic "circuit": rates in Hz of N neurons on 8 training and 8 held-out reach
    /// angles, and K = 3 outputs read out from them.
    func dataset(outputScale: Double = 1, neuron: Int = -1, neuronScale: Double = 1) -> ReachDataset {
        let C = 16, T = 30, N = 24, K = 3
        var g = SeededRandom(seed: 5)
        let teacher = RNNSpec(hidden: N, inputs: 3, outputs: K)
        let w = initialParameters(spec: teacher, gain: 1.4, seed: 9)
        var u = Array3<Double>(C, T, 3, repeating: 0)
        let angles = (0..<C).map { c in 2 * Double.pi * (Double(c / 2) + (c % 2 == 0 ? 0 : 0.5)) / 8 }
        for c in 0..<C { for t in 0..<6 { u[c, t, 0] = cos(angles[c]); u[c, t, 1] = sin(angles[c]); u[c, t, 2] = 1 } }
        let sim = try! simulate(spec: teacher, parameters: w, inputs: u)
        var rates = Array3<Double>(C, T, N, repeating: 0), z = Array3<Double>(C, T, K, repeating: 0)
        let offsets = (0..<K).map { _ in g.normal() }
        for c in 0..<C {
            for t in 0..<T {
                for n in 0..<N { rates[c, t, n] = 30 * Double(sim.rates[c, t, n]) * (n == neuron ? neuronScale : 1) }
                for k in 0..<K { z[c, t, k] = (Double(sim.outputs[c, t, k]) + offsets[k]) * outputScale }
            }
        }
        return ReachDataset(inputs: u, targets: z, rates: rates, angles: angles, isTraining: (0..<C).map { $0 % 2 == 0 }, dtMs: 5, goIndex: 6)
    }

    /// The must-show: outputs ×1000 and one recorded neuron ×1e-3 give the same fit.
    /// "Same": J, B, b, h0 equal to float tolerance and C, d exactly the original ×1000 (the fit
    /// in standardised units is the same); every metric equal — the unit-free ones scored on the
    /// rescaled dataset itself, and the similarities (CCA, Procrustes: PCA of the population in
    /// its own units, which a rescaled neuron changes by definition) by scoring both networks on
    /// the original population.
    func testRescaledOutputsAndNeuronGiveTheSameFit() throws {
        var config = FitConfig()
        config.hidden = 30
        config.record = 6
        config.iterations = 150
        config.stopAtConvergence = false
        config.seed = 4
        config.betaJ = 1e-4; config.betaOut = 1e-4; config.betaRate = 1e-3
        let original = dataset()
        let recorded = try prepareFit(dataset: original, config: config).neural!.neurons
        let rescaled = dataset(outputScale: 1000, neuron: recorded[2], neuronScale: 1e-3)
        for optimizer in [OptimizerKind.lbfgs, .adam] {
            config.optimizer = optimizer
            let a = try fitModel(dataset: original, config: config)
            let b = try fitModel(dataset: rescaled, config: config)
            XCTAssertEqual(a.neural!.neurons, b.neural!.neurons)
            XCTAssertGreaterThan(a.training!.updates, 100, "\(optimizer)")
            XCTAssertEqual(a.training!.updates, b.training!.updates, "\(optimizer)")
            XCTAssertLessThan(a.training!.finalLoss.total, a.training!.history[0].lossTotal / 5)
            func close(_ x: [Float], _ y: [Float], scale: Double = 1, _ what: String) {
                let diff = zip(x, y).map { Double($0) * scale - Double($1) }.map { $0 * $0 }.reduce(0, +).squareRoot()
                let norm = x.map { Double($0) * scale * Double($0) * scale }.reduce(0, +).squareRoot()
                XCTAssertLessThan(diff, 1e-4 * norm, "\(optimizer) \(what): relative difference \(diff / norm)")
            }
            for block in [ParameterBlock.J, .B, .b] { close(a.parameters.block(block), b.parameters.block(block), "\(block)") }
            close(a.parameters.block(.C), b.parameters.block(.C), scale: 1000, "C ×1000")
            close(a.parameters.block(.d), b.parameters.block(.d), scale: 1000, "d ×1000")
            XCTAssertEqual(b.neural!.scale[2], a.neural!.scale[2] * 1e-3, accuracy: 1e-9 * a.neural!.scale[2])

            let ma = try FitOutputs.metrics(a, dataset: original), mb = try FitOutputs.metrics(b, dataset: rescaled)
            let pairs: [(String, Double?, Double?)] = [
                ("output_nmse_train", ma.outputNMSETrain, mb.outputNMSETrain),
                ("output_nmse_heldout", ma.outputNMSEHeldout, mb.outputNMSEHeldout),
                ("recorded_nmse_train", ma.recordedNMSETrain, mb.recordedNMSETrain),
                ("recorded_nmse_heldout", ma.recordedNMSEHeldout, mb.recordedNMSEHeldout),
                ("heldout_neuron_r2", ma.heldoutNeuronR2, mb.heldoutNeuronR2),
            ]
            for (name, x, y) in pairs {
                XCTAssertEqual(x!, y!, accuracy: 1e-4 * max(abs(x!), 1e-3), "\(optimizer) \(name)")
            }
            // the network fitted to the rescaled data, scored on the original population
            var back = b
            back.parameters = a.outputs.toDataUnits(b.training!.parameters)
            let mc = try FitOutputs.metrics(back, dataset: original)
            XCTAssertEqual(ma.ccaMean, mc.ccaMean, accuracy: 1e-4, "\(optimizer)")
            XCTAssertEqual(ma.procrustesAngularDistance, mc.procrustesAngularDistance, accuracy: 1e-4, "\(optimizer)")
            XCTAssertEqual(ma.outputNMSEHeldout!, mc.outputNMSEHeldout!, accuracy: 1e-4 * ma.outputNMSEHeldout!)
        }
    }

    /// A channel that never changes over the fit conditions has no normalised error: one clear line.
    func testConstantOutputChannelIsAClearError() throws {
        var d = dataset()
        for c in 0..<d.conditions { for t in 0..<d.steps { d.targets[c, t, 1] = 2.5 } }
        XCTAssertThrowsError(try prepareFit(dataset: d, config: FitConfig())) { error in
            let message = (error as? CircuitFitError)?.message ?? ""
            XCTAssert(message.contains("output channel 1 is constant (2.5)"), message)
        }
    }
}
