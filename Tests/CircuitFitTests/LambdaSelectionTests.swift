import Foundation
import XCTest
@testable import CircuitFitCore
@testable import CircuitFitModel
@testable import CircuitFitAnalysis
@testable import CircuitFitFitting

/// `--lambda auto`: cross-validation over recorded neurons, the stated rule, and a choice that
/// does not flip under changes that do not change the evidence.
final class LambdaSelectionTests: XCTestCase {

    func candidate(_ lambda: Double, _ r2: Double, _ se: Double, diff: Double, diffSE: Double) -> LambdaCandidate {
        LambdaCandidate(lambda: lambda, validationNeuronR2: r2, standardError: se, foldR2: [], differenceFromZero: diff,
                        differenceStandardError: diffSE, outputNMSETrain: 0, validationOutputNMSE: nil)
    }

    func testTheRule() {
        // every score ≤ 0: nothing predicts the left-out neurons → the default, said plainly
        var (chosen, decided, reason) = decideLambda([candidate(0, -0.2, 0.1, diff: 0, diffSE: 0), candidate(3, -0.1, 0.1, diff: 0.1, diffSE: 0.01)], folds: 4, recorded: 8, conditions: 6)
        XCTAssertEqual(chosen, defaultLambda)
        XCTAssertFalse(decided)
        XCTAssert(reason.contains("every cross-validated R² ≤ 0"), reason)
        // no λ > 0 beats λ = 0 by more than its paired standard error → the default
        (chosen, decided, reason) = decideLambda([candidate(0, 0.5, 0.05, diff: 0, diffSE: 0), candidate(1, 0.52, 0.05, diff: 0.02, diffSE: 0.03), candidate(10, 0.3, 0.05, diff: -0.2, diffSE: 0.04)], folds: 4, recorded: 8, conditions: 6)
        XCTAssertEqual(chosen, defaultLambda)
        XCTAssertFalse(decided)
        XCTAssert(reason.contains("no λ > 0 beats λ = 0 by more than one standard error"), reason)
        // λ = 3 scores best, λ = 1 is within one standard error of it and beats λ = 0: the smaller wins
        (chosen, decided, reason) = decideLambda([candidate(0, 0.4, 0.02, diff: 0, diffSE: 0), candidate(1, 0.55, 0.02, diff: 0.15, diffSE: 0.02), candidate(3, 0.56, 0.02, diff: 0.16, diffSE: 0.02), candidate(10, 0.5, 0.02, diff: 0.1, diffSE: 0.02)], folds: 4, recorded: 8, conditions: 6)
        XCTAssertEqual(chosen, 1)
        XCTAssertTrue(decided)
        XCTAssert(reason.contains("smallest λ within one standard error of the best (λ = 3: R² 0.5600 ± 0.0200)"), reason)
    }

    /// A teacher network's rates on 8 fit and 8 held-out reach angles; `oneHot` encodes the
    /// condition as one input line per fit angle pair instead of (cos θ, sin θ, 1).
    func dataset(oneHot: Bool) -> ReachDataset {
        let C = 16, T = 30, N = 24
        let teacher = RNNSpec(hidden: N, inputs: 3, outputs: 2)
        let w = initialParameters(spec: teacher, gain: 1.4, seed: 9)
        let angles = (0..<C).map { c in 2 * Double.pi * (Double(c / 2) + (c % 2 == 0 ? 0 : 0.5)) / 8 }
        var u = Array3<Double>(C, T, 3, repeating: 0)
        for c in 0..<C { for t in 0..<6 { u[c, t, 0] = cos(angles[c]); u[c, t, 1] = sin(angles[c]); u[c, t, 2] = 1 } }
        let sim = try! simulate(spec: teacher, parameters: w, inputs: u)
        var rates = Array3<Double>(C, T, N, repeating: 0), z = Array3<Double>(C, T, 2, repeating: 0)
        for c in 0..<C { for t in 0..<T {
            for n in 0..<N { rates[c, t, n] = 40 * Double(sim.rates[c, t, n]) }
            for k in 0..<2 { z[c, t, k] = Double(sim.outputs[c, t, k]) }
        } }
        var inputs = u
        if oneHot {
            inputs = Array3<Double>(C, T, 8, repeating: 0)
            for c in 0..<C { for t in 0..<6 { inputs[c, t, c / 2] = 1 } }
        }
        return ReachDataset(inputs: inputs, targets: z, rates: rates, angles: angles, isTraining: (0..<C).map { $0 % 2 == 0 }, dtMs: 5, goIndex: 6)
    }

    func testChoiceDoesNotFlipWithoutEvidence() throws {
        var config = FitConfig()
        config.hidden = 30
        config.record = 8
        config.iterations = 300
        config.seed = 3
        var selections: [(String, LambdaSelection)] = []
        for (name, oneHot, foldSeed) in [("cos/sin, folds 1", false, UInt64(1)), ("cos/sin, folds 2", false, 2), ("one-hot, folds 1", true, 1)] {
            let s = try selectLambda(dataset: dataset(oneHot: oneHot), config: config, candidates: [0, 1, 10], folds: 4, foldSeed: foldSeed, workers: 2)
            XCTAssertEqual(s.candidates.map(\.lambda), [0, 1, 10])
            XCTAssertEqual(Set(s.folds.flatMap { $0 }), Set(s.validationNeurons))
            XCTAssertEqual(s.folds.count, 4)
            XCTAssert(s.candidates.allSatisfy { $0.foldR2.count == 4 && $0.standardError >= 0 })
            XCTAssert(s.reason.contains("±"), s.reason)
            selections.append((name, s))
        }
        // the same choice, or two choices whose scores differ by more than their standard errors
        let (firstName, first) = selections[0]
        for (name, s) in selections.dropFirst() where s.chosen != first.chosen {
            let a = first.candidates.first { $0.lambda == s.chosen }!, b = first.candidates.first { $0.lambda == first.chosen }!
            XCTAssertGreaterThan(abs(a.validationNeuronR2 - b.validationNeuronR2), a.standardError + b.standardError,
                                 "\(firstName) chose λ = \(first.chosen) (\(first.reason)) but \(name) chose λ = \(s.chosen) (\(s.reason)) on scores within their errors")
        }
    }

    func testTooFewNeuronsOrConditionsAreClearErrors() {
        var config = FitConfig()
        config.record = 1
        XCTAssertThrowsError(try selectLambda(dataset: dataset(oneHot: false), config: config)) {
            XCTAssert("\($0)".contains("at least 2 recorded neurons"), "\($0)")
        }
    }
}
