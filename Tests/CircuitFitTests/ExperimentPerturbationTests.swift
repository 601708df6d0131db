import Foundation
import XCTest
@testable import CircuitFitCore
@testable import CircuitFitModel
@testable import CircuitFitAnalysis
@testable import CircuitFitCircuit
@testable import CircuitFitAudit
@testable import CircuitFitFitting
@testable import CircuitFitExperiment

/// The number of training perturbation sets P as a plan dimension: old plans unchanged, the
/// units and fit ids of a P plan, extension rules, refusals before any work, and the claims p1/p2.
final class ExperimentPerturbationPlanTests: XCTestCase {
    func testOldPlansAndResultsDecodeUnchanged() throws {
        let folder = JSONGoldenTests.folder
        let plan = try JSONDecoder().decode(ExperimentConfig.self, from: Data(contentsOf: folder.appendingPathComponent("experiment.json")))
        XCTAssertNil(plan.perturbationSets)
        XCTAssertEqual(plan.perturbationSetCounts, [0])
        let text = try String(decoding: OutputFolder.json(plan), as: UTF8.self)
        XCTAssertFalse(text.contains("perturbation"), "an old plan re-encodes without the new keys: \(text.split(separator: "\n").filter { $0.contains("perturbation") })")
        XCTAssertFalse(plan.units.contains { $0.id.range(of: #"-p[0-9]+$"#, options: .regularExpression) != nil || $0.perturbationSets != nil })
        XCTAssert(plan.units.contains { $0.lambda > 0 }, "the golden plan has fits with a neural term")
        XCTAssert(plan.units.allSatisfy { $0.fitConfig(plan).perturbationSets == nil })
        // a fit id written by an earlier version is the id the unit computes now
        let result = try JSONDecoder().decode(UnitResult.self, from: Data(contentsOf: folder.appendingPathComponent("result.json")))
        XCTAssertNil(result.unit.perturbationSets)
        XCTAssertEqual(result.unit.id, "s1-plain-l1-m5")
        XCTAssertEqual(result.unit.id, result.rows[0].fitID)
        XCTAssertNil(result.rows[0].perturbationSets)
        XCTAssertNil(result.rows[0].perturbation)
        let row = result.rows[0].cells
        XCTAssertEqual(row.count, ResultRow.columns.count)
        XCTAssertEqual(Array(row.suffix(5)), ["0", "", "", "", ""], "P = 0 and empty perturbation scores at the end of the row")
        XCTAssertEqual(Array(ResultRow.columns.suffix(5)), ["perturbation_sets"] + HeldOutPerturbationScore.columns)
    }

    func testNonFinitePerturbationNumbersAreWrittenAsNull() throws {
        let p = PerturbationPrediction(
            set: 1, heldOut: true, kind: .stimulate, neurons: [3], units: [0], values: [.infinity], window: [2, 5], conditions: [0, 1],
            outputR2: .nan, outputSizeRatio: 0.5, outputEffectNorm: 0, outputPredictedNorm: 1, neuronR2: .nan, neuronSizeRatio: nil)
        let score = try XCTUnwrap(HeldOutPerturbationScore([p]))
        for data in [try OutputFolder.json(p), try OutputFolder.json(score)] {
            let text = String(decoding: data, as: UTF8.self)
            XCTAssertFalse(text.contains("NaN") || text.contains("Infinity"), text)
            XCTAssert(text.contains("\"output_r2\" : null"), text)
        }
        let back = try JSONDecoder().decode(PerturbationPrediction.self, from: OutputFolder.json(p))
        XCTAssert(back.outputR2.isNaN && back.values[0].isNaN)
        XCTAssertEqual(back.outputSizeRatio, 0.5)
        XCTAssertNil(back.neuronR2)
        XCTAssert(try JSONDecoder().decode(HeldOutPerturbationScore.self, from: OutputFolder.json(score)).outputR2.isNaN)
    }

    static func plan(_ sets: [Int]) -> ExperimentConfig {
        var c = ExperimentConfig()
        c.seeds = [1, 2]
        c.recordCounts = [0, 20]
        c.lambdas = [0, 1]
        c.arms = [.plain]
        c.perturbationSets = sets
        c.circuit.perturbationTrials = ExperimentConfig.perturbationTrials(trainingSets: sets.max()!, circuit: c.circuit)
        return c
    }

    func testPerturbationPlanUnits() throws {
        let c = Self.plan([0, 1, 4])
        try c.validate()
        XCTAssertEqual(c.units.map(\.id), ["s1-plain-l0", "s1-plain-l1-m20", "s1-plain-l1-m20-p1", "s1-plain-l1-m20-p4",
                                           "s2-plain-l0", "s2-plain-l1-m20", "s2-plain-l1-m20-p1", "s2-plain-l1-m20-p4"])
        let p4 = c.units.first { $0.id == "s2-plain-l1-m20-p4" }!
        XCTAssertEqual(p4.fitConfig(c).perturbationSets, 4)
        XCTAssertEqual(p4.fitConfig(c).record, 20)
        XCTAssertNil(c.units.first { $0.id == "s2-plain-l1-m20" }!.fitConfig(c).perturbationSets)
        XCTAssertNil(c.units.first { $0.id == "s1-plain-l0" }!.fitConfig(c).perturbationSets)
        // the generated trials: max P training sets + 4 held out, 5 E neurons from a pool of 20, the movement epoch
        let t = try XCTUnwrap(c.circuit.perturbationTrials)
        XCTAssertEqual([t.sets, t.heldOutSets, t.size, t.pool], [8, 4, 5, 20])
        XCTAssertEqual(t.windowMs, [0, c.circuit.movementMs])
        // round trip: the key is written, and read back equal
        let back = try JSONDecoder().decode(ExperimentConfig.self, from: OutputFolder.json(c))
        XCTAssertEqual(back, c)
        XCTAssertEqual(FitUnit(seed: 1, arm: .plain, lambda: 1, recordCounts: [20], perturbationSets: 0).perturbationSets, nil, "P = 0 is stored as none")
    }

    func testPlanExtensionWithP() {
        let stored = Self.plan([0, 4])
        XCTAssertEqual(Self.plan([0, 1, 4]).change(from: stored), .extends(added: "P = 1"))
        guard case .conflicts(let fewer) = Self.plan([4]).change(from: stored) else { return XCTFail("dropping P = 0 must conflict") }
        XCTAssert(fewer.contains("leaves out P = 0"), fewer)
        guard case .conflicts(let larger) = Self.plan([0, 4, 16]).change(from: stored) else { return XCTFail("a larger P needs new circuits") }
        XCTAssert(larger.contains("P = 16 needs 16 training sets, the stored circuits have 4"), larger)
        var old = stored
        old.perturbationSets = nil
        old.circuit.perturbationTrials = nil
        XCTAssertEqual(old.change(from: old), .same)
    }

    func testBadPerturbationPlansAreRefused() throws {
        func refused(_ c: ExperimentConfig, _ text: String, line: UInt = #line) {
            XCTAssertThrowsError(try c.validate(), line: line) { XCTAssert("\($0)".contains(text), "\($0)", line: line) }
        }
        var c = Self.plan([0, 4]); c.fit.mapping = .linear
        refused(c, "need the identity mapping")
        c = Self.plan([0, 4]); c.recordCounts = [0]
        refused(c, "some M > 0 and some λ > 0")
        c = Self.plan([0, 4]); c.lambdas = [0]
        refused(c, "some M > 0 and some λ > 0")
        c = Self.plan([0, 4]); c.recordCounts = [0, 10, 20]
        refused(c, "the perturbation sets draw from 20 neurons (the pool) and the plan has M = 10")
        c = Self.plan([0, 4]); c.perturbationSets = [0, 8]
        refused(c, "P = 8 needs 8 training perturbation sets, but the circuits have 4 (8 sets, 4 held out)")
        c = Self.plan([0, 4]); c.perturbationSets = [0, -1]
        refused(c, "must be ≥ 0")
        c = Self.plan([0, 4]); c.fit.perturbationSets = 2
        refused(c, "set per fit by the plan")
        c = Self.plan([0, 4]); c.circuit.perturbationTrials = nil
        refused(c, "need circuits generated with perturbation trials")
    }

    /// Synthetic rows with known held-out R² per (seed, M, P): the claims must follow them.
    func rows(seeds: Int, gain: (Int, Int) -> Double, converged: Bool = true) throws -> [ResultRow] {
        var out: [ResultRow] = []
        var g = SeededRandom(seed: 4)
        for s in 1...seeds {
            for m in [10, 20] {
                let base = 0.1 * g.uniform()
                for p in [0, 1, 4] {
                    let unit = FitUnit(seed: UInt64(s), arm: .plain, lambda: 1, recordCounts: [m], perturbationSets: p)
                    var row = try goldenRow(unit: unit, record: m)
                    row.perturbationSets = unit.perturbationSets
                    row.converged = converged
                    let r2 = base + gain(m, p) * (1 + 0.1 * Double(s))
                    row.perturbation = HeldOutPerturbationScore([PerturbationPrediction(
                        set: 7, heldOut: true, kind: .silence, neurons: [1], units: [1], values: [0], window: [0, 1], conditions: [0],
                        outputR2: r2, outputSizeRatio: 1, outputEffectNorm: 1, outputPredictedNorm: 1, neuronR2: nil, neuronSizeRatio: nil)])
                    out.append(row)
                }
            }
        }
        return out
    }

    func judge(_ rows: [ResultRow], sets: [Int] = [0, 1, 4]) -> [String: Claim] {
        Dictionary(uniqueKeysWithValues: judgePerturbationClaims(rows, arms: [.plain], lambdas: [0, 1], recordCounts: [0, 10, 20], perturbationSets: sets).map { ($0.id, $0) })
    }

    func testPerturbationClaimsFollowTheNumbers() throws {
        // every seed gains with P: 6 positive paired differences, exact one-sided p = 1/64
        let good = judge(try rows(seeds: 6, gain: { _, p in 0.1 * Double(p) }))
        XCTAssertEqual(Set(good.keys), ["p1-m10", "p1-m20", "p2"])
        for id in ["p1-m10", "p1-m20", "p2"] {
            XCTAssertEqual(good[id]?.state, .holds, "\(id): \(good[id]!.reason)")
            XCTAssertEqual(good[id]!.conditions[0].pValue!, 1.0 / 64, accuracy: 1e-12)
            XCTAssertEqual(good[id]!.conditions[0].n, 6)
        }
        XCTAssertEqual(good["p1-m20"]!.conditions[0].value!, 0.4 * 1.35, accuracy: 1e-9, "median gain R²(P = 4) − R²(P = 0)")
        XCTAssert(good["p1-m20"]!.numbers.contains("P=0:") && good["p1-m20"]!.numbers.contains("P=4:"), good["p1-m20"]!.numbers)
        // worse with P at M = 10 only; no growth from P = 1 to P = 4 averaged over M
        let mixed = judge(try rows(seeds: 6, gain: { m, p in m == 10 ? -0.1 * Double(p) : (p > 0 ? 0.1 : 0) }))
        XCTAssertEqual(mixed["p1-m10"]?.state, .doesNotHold)
        XCTAssertEqual(mixed["p1-m20"]?.state, .holds)
        XCTAssertEqual(mixed["p2"]?.state, .doesNotHold, mixed["p2"]!.reason)
        // 4 seeds cannot reach p < 0.05 one-sided
        let four = judge(try rows(seeds: 4, gain: { _, p in 0.1 * Double(p) }))
        XCTAssertEqual(four["p1-m20"]?.state, .undecided)
        XCTAssert(four["p1-m20"]!.reason.contains("smallest possible p is 1/16"), four["p1-m20"]!.reason)
        // fits that did not converge are left out and counted
        let unconverged = judge(try rows(seeds: 6, gain: { _, p in 0.1 * Double(p) }, converged: false))
        XCTAssertEqual(unconverged["p1-m20"]?.state, .undecided)
        XCTAssert(unconverged["p1-m20"]!.reason.contains("2 fits that did not converge left out"), unconverged["p1-m20"]!.reason)
        // one P > 0: p2 cannot be tested; no P > 0: every claim undecided with the reason
        let one = judge(try rows(seeds: 6, gain: { _, p in 0.1 * Double(p) }).filter { $0.perturbationSetCount != 1 }, sets: [0, 4])
        XCTAssertEqual(one["p1-m20"]?.state, .holds)
        XCTAssertEqual(one["p2"]?.state, .undecided)
        XCTAssert(one["p2"]!.reason.contains("only one P > 0 (P = 4)"), one["p2"]!.reason)
        let none = judge(try rows(seeds: 6, gain: { _, _ in 0 }).filter { $0.perturbationSetCount == 0 }, sets: [0])
        XCTAssertEqual(none.values.map(\.state), Array(repeating: .undecided, count: none.count))
        XCTAssert(none["p2"]!.reason.contains("no perturbation sets P > 0"), none["p2"]!.reason)
        XCTAssertEqual(Set(none.keys), ["p1", "p2"], "without P > 0, p1 is listed once per arm, not once per M")
        // rows without scores (a dataset without held-out sets)
        var unscored = try rows(seeds: 6, gain: { _, p in 0.1 * Double(p) })
        for i in unscored.indices { unscored[i].perturbation = nil }
        XCTAssert(judge(unscored)["p1-m20"]!.reason.contains("no result row carries held-out perturbation scores"))
    }
}

/// Bad P values on the command line: one line each, before any work, no folder left behind.
final class ExperimentPerturbationCLITests: XCTestCase {
    func testBadPerturbationSetsAreRefusedBeforeWork() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cf-pexp-cli-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("exp").path
        let cc = dir.appendingPathComponent("cc.json")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try Data(#"{"initialSpectralRadius": 3, "movementMs": 300, "trainingAngles": 4}"#.utf8).write(to: cc)
        for flags in [["plain"], ["table"]] {
            var args = ["generate", "--out", dir.appendingPathComponent(flags[0]).path, "--config", cc.path, "--neurons", "30"]
            if flags[0] == "table" { args += ["--perturbation-sets", "3", "--perturbation-size", "2", "--held-out-sets", "2", "--perturbation-window-ms", "0,300"] }
            let r = try CLI.run(args)
            XCTAssertEqual(r.status, 0, r.summary)
        }
        func refused(_ args: [String], _ text: String, line: UInt = #line) throws {
            let r = try CLI.run(["experiment", "--out", out] + args)
            XCTAssertNotEqual(r.status, 0, r.summary, line: line)
            XCTAssertEqual(r.errorLines.count, 1, r.summary, line: line)
            XCTAssert(r.errorLines.first?.contains(text) ?? false, r.summary, line: line)
            XCTAssertFalse(FileManager.default.fileExists(atPath: out), "nothing written", line: line)
        }
        try refused(["--perturbation-sets", "0,4", "--record", "0,10"], "and the plan has M = 10: give M ≥ 20")
        try refused(["--perturbation-sets", "0,4", "--mapping", "linear"], "need the identity mapping")
        try refused(["--perturbation-sets", "0,x"], "'x' is not an integer")
        try refused(["--perturbation-pool", "6"], "need --perturbation-sets")
        try refused(["--perturbation-sets", "0,4", "--record", "20", "--dataset", dir.appendingPathComponent("plain/dataset.npz").path],
                    "no perturbation table, but the plan asks for P = 4")
        try refused(["--perturbation-sets", "0,4", "--record", "20", "--dataset", dir.appendingPathComponent("table/dataset.npz").path],
                    "1 training perturbation set, but the plan asks for P = 4")
        let train = try CLI.run(["train", dir.appendingPathComponent("table/dataset.npz").path, "--out", dir.appendingPathComponent("fit").path, "--perturbation-sets", "1,2"])
        XCTAssertNotEqual(train.status, 0)
        XCTAssert(train.errorLines.first?.contains("expected one number N ≥ 0 for a fit, got '1,2'") ?? false, train.summary)
    }
}

/// A tiny perturbation plan run end to end: its rows carry the held-out scores `evaluate --json`
/// gives for the same fit, `audit --json` gives the same numbers, and results.csv, claims.json
/// and report.html show them.
final class ExperimentPerturbationRunTests: XCTestCase {
    func testPerturbationPlanRowsCarryTheEvaluateScores() throws {
        BLASThreads.set(1)   // same bits as the witnesses, which run with --threads 1
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cf-pexp-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        var plan = ExperimentAuditTests.tinyPlan()
        plan.recordCounts = [0, 8]
        plan.audit = false
        plan.perturbationSets = [0, 2]
        plan.circuit.perturbationTrials = ExperimentConfig.perturbationTrials(trainingSets: 2, circuit: plan.circuit, size: 2, pool: 6, heldOut: 2)
        try plan.validate()
        let outcome = try LocalBackend(jobs: 2, scheduler: nil).run(url, config: plan, commandLine: "test", events: { _ in })
        guard case .collected(let collected, let failures) = outcome else { return XCTFail("expected collected results") }
        XCTAssertEqual(failures, [])
        XCTAssertEqual(collected.rows.map(\.fitID).sorted(), ["s1-plain-l0", "s1-plain-l0", "s1-plain-l1-m8", "s1-plain-l1-m8-p2"])
        let circuit = url.appendingPathComponent("circuits/seed-1")
        for row in collected.rows where row.lambda > 0 {
            XCTAssertEqual(row.perturbationSetCount, row.fitID.hasSuffix("-p2") ? 2 : 0)
            let score = try XCTUnwrap(row.perturbation, "row \(row.fitID) has no held-out perturbation score")
            XCTAssertEqual(score.sets, 2)
            let fit = url.appendingPathComponent("fits/\(row.fitID)")
            let cli = try CLI.run(["evaluate", fit.path, circuit.appendingPathComponent("dataset.npz").path, "--json", "--no-audit", "--threads", "1"])
            XCTAssertEqual(cli.status, 0, cli.stderr)
            let witness = try JSONDecoder().decode(FitEvaluation.self, from: Data(cli.stdout.utf8))
            let predictions = try XCTUnwrap(witness.perturbations)
            XCTAssertEqual(predictions.count, 4, "every set's neurons are recorded")
            XCTAssertEqual(HeldOutPerturbationScore(predictions), score, "row \(row.fitID)")
            if row.perturbationSetCount == 2 {
                // the audit scores the dataset's sets with the same numbers
                let audit = try CLI.run(["audit", fit.path, circuit.path, "--json", "--threads", "1"])
                XCTAssertEqual(audit.status, 0, audit.stderr)
                let mechanism = try JSONDecoder().decode(MechanismAudit.self, from: Data(audit.stdout.utf8))
                XCTAssertEqual(mechanism.datasetPerturbations, predictions)
                let table = try CLI.run(["audit", fit.path, circuit.path, "--threads", "1"])
                XCTAssert(table.stdout.contains("held-out sets (2), mean: outputs R² "), table.stdout)
            }
        }
        XCTAssertNil(collected.rows.first { $0.lambda == 0 }!.perturbation, "a task-only network has no tied units to perturb")
        let csv = try String(contentsOf: url.appendingPathComponent("results.csv"), encoding: .utf8).split(separator: "\n")
        XCTAssert(csv[0].hasSuffix("perturbation_sets," + HeldOutPerturbationScore.columns.joined(separator: ",")))
        let claims = try JSONDecoder().decode(ClaimsFile.self, from: Data(contentsOf: url.appendingPathComponent("claims.json"))).claims
        XCTAssertEqual(claims.first { $0.id == "p1-m8" }?.state, .undecided, "one seed")
        XCTAssert(claims.first { $0.id == "p2" }!.reason.contains("only one P > 0 (P = 2)"))
        // the paper's claims see the P = 0 fits only: of the three fits (none converged in 40 steps) claim 1 counts two
        XCTAssertEqual(collected.rows.filter(\.converged).count, 0)
        XCTAssertEqual(claims.first { $0.id == "1" }?.fitsNotConverged, 2)
        let report = try String(contentsOf: url.appendingPathComponent("report.html"), encoding: .utf8)
        XCTAssert(report.contains("Predicting held-out perturbations"))
        XCTAssert(report.contains("Held-out perturbations against the number of training sets"))
        XCTAssert(report.contains("Held-out perturbation effects, predicted against true"))
    }
}
