import XCTest
@testable import CircuitFitCore
@testable import CircuitFitModel
@testable import CircuitFitAnalysis
@testable import CircuitFitImport
@testable import CircuitFitReport
@testable import CircuitFitCircuit
@testable import CircuitFitFitting
@testable import CircuitFitExperiment

/// The experiment's plan (which networks are trained) and the claims' decisions.
final class ExperimentPlanTests: XCTestCase {
    func testTaskOnlyNetworkIsSharedAcrossMAndIdsAreUnique() {
        var c = ExperimentConfig()
        c.seeds = [1, 2]
        c.recordCounts = [0, 5, 20]
        c.lambdas = [0, 1]
        c.arms = [.plain, .priors]
        let units = c.units
        // per seed and arm: one task-only network scored for every M, one λ = 1 fit per M > 0
        XCTAssertEqual(units.count, 2 * 2 * (1 + 2))
        XCTAssertEqual(Set(units.map(\.id)).count, units.count, "fit ids must be unique")
        let taskOnly = units.filter { $0.lambda == 0 }
        XCTAssertEqual(taskOnly.count, 4)
        XCTAssert(taskOnly.allSatisfy { $0.recordCounts == [0, 5, 20] })
        XCTAssertFalse(units.contains { $0.lambda > 0 && $0.recordCounts.contains(0) }, "M = 0 with λ > 0 duplicates the task-only fit")
        // rows: every (seed, arm, M, λ) once
        let rows = units.flatMap { u in u.recordCounts.map { "\(u.seed)-\(u.arm)-\($0)-\(u.lambda)" } }
        XCTAssertEqual(rows.count, 2 * 2 * (3 + 2))
        XCTAssertEqual(Set(rows).count, rows.count)

        let unit = units.first { $0.arm == .priors && $0.lambda == 1 && $0.recordCounts == [20] }!
        let fit = unit.fitConfig(c)
        XCTAssertTrue(fit.dale); XCTAssertEqual(fit.betaRate, 1e-2); XCTAssertEqual(fit.betaJ, 1e-4)
        XCTAssertEqual(fit.record, 20); XCTAssertEqual(fit.lambda, 1); XCTAssertEqual(fit.seed, unit.seed)
        let plainTask = units.first { $0.arm == .plain && $0.lambda == 0 }!.fitConfig(c)
        XCTAssertFalse(plainTask.dale); XCTAssertEqual(plainTask.betaRate, 0); XCTAssertEqual(plainTask.record, 0)
    }

    func testPlanValidation() {
        var c = ExperimentConfig()
        c.lambdas = [-1]
        XCTAssertThrowsError(try c.validate()) { XCTAssert("\($0)".contains("λ values must be ≥ 0"), "\($0)") }
        c = ExperimentConfig(); c.seeds = [1, 1]
        XCTAssertThrowsError(try c.validate()) { XCTAssert("\($0)".contains("repeated seeds"), "\($0)") }
    }

    /// Synthetic rows whose differences are known: the claims must follow them.
    func rows(seeds: Int, ccaGain: Double, heldOutGain: Double, taskNMSE: Double = 1e-3) -> [ResultRow] {
        var out: [ResultRow] = []
        var g = SeededRandom(seed: 9)
        for s in 1...seeds {
            for (m, lambda) in [(0, 0.0), (5, 0), (20, 0), (5, 1), (20, 1)] {
                let base = 0.6 + 0.01 * g.uniform()
                let cca = lambda > 0 ? base + ccaGain * (m == 20 ? 1.5 : 1) : base
                let nmse = lambda > 0 ? 0.2 - heldOutGain : 0.2 + 0.001 * g.uniform()
                let metrics = FitMetrics(
                    population: "circuit", populationNeurons: 200, recordedNeurons: m, heldoutNeurons: 200 - m,
                    outputNMSETrain: taskNMSE, outputNMSEHeldout: nmse, outputNMSEExcluded: nil,
                    ccaMean: cca, ccaMeanHeldout: nil, canonicalCorrelations: [], procrustesDistance: 0.5,
                    procrustesAngularDistance: 0.5, heldoutNeuronR2: 0.9, heldoutNeuronR2PerNeuronMean: nil,
                    recordedNMSETrain: nil, recordedNMSEHeldout: nil, untrained: nil, ccaMeanRelative: nil,
                    procrustesAngularRelative: nil, heldoutNeuronR2Relative: nil)
                out.append(ResultRow(seed: UInt64(s), arm: .plain, record: m, lambda: lambda, fitID: "x", mapping: .identity,
                                     hidden: 200, iterationsRun: 1, stop: "budget", trainSeconds: 0, metrics: metrics))
            }
        }
        return out
    }

    func testClaimsFollowTheNumbers() {
        let good = judgeClaims(rows(seeds: 8, ccaGain: 0.1, heldOutGain: 0.05), arms: [.plain], lambdas: [0, 1], recordCounts: [0, 5, 20])
        XCTAssertEqual(good.map(\.id), ["1", "2", "3"])
        XCTAssert(good.allSatisfy(\.holds), good.map { "\($0.id): \($0.numbers)" }.joined(separator: "\n"))
        XCTAssertEqual(good[0].wilcoxon?.pValue ?? 1, 1.0 / 256, accuracy: 1e-12, "8 positive differences: exact one-sided p = 2⁻⁸")

        // no gain from the neural term, and it hurts held-out error: claims 1–3 do not hold
        let bad = judgeClaims(rows(seeds: 8, ccaGain: -0.05, heldOutGain: -0.05), arms: [.plain], lambdas: [0, 1], recordCounts: [0, 5, 20])
        XCTAssertFalse(bad[0].holds); XCTAssertFalse(bad[1].holds); XCTAssertFalse(bad[2].holds)

        // task-only that does not fit the outputs fails claim 1 whatever the similarity
        let unfit = judgeClaims(rows(seeds: 8, ccaGain: 0.1, heldOutGain: 0.05, taskNMSE: 0.3), arms: [.plain], lambdas: [0, 1], recordCounts: [0, 5, 20])
        XCTAssertFalse(unfit[0].holds)
        XCTAssert(unfit[0].numbers.contains("does not fit the outputs"), unfit[0].numbers)

        // one seed cannot decide anything
        let one = judgeClaims(rows(seeds: 1, ccaGain: 0.1, heldOutGain: 0.05), arms: [.plain], lambdas: [0, 1], recordCounts: [0, 5, 20])
        XCTAssert(one.allSatisfy { !$0.holds })
        XCTAssertNotNil(one[0].undecided)
    }
}
