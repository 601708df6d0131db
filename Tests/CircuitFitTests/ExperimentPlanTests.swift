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
                out.append(ResultRow(seed: UInt64(s), arm: .plain, record: m, lambda: lambda, fitID: "s\(s)-l\(lambda)-m\(m)", mapping: .identity,
                                     hidden: 200, iterationsRun: 1, stop: "converged_at_1", trainSeconds: 0, metrics: metrics,
                                     converged: true, convergence: nil, evaluations: 1, optimizer: .lbfgs))
            }
        }
        return out
    }

    func testClaimsFollowTheNumbers() throws {
        let good = judgeClaims(rows(seeds: 8, ccaGain: 0.1, heldOutGain: 0.05), arms: [.plain], lambdas: [0, 1], recordCounts: [0, 5, 20])
        XCTAssertEqual(good.map(\.id), ["1", "2", "3"])
        XCTAssert(good.allSatisfy { $0.holds && $0.state == .holds }, good.map { "\($0.id): \($0.reason)" }.joined(separator: "\n"))
        XCTAssertEqual(good[0].wilcoxon?.pValue ?? 1, 1.0 / 256, accuracy: 1e-12, "8 positive differences: exact one-sided p = 2⁻⁸")
        // every condition carries its own number and p: claim 2 has two tests
        XCTAssertEqual(good[1].conditions.map(\.name), ["high at small M", "rises with M"])
        XCTAssert(good[1].conditions.allSatisfy { $0.pValue != nil && $0.state == .holds })
        XCTAssertEqual(good[0].conditions.map(\.name), ["similarity", "outputs fit"])
        XCTAssertEqual(good[0].conditions[1].value ?? 0, 1e-3, accuracy: 1e-12)

        // no gain from the neural term, and it hurts held-out error: claims 1–3 do not hold
        let bad = judgeClaims(rows(seeds: 8, ccaGain: -0.05, heldOutGain: -0.05), arms: [.plain], lambdas: [0, 1], recordCounts: [0, 5, 20])
        XCTAssertEqual(bad.map(\.state), [.doesNotHold, .doesNotHold, .doesNotHold])

        // task-only that does not fit the outputs fails claim 1 whatever the similarity, and says which condition failed
        let unfit = judgeClaims(rows(seeds: 8, ccaGain: 0.1, heldOutGain: 0.05, taskNMSE: 0.3), arms: [.plain], lambdas: [0, 1], recordCounts: [0, 5, 20])
        XCTAssertEqual(unfit[0].state, .doesNotHold)
        XCTAssertEqual(unfit[0].reason, "similarity ✓ p = 0.004 < 0.05; outputs fit ✗ NMSE 0.300 ≥ 0.01")
    }

    func testClaimsThatCannotBeDecidedSayWhy() throws {
        // one seed: nothing to pair
        let one = judgeClaims(rows(seeds: 1, ccaGain: 0.1, heldOutGain: 0.05), arms: [.plain], lambdas: [0, 1], recordCounts: [0, 5, 20])
        XCTAssert(one.allSatisfy { $0.state == .undecided && !$0.holds && $0.undecided != nil })
        XCTAssert(one[0].reason.contains("only 1 paired seed"), one[0].reason)
        // 4 seeds, all differences positive: the smallest one-sided exact p is 1/16 > 0.05
        let four = judgeClaims(rows(seeds: 4, ccaGain: 0.1, heldOutGain: 0.05), arms: [.plain], lambdas: [0, 1], recordCounts: [0, 5, 20])
        XCTAssertEqual(four.map(\.state), [.undecided, .undecided, .undecided])
        XCTAssert(four[2].reason.contains("4 seeds cannot reach p < 0.05 one-sided: the smallest possible p is 1/16"), four[2].reason)
        // 5 seeds can: p = 1/32
        let five = judgeClaims(rows(seeds: 5, ccaGain: 0.1, heldOutGain: 0.05), arms: [.plain], lambdas: [0, 1], recordCounts: [0, 5, 20])
        XCTAssertEqual(five.map(\.state), [.holds, .holds, .holds])
        XCTAssertEqual(five[2].conditions[0].pValue ?? 1, 1.0 / 32, accuracy: 1e-12)
        // one M > 0: claim 2 is listed, undecided, not dropped
        let oneM = judgeClaims(rows(seeds: 8, ccaGain: 0.1, heldOutGain: 0.05).filter { $0.record != 20 }, arms: [.plain], lambdas: [0, 1], recordCounts: [0, 5])
        XCTAssertEqual(oneM.map(\.id), ["1", "2", "3"])
        XCTAssertEqual(oneM[1].state, .undecided)
        XCTAssertEqual(oneM[1].reason, "only one M > 0 (M = 5): a rise with M cannot be tested")
        // no λ > 0: every claim listed with the reason
        let noLambda = judgeClaims(rows(seeds: 8, ccaGain: 0.1, heldOutGain: 0.05).filter { $0.lambda == 0 }, arms: [.plain, .priors], lambdas: [0], recordCounts: [0, 5, 20])
        XCTAssertEqual(noLambda.map(\.id), ["1", "2", "3", "1", "2", "3", "1x", "0x"])
        XCTAssert(noLambda.allSatisfy { $0.state == .undecided && $0.reason.contains("no λ > 0") })
    }

    func testClaimsAreJudgedOnConvergedFitsOnly() throws {
        var all = rows(seeds: 8, ccaGain: 0.1, heldOutGain: 0.05)
        // seed 1's λ = 1, M = 5 fit did not converge, and its numbers would reverse claim 2's first test
        let i = all.firstIndex { $0.seed == 1 && $0.lambda == 1 && $0.record == 5 }!
        all[i].converged = false
        all[i].metrics.ccaMean = 0
        let claims = judgeClaims(all, arms: [.plain], lambdas: [0, 1], recordCounts: [0, 5, 20])
        XCTAssertEqual(claims[1].state, .holds)
        XCTAssertEqual(claims[1].conditions[0].n, 7, "the seed whose fit did not converge is left out of the pairs")
        XCTAssertEqual(claims[1].fitsNotConverged, 1)
        XCTAssert(claims[1].reason.hasSuffix("(1 fit that did not converge left out)"), claims[1].reason)
        // claims.json keeps `holds` as a Bool and adds state, reason and conditions
        let json = try JSONSerialization.jsonObject(with: OutputFolder.json(claims[1])) as! [String: Any]
        XCTAssertEqual(json["holds"] as? Bool, true)
        XCTAssertEqual(json["state"] as? String, "holds")
        XCTAssertEqual((json["conditions"] as? [[String: Any]])?.count, 2)
        XCTAssertEqual(json["fits_not_converged"] as? Int, 1)
    }
}
