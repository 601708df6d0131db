import Foundation
import XCTest
@testable import CircuitFitCore
@testable import CircuitFitAudit
@testable import CircuitFitFitting
@testable import CircuitFitExperiment
import CircuitFitTestSupport

/// The mechanism audit inside the experiment: the audit columns of a result row, the `audit`
/// plan option, the mechanism claims, and the row's numbers against `circuitfit audit`.
final class ExperimentAuditTests: XCTestCase {

    func summary(r2: Double? = 0.25, dsa: Double = 0.04, spectrum: Double? = 3.5, spurious: Int = 0) -> AuditSummary {
        AuditSummary(
            spuriousAttractors: spurious, modelStableFixedPoints: 1, spectrumDistancePerS: spectrum, slowestModesDistancePerS: 1.5,
            dsaAngularDistance: dsa, perturbedUnits: .tied, perturbationMuscleR2: r2, perturbationNetworkR2: -0.5,
            perturbationOtherNeuronsR2: nil, modelGramianTopRelative: 58.25, circuitGramianTopRelative: 15.875,
            modelPeakNormRatio: 1.25, circuitPeakNormRatio: 2.25, modelRotationHz: 2.5, circuitRotationHz: 3)
    }

    func testAuditColumnsRoundTripWithNullForNonFinite() throws {
        let unit = FitUnit(seed: 3, arm: .priors, lambda: 1, recordCounts: [20])
        var row = try goldenRow(unit: unit, record: 20)
        // the perturbation columns come after the audit's (perturbation_sets and the held-out score)
        let tail = 1 + HeldOutPerturbationScore.columns.count
        let before = Array(row.cells.dropLast(tail))
        // the audit's columns come after the metrics; the old ones keep their order and cells
        XCTAssertEqual(Array(ResultRow.columns.dropLast(tail).suffix(AuditSummary.columns.count)), AuditSummary.columns)
        XCTAssertEqual(ResultRow.columns.first, "seed")
        XCTAssertEqual(ResultRow.columns[ResultRow.columns.count - tail - AuditSummary.columns.count - 1], "optimizer")
        XCTAssertEqual(Array(before.suffix(AuditSummary.columns.count)), Array(repeating: "", count: AuditSummary.columns.count), "no audit: empty cells")
        XCTAssertNil((try JSONSerialization.jsonObject(with: OutputFolder.json(row)) as! [String: Any])["audit"], "no audit: no key")

        row.audit = summary()
        row.audit!.dsaAngularDistance = .nan
        row.audit!.modelPeakNormRatio = .infinity
        XCTAssertEqual(row.cells.count, ResultRow.columns.count)
        let cells = Array(row.cells.dropLast(tail))
        XCTAssertEqual(Array(cells.prefix(before.count - AuditSummary.columns.count)), Array(before.prefix(before.count - AuditSummary.columns.count)))
        let audit = Dictionary(uniqueKeysWithValues: zip(AuditSummary.columns, cells.suffix(AuditSummary.columns.count)))
        XCTAssertEqual(audit["perturbation_muscle_r2"], "0.25")
        XCTAssertEqual(audit["perturbed_units"], "tied")
        XCTAssertEqual(audit["dsa_angular_distance"], "", "NaN is an empty cell")
        XCTAssertEqual(audit["model_peak_norm_ratio"], "", "∞ is an empty cell")
        XCTAssertEqual(audit["perturbation_other_neurons_r2"], "", "nil is an empty cell")
        XCTAssertEqual(audit["circuit_gramian_top_relative"], "15.875")
        // CSV: header and row have the same number of cells
        let csv = ResultRow.csv([row]).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        XCTAssertEqual(csv[0].count, csv[1].count)

        // JSON: null, never "NaN"; read back equal
        let data = try OutputFolder.json(row)
        let text = String(decoding: data, as: UTF8.self)
        XCTAssertFalse(text.contains("NaN") || text.contains("Infinity"), text)
        let json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        let auditJSON = try XCTUnwrap(json["audit"] as? [String: Any])
        XCTAssertEqual(Set(auditJSON.keys), Set(AuditSummary.columns), "every key written, under the CSV's names")
        XCTAssert(auditJSON["dsa_angular_distance"] is NSNull)
        XCTAssert(auditJSON["perturbation_other_neurons_r2"] is NSNull)
        XCTAssertEqual(auditJSON["perturbation_muscle_r2"] as? Double, 0.25)
        let back = try JSONDecoder().decode(ResultRow.self, from: data)
        XCTAssert(back.audit!.dsaAngularDistance.isNaN && back.audit!.modelPeakNormRatio.isNaN)
        var finite = row; finite.audit = summary()
        XCTAssertEqual(try JSONDecoder().decode(ResultRow.self, from: OutputFolder.json(finite)), finite)
    }

    /// The audit JSON writes a non-finite number as null (never "NaN"/"Infinity") and reads it
    /// back as NaN; the golden audit.json (all finite) keeps its bytes.
    func testAuditJSONWritesNullForNonFinite() throws {
        let url = JSONGoldenTests.folder.appendingPathComponent("audit.json")
        var audit = try JSONDecoder().decode(MechanismAudit.self, from: Data(contentsOf: url))
        XCTAssertEqual(try OutputFolder.json(audit), try Data(contentsOf: url))
        audit.dsaAngularDistance = .nan
        audit.model.peakNormRatio = .infinity
        audit.model.movement.points[0].relativeSpeed = -.infinity
        audit.circuit.rotation.rotationHz = .nan
        audit.perturbation.groups[0].muscleSizeRatio = .nan
        audit.perturbation.sets[0].muscleR2 = .nan
        audit.perturbation.sets[0].circuitValues[0] = .nan
        audit.model.baseline?.slowestTimeConstantsS[0] = .infinity
        let data = try OutputFolder.json(audit)
        let text = String(decoding: data, as: UTF8.self)
        XCTAssertFalse(text.contains("NaN") || text.contains("Infinity"))
        let json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        XCTAssert(json["dsa_angular_distance"] is NSNull)
        XCTAssert((json["model"] as! [String: Any])["peak_norm_ratio"] is NSNull)
        let back = try JSONDecoder().decode(MechanismAudit.self, from: data)
        XCTAssert(back.dsaAngularDistance.isNaN && back.model.peakNormRatio.isNaN && back.circuit.rotation.rotationHz.isNaN)
        XCTAssert(back.model.movement.points[0].relativeSpeed.isNaN && back.perturbation.groups[0].muscleSizeRatio.isNaN)
        XCTAssert(back.perturbation.sets[0].muscleR2.isNaN && back.perturbation.sets[0].circuitValues[0].isNaN)
        if audit.model.baseline != nil { XCTAssert(back.model.baseline!.slowestTimeConstantsS[0].isNaN) }
        // everything finite is read back as written
        XCTAssertEqual(back.perturbation.sets[0].circuitValues.dropFirst(), audit.perturbation.sets[0].circuitValues.dropFirst())
        XCTAssertEqual(back.spuriousAttractors, audit.spuriousAttractors)
        XCTAssertEqual(back.model.movement.points.count, audit.model.movement.points.count)
    }

    /// The golden experiment.json (written by a real run with the `audit` key) without that key
    /// is a plan from before it existed.
    func testAnOldPlanWithoutTheAuditKeyLoadsEqual() throws {
        let url = JSONGoldenTests.folder.appendingPathComponent("experiment.json")
        var dict = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        dict.removeValue(forKey: "audit")
        let old = try JSONDecoder().decode(ExperimentConfig.self, from: JSONSerialization.data(withJSONObject: dict))
        XCTAssertTrue(old.audit, "a plan written before the key existed was audited by default")
        var now = old
        now.audit = true
        XCTAssertEqual(now, old)
        XCTAssertEqual(now.change(from: old), .same)
        XCTAssertEqual(now.units.map(\.id), old.units.map(\.id), "fit ids do not change")
        XCTAssertEqual(try JSONDecoder().decode(ExperimentConfig.self, from: OutputFolder.json(old)), old)
        var off = old
        off.audit = false
        guard case .conflicts(let why) = off.change(from: old) else { return XCTFail("turning the audit off must conflict") }
        XCTAssert(why.contains("the mechanism audit (off here, on stored)"), why)
        XCTAssertEqual(off.units.map(\.id), old.units.map(\.id))
    }

    /// Synthetic rows: 8 seeds, λ ∈ {0, 1}, M ∈ {0, 5, 10, 20}; the task-only network's audit is
    /// the same in all its rows. `gain` is added to the λ = 1 perturbation R²; `falls` makes DSA,
    /// the spectrum distance and the spurious attractors fall with M; `jitter` alternates in sign.
    func rows(seeds: Int, gain: Double, falls: Bool, jitter: Double = 0.01, audit: Bool = true) throws -> [ResultRow] {
        var out: [ResultRow] = []
        for s in 1...seeds {
            let sign = s % 2 == 0 ? 1.0 : -1.0
            let taskOnly = FitUnit(seed: UInt64(s), arm: .plain, lambda: 0, recordCounts: [0, 5, 10, 20])
            for m in taskOnly.recordCounts {
                var row = try goldenRow(unit: taskOnly, record: m)
                row.audit = audit ? summary(r2: 0.1 + jitter * sign * Double(s), dsa: 0.05, spectrum: 6, spurious: 1) : nil
                out.append(row)
            }
            for m in [5, 10, 20] {
                let unit = FitUnit(seed: UInt64(s), arm: .plain, lambda: 1, recordCounts: [m])
                var row = try goldenRow(unit: unit, record: m)
                // falling: ×4 from M = 20 to M = 5; flat: only M = 5 moves, by an alternating ±0.1 %·s
                let scale = falls ? 20.0 / Double(m) : 1 + (m == 5 ? 0.1 * jitter * sign * Double(s) : 0)
                row.audit = audit ? summary(r2: 0.1 + gain + 0.5 * jitter * sign * Double(s), dsa: 0.01 * scale + 0.001 * Double(s),
                                            spectrum: 2 * scale + 0.01 * Double(s), spurious: falls ? (m == 5 ? 2 : 0) : 1) : nil
                out.append(row)
            }
        }
        return out
    }

    func judge(_ rows: [ResultRow], auditOn: Bool = true) -> [Claim] {
        judgeMechanismClaims(rows, arms: [.plain], lambdas: [0, 1], recordCounts: [0, 5, 10, 20], auditOn: auditOn)
    }

    func testMechanismClaimsFollowTheNumbers() throws {
        let clear = judge(try rows(seeds: 8, gain: 0.3, falls: true))
        XCTAssertEqual(clear.map(\.id), ["m1", "m2", "m3", "m4"])
        XCTAssertEqual(clear.map(\.state), [.holds, .holds, .holds, .holds], clear.map { "\($0.id): \($0.reason)" }.joined(separator: "\n"))
        XCTAssertEqual(clear[0].wilcoxon?.pValue ?? 1, 1.0 / 256, accuracy: 1e-12, "8 positive differences: exact one-sided p = 2⁻⁸")
        XCTAssertEqual(clear[0].conditions[0].value ?? 0, 0.3, accuracy: 0.03, "the median paired R² difference")
        XCTAssert(clear[0].statement.contains("M = 10"), clear[0].statement)
        XCTAssert(clear[2].numbers.contains("M=5:") && clear[2].numbers.contains("task-only"), clear[2].numbers)

        // no difference between λ = 1 and task-only, nothing changes with M: decided, and not holding
        let none = judge(try rows(seeds: 8, gain: 0, falls: false))
        XCTAssertEqual(none[0].state, .doesNotHold, none[0].reason)
        XCTAssertEqual(none[2].state, .doesNotHold, none[2].reason)
        XCTAssertEqual(none[3].state, .doesNotHold, none[3].reason)
        // spurious attractors equal at every M: every paired difference is 0, nothing to decide
        XCTAssertEqual(none[1].state, .undecided)
        XCTAssert(none[1].reason.contains("all 8 paired differences are zero"), none[1].reason)
    }

    func testMechanismClaimsThatCannotBeDecidedSayWhy() throws {
        // 4 seeds: even a clear effect cannot reach p < 0.05
        let four = judge(try rows(seeds: 4, gain: 0.3, falls: true))
        XCTAssert(four.allSatisfy { $0.state == .undecided }, four.map(\.reason).joined(separator: "\n"))
        XCTAssert(four[0].reason.contains("4 seeds cannot reach p < 0.05"), four[0].reason)
        // the audit off: undecided with that reason, never "does not hold"
        let off = judge(try rows(seeds: 8, gain: 0.3, falls: true, audit: false), auditOn: false)
        XCTAssertEqual(off.map(\.id), ["m1", "m2", "m3", "m4"])
        XCTAssert(off.allSatisfy { $0.state == .undecided && $0.reason.contains("--no-audit") })
        // on, but no row has audit numbers (no ground truth)
        let missing = judge(try rows(seeds: 8, gain: 0.3, falls: true, audit: false))
        XCTAssert(missing.allSatisfy { $0.state == .undecided && $0.reason.contains("no result row carries audit numbers") })
        // not converged: left out of the pairs and counted
        var some = try rows(seeds: 8, gain: 0.3, falls: true)
        for i in some.indices where some[i].seed <= 4 { some[i].converged = false }
        let fewer = judge(some)
        XCTAssertEqual(fewer[0].state, .undecided)
        XCTAssertEqual(fewer[0].conditions[0].n, 4)
        XCTAssertEqual(fewer[0].fitsNotConverged, 16, "4 seeds × (1 task-only + 3 neural fits)")
    }

    /// A tiny experiment with the audit on: every row carries the audit numbers, equal to what
    /// `circuitfit audit` (a separate process reading the saved files) gives for that fit; the
    /// task-only network's audit is the same in its M rows; results.csv has the columns.
    /// One seed, M ∈ {0, 10}, λ ∈ {0, 1}, plain arm, a 30-neuron circuit, 12-unit fits of 40 steps.
    static func tinyPlan() -> ExperimentConfig {
        var plan = ExperimentConfig()
        plan.seeds = [1]
        plan.recordCounts = [0, 10]
        plan.lambdas = [0, 1]
        plan.arms = [.plain]
        plan.circuit.neurons = 30
        plan.circuit.initialSpectralRadius = 3
        plan.circuit.movementMs = 300   // DSA needs ≥ 100 embedded samples: 4 conditions × (60 steps − 9 delays)
        plan.circuit.trainingAngles = 4
        plan.fit.hidden = 12
        plan.fit.iterations = 40
        return plan
    }

    func testRowAuditEqualsTheAuditCommand() throws {
        // same bits need the same thread count: the witness runs with --threads 1, so does this process
        BLASThreads.set(1)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cf-audit6-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        var plan = ExperimentAuditTests.tinyPlan()
        plan.audit = true
        let outcome = try LocalBackend(jobs: 2, scheduler: nil).run(url, config: plan, commandLine: "test", events: { _ in })
        guard case .collected(let collected, let failures) = outcome else { return XCTFail("expected collected results") }
        XCTAssertEqual(failures, [])
        XCTAssertEqual(collected.rows.count, 3)
        for row in collected.rows {
            let audit = try XCTUnwrap(row.audit, "row \(row.fitID) M = \(row.record) has no audit")
            let fit = url.appendingPathComponent("fits/\(row.fitID)")
            let cli = try CLI.run(["audit", fit.path, url.appendingPathComponent("circuits/seed-1").path, "--json", "--threads", "1"])
            XCTAssertEqual(cli.status, 0, cli.stderr)
            let witness = try JSONDecoder().decode(MechanismAudit.self, from: Data(cli.stdout.utf8))
            XCTAssertEqual(audit, witness.summary, "row \(row.fitID) M = \(row.record)")
            XCTAssertEqual(audit.perturbedUnits, row.lambda > 0 ? .tied : .randomUnits)
        }
        let taskOnly = collected.rows.filter { $0.lambda == 0 }
        XCTAssertEqual(taskOnly.count, 2)
        XCTAssertEqual(taskOnly[0].audit, taskOnly[1].audit, "one audit per task-only network")
        let csv = try String(contentsOf: url.appendingPathComponent("results.csv"), encoding: .utf8).split(separator: "\n")
        XCTAssert(csv[0].hasSuffix((AuditSummary.columns + ["perturbation_sets"] + HeldOutPerturbationScore.columns).joined(separator: ",")))
        let claims = try String(contentsOf: url.appendingPathComponent("claims.json"), encoding: .utf8)
        XCTAssert(claims.contains("\"m1\"") && claims.contains("\"m4\""), "mechanism claims in claims.json")
        let report = try String(contentsOf: url.appendingPathComponent("report.html"), encoding: .utf8)
        XCTAssert(report.contains("Mechanism audit against the number of recorded neurons"))
        XCTAssert(report.contains("Perturbation effects, predicted against true"))
    }
}

/// Turning the audit on for an experiment run without it extends the plan: the next run audits
/// the saved networks and retrains none of them.
final class ExperimentAuditLaterTests: XCTestCase {
    func testTurningTheAuditOnAuditsSavedNetworksWithoutRetraining() throws {
        BLASThreads.set(1)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cf-audit-later-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        var plan = ExperimentAuditTests.tinyPlan()
        plan.audit = false
        guard case .collected(let first, _) = try LocalBackend(jobs: 2, scheduler: nil).run(url, config: plan, commandLine: "test", events: { _ in }) else {
            return XCTFail("expected collected results")
        }
        XCTAssertTrue(first.rows.allSatisfy { $0.audit == nil })
        let models = try plan.units.map { try Data(contentsOf: url.appendingPathComponent("fits/\($0.id)/model.npz")) }
        let histories = try plan.units.map { try Data(contentsOf: url.appendingPathComponent("fits/\($0.id)/history.csv")) }

        var audited = plan
        audited.audit = true
        guard case .extends = audited.change(from: plan) else { return XCTFail("turning the audit on should extend the plan") }
        var off = audited
        off.audit = false
        guard case .conflicts = off.change(from: audited) else { return XCTFail("turning the audit off should be refused") }
        let folder = try ExperimentFolder.load(url)
        XCTAssertEqual(folder.unfinishedUnits.count, 0, "with the stored plan (audit off) every unit is done")

        guard case .collected(let second, let failures) = try LocalBackend(jobs: 2, scheduler: nil).run(url, config: audited, commandLine: "test", events: { _ in }) else {
            return XCTFail("expected collected results")
        }
        XCTAssertEqual(failures, [])
        XCTAssertEqual(second.rows.count, first.rows.count)
        for row in second.rows {
            XCTAssertNotNil(row.audit, "row \(row.fitID) M = \(row.record) has no audit")
            let before = try XCTUnwrap(first.rows.first { $0.fitID == row.fitID && $0.record == row.record })
            XCTAssertEqual(row.metrics, before.metrics, "the scores of the saved network are unchanged")
        }
        XCTAssertEqual(try plan.units.map { try Data(contentsOf: url.appendingPathComponent("fits/\($0.id)/model.npz")) }, models, "no network retrained")
        XCTAssertEqual(try plan.units.map { try Data(contentsOf: url.appendingPathComponent("fits/\($0.id)/history.csv")) }, histories)
        XCTAssertEqual(try ExperimentFolder.load(url).unfinishedUnits.count, 0)
    }
}
