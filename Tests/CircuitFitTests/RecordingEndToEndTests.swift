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

/// End to end on a recording (docs/method.md#scoring-against-a-reference-population): a recording
/// made from the built-in circuit (Poisson spikes of 30 of its
/// neurons, 20 trials per condition, written to NWB by pynwb through scripts/circuit_to_nwb.py) is
/// imported, fitted with λ = 0 and λ = 1 on 20 of the 30 recorded neurons, and evaluated against
/// the recording and against the full circuit (`evaluate --reference`).
///
/// Asserted: the import is exact where it can be (inputs, EMG targets, angles, split, neuron ids =
/// circuit indices), the imported PSTHs match the circuit's rates within the Poisson error of 20
/// trials, both fits perform the task, every metric is finite, and λ changes only the weight of
/// the neural term (same untrained baselines, same losses at the start). Not asserted: whether
/// λ = 1 scores better than λ = 0, a scientific claim the experiment tests with many seeds.
final class RecordingEndToEndTests: CLITestCase {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The experiment: the default circuit of seed 1, 30 recorded neurons, 20 trials per condition.
    let recordedCount = 30, trialsPerCondition = 20, fittedCount = 20, iterations = 2000
    let heldOutLabels = (8..<16).map(String.init).joined(separator: ",")

    func requirePynwb() throws {
        let skip = "skipping the end-to-end recording test (scripts/circuit_to_nwb.py writes its NWB file with pynwb; scripts/test.sh pip-installs it)"
        guard let r = PythonReference.run(["-c", "import numpy, pynwb"]) else {
            throw XCTSkip("python3 is not available: \(skip)")
        }
        if r.status != 0 { throw XCTSkip("python3 cannot import numpy and pynwb: \(skip) (\(r.err.suffix(200)))") }
    }

    /// `circuitfit import` of the NWB file on the circuit's grid (window −100…500 ms around the go
    /// cue, 5 ms bins), conditions 8…15 (the held-out angles) held out, generate's inputs rebuilt
    /// from the trials columns target_cos/target_sin.
    func importArguments(_ nwb: String, out: String, smoothMs: Double) -> [String] {
        ["import", nwb, "--out", out, "--condition-column", "condition", "--align-to", "go_cue_time",
         "--window-ms", "-100,500", "--bin-ms", "5", "--smooth-ms", "\(smoothMs)", "--behavior", "EMG",
         "--input-column", "target_cos", "--input-column", "target_sin", "--angle-column", "reach_angle",
         "--held-out", heldOutLabels]
    }

    func run(_ arguments: [String], timeout: TimeInterval = 300, file: StaticString = #filePath, line: UInt = #line) throws -> CLIResult {
        let r = try CLI.run(arguments, timeout: timeout)
        guard r.status == 0 else {
            XCTFail("failed: \(r.summary)", file: file, line: line)
            throw CLIRunnerError(description: "circuitfit \(arguments.first ?? "") failed")
        }
        return r
    }

    func metrics(_ r: CLIResult) throws -> FitMetrics {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return try decoder.decode(FitMetrics.self, from: Data(r.stdout.utf8))
    }

    func testCircuitRecordingImportTrainEvaluate() throws {
        try requirePynwb()

        // 1. The circuit (the built-in default, seed 1) and its recording.
        let circuit = path("circuit")
        _ = try run(["generate", "--out", circuit, "--seed", "1"])
        let nwb = path("session.nwb"), sideJSON = path("session.json")
        let script = Self.repository.appendingPathComponent("scripts/circuit_to_nwb.py").path
        let py = try XCTUnwrap(PythonReference.run(
            [script, circuit, "--out", nwb, "--json", sideJSON, "--neurons", "\(recordedCount)",
             "--trials", "\(trialsPerCondition)", "--seed", "1"]))
        XCTAssertEqual(py.status, 0, "circuit_to_nwb.py failed: \(py.err)")
        guard py.status == 0 else { return }
        let side = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: sideJSON))) as? [String: Any])
        let circuitIndices = try XCTUnwrap(side["circuit_indices"] as? [Int])
        let baseline = try XCTUnwrap((side["baseline_hz"] as? NSNumber)?.doubleValue)
        XCTAssertEqual(circuitIndices.count, recordedCount)
        XCTAssertEqual(baseline, CircuitConfig().r0Hz)

        // 2. Import: raw (for the Poisson check) and smoothed with a 20 ms Gaussian (for the fits).
        _ = try run(importArguments(nwb, out: path("raw.npz"), smoothMs: 0))
        _ = try run(importArguments(nwb, out: path("session.npz"), smoothMs: 20))
        let truth = try ReachDataset.read(from: URL(fileURLWithPath: circuit).appendingPathComponent("dataset.npz"))
        let raw = try ReachDataset.read(from: URL(fileURLWithPath: path("raw.npz")))
        let rates = try XCTUnwrap(truth.rates)
        let recorded = try XCTUnwrap(raw.recorded)
        XCTAssertEqual(raw.neuronIDs, circuitIndices, "unit ids are the circuit indices")
        XCTAssertEqual(recorded.shape, [truth.conditions, truth.steps, recordedCount])
        XCTAssertEqual(raw.goIndex, truth.goIndex)
        XCTAssertEqual(raw.dtMs, truth.dtMs)
        XCTAssertEqual(raw.isTraining, truth.isTraining, "held-out labels 8…15 are the held-out angles")
        for (a, b) in zip(raw.angles, truth.angles) { XCTAssertEqual(a, b, accuracy: 1e-12) }
        XCTAssertEqual(raw.inputs.shape, truth.inputs.shape)
        XCTAssertLessThan(zip(raw.inputs.data, truth.inputs.data).map { abs($0 - $1) }.max() ?? .infinity, 1e-12, "inputs rebuilt exactly")
        XCTAssertEqual(raw.targets.shape, truth.targets.shape)
        XCTAssertLessThan(zip(raw.targets.data, truth.targets.data).map { abs($0 - $1) }.max() ?? .infinity, 1e-9, "EMG at bin centres = the circuit's targets")

        // 3. PSTHs against the circuit's rates. In bin (c, t) neuron n fires as a Poisson process of
        //    constant rate λ = r0 + rates[c, t, n] (Hz), so over the n_tr = 20 trials its total
        //    count K is Poisson(μ = λ·n_tr·dt) and the imported PSTH is K / (n_tr·dt): its SD is
        //    √(λ / (n_tr·dt)) (≈ 14 Hz at 20 Hz; 0.1 s of data per bin). With μ ≈ 2 the normal
        //    approximation fails in the tails, so each cell gets the exact two-sided Poisson test
        //    and, over the C·T·M = 57 600 cells, a Bonferroni margin: a cell fails if
        //    min(P(X ≤ K), P(X ≥ K)) < α / (2·cells), α = 10⁻³ (so the whole check fails by chance
        //    with probability < 10⁻³). Also K must be a whole number (binning is exact), and the
        //    mean of z² = (PSTH − λ)² / (λ / (n_tr·dt)) must be 1: its SD is √((2 + 1/μ)/cells)
        //    ≈ 0.007, so |mean z² − 1| < 0.05 catches a wrong baseline, bin or rate unit.
        let exposure = Double(trialsPerCondition) * truth.dtMs / 1000
        let cells = recorded.data.count
        let alpha = 1e-3, perTail = alpha / (2 * Double(cells))
        var failures: [String] = [], notWhole = 0, z2 = 0.0
        for c in 0..<truth.conditions {
            for t in 0..<truth.steps {
                for (m, id) in circuitIndices.enumerated() {
                    let lambda = max(0, baseline + rates[c, t, id])
                    let k = recorded[c, t, m] * exposure
                    if abs(k - k.rounded()) > 1e-6 { notWhole += 1 }
                    let count = Int(k.rounded()), mu = lambda * exposure
                    let (lower, upper) = poissonTails(count, mean: mu)
                    if min(lower, upper) < perTail, failures.count < 5 {
                        failures.append("condition \(c), bin \(t), neuron \(id): \(count) spikes, expected \(mu) (P ≤ \(lower), P ≥ \(upper))")
                    }
                    if mu > 0 { z2 += pow(Double(count) - mu, 2) / mu }
                }
            }
        }
        let meanZ2 = z2 / Double(cells)
        XCTAssertEqual(notWhole, 0, "PSTH × trials × bin width should be whole spike counts")
        XCTAssertEqual(failures, [], "PSTHs outside the Bonferroni-corrected Poisson bound")
        XCTAssertEqual(meanZ2, 1, accuracy: 0.05, "mean squared Poisson z-score of the PSTHs")

        // 4. Fits: λ = 0 (task only) and λ = 1, M = 20 of the 30 recorded neurons (seed 1 draws them;
        //    the other 10 are the held-out neurons), a fixed budget of optimiser steps.
        let dataset = path("session.npz"), reference = URL(fileURLWithPath: circuit).appendingPathComponent("dataset.npz").path
        var results: [(lambda: String, own: FitMetrics, full: FitMetrics)] = []
        var fitted: [[Int]] = []
        for lambda in ["0", "1"] {
            let fit = path("fit-lambda\(lambda)")
            _ = try run(["train", dataset, "--out", fit, "--record", "\(fittedCount)", "--lambda", lambda,
                         "--iterations", "\(iterations)", "--seed", "1"])
            fitted.append(try SavedModel.read(from: URL(fileURLWithPath: fit).appendingPathComponent("model.npz")).recordedNeurons)
            let own = try metrics(try run(["evaluate", fit, dataset, "--json"]))
            let full = try metrics(try run(["evaluate", fit, dataset, "--reference", reference, "--json"]))
            results.append((lambda, own, full))
        }
        XCTAssertEqual(fitted[0], fitted[1], "both fits record the same neurons (same seed)")
        XCTAssertEqual(fitted[0].count, fittedCount)

        func assertFinite(_ value: Double?, _ name: String) {
            guard let value else { return XCTFail("\(name) is missing") }
            XCTAssert(value.isFinite, "\(name) = \(value)")
        }
        for (lambda, own, full) in results {
            XCTAssertLessThan(own.outputNMSETrain, 0.1, "λ = \(lambda): task NMSE on training conditions")
            XCTAssertEqual(full.outputNMSETrain, own.outputNMSETrain, "output errors are on the dataset either way")
            XCTAssertEqual(own.population, "recorded")
            XCTAssertEqual(own.populationNeurons, recordedCount)
            XCTAssertEqual(own.heldoutNeurons, recordedCount - fittedCount)
            XCTAssertEqual(full.population, "reference")
            XCTAssertEqual(full.populationNeurons, rates.d2)
            XCTAssertEqual(full.heldoutNeurons, rates.d2 - fittedCount)
            for (scope, m) in [("recording", own), ("full circuit", full)] {
                let name = "λ = \(lambda), against the \(scope)"
                for (key, value) in [("output_nmse_train", m.outputNMSETrain), ("output_nmse_heldout", m.outputNMSEHeldout),
                                     ("cca_mean", m.ccaMean), ("cca_mean_heldout", m.ccaMeanHeldout),
                                     ("procrustes_distance", m.procrustesDistance),
                                     ("procrustes_angular_distance", m.procrustesAngularDistance),
                                     ("heldout_neuron_r2", m.heldoutNeuronR2), ("untrained cca_mean", m.untrained?.ccaMean),
                                     ("untrained heldout_neuron_r2", m.untrained?.heldoutNeuronR2)] as [(String, Double?)] {
                    assertFinite(value, "\(name): \(key)")
                }
            }
        }

        // 5. What λ changes, and what it cannot: the same seed gives both fits the same initial
        //    network, so their untrained baselines and their losses before the first update are
        //    the same, and the totals there differ by exactly Δλ·L_neural = L_neural. (Whether
        //    λ = 1 scores better on the held-out neurons is a claim of the experiment, not of this test.)
        let (zero, one) = (results[0], results[1])
        XCTAssertNotNil(zero.full.untrained)
        XCTAssertEqual(zero.own.untrained, one.own.untrained, "untrained baseline against the recording: depends on the seed, not on λ")
        XCTAssertEqual(zero.full.untrained, one.full.untrained, "untrained baseline against the full circuit: depends on the seed, not on λ")
        let start = try ["0", "1"].map { try firstHistoryRow(path("fit-lambda\($0)")) }
        XCTAssertEqual(start[0].task, start[1].task, "same start and data: the same task loss at iteration 1")
        XCTAssertEqual(start[0].neural, start[1].neural, "same start and data: the same neural loss at iteration 1")
        XCTAssertGreaterThan(start[0].neural, 0)
        XCTAssertEqual(start[1].total - start[0].total, start[0].neural, accuracy: 1e-9 * start[0].neural,
                       "L(λ = 1) − L(λ = 0) at the same parameters is L_neural")
    }

    /// loss_total, loss_task and loss_neural of the first row of `fit`'s history.csv (the loss
    /// at the initial parameters, before the first update).
    func firstHistoryRow(_ fit: String) throws -> (total: Double, task: Double, neural: Double) {
        let text = try String(contentsOfFile: fit + "/history.csv", encoding: .utf8)
        let lines = text.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        guard lines.count >= 2 else { throw CLIRunnerError(description: "\(fit)/history.csv has no rows") }
        func value(_ column: String) throws -> Double {
            guard let i = lines[0].firstIndex(of: column), i < lines[1].count, let v = Double(lines[1][i]) else {
                throw CLIRunnerError(description: "\(fit)/history.csv: no number in column \(column) of row 1")
            }
            return v
        }
        XCTAssertEqual(lines[1].first, "1", "\(fit)/history.csv starts at iteration 1")
        return (try value("loss_total"), try value("loss_task"), try value("loss_neural"))
    }

    /// `evaluate --reference` with a reference on another grid (here: another movement epoch, so
    /// other time steps) fails with one line naming both shapes; `--help` documents the flag.
    func testReferenceOnAnotherGridIsAOneLineError() throws {
        let small = #"{"neurons": 40, "trainingAngles": 4}"#
        let circuit = try generateSmall("circuit", json: small)
        let other = try generateSmall("other", json: #"{"neurons": 40, "trainingAngles": 4, "movementMs": 300}"#)
        let fit = path("fit")
        let t = try CLI.run(["train", circuit + "/dataset.npz", "--out", fit, "--record", "5", "--iterations", "3", "--hidden", "10"])
        XCTAssertEqual(t.status, 0, t.summary)
        let r = try CLI.run(["evaluate", fit, circuit + "/dataset.npz", "--reference", other + "/dataset.npz"])
        assertOneLineError(r, mentions: ["[8, 80, 40]", "[8, 120, 40]", "other/dataset.npz", "circuit/dataset.npz"])
        XCTAssertEqual(r.stdout, "")
        // the same circuit as reference: scored like the dataset itself (by index), population "reference"
        let same = try CLI.run(["evaluate", fit, circuit + "/dataset.npz", "--reference", circuit + "/dataset.npz", "--json"])
        XCTAssertEqual(same.status, 0, same.summary)
        let plain = try CLI.run(["evaluate", fit, circuit + "/dataset.npz", "--json"])
        let a = try metrics(same), b = try metrics(plain)
        XCTAssertEqual(a.population, "reference")
        XCTAssertEqual(b.population, "circuit")
        XCTAssertEqual(a.ccaMean, b.ccaMean)
        XCTAssertEqual(a.heldoutNeuronR2, b.heldoutNeuronR2)
        let help = try CLI.run(["evaluate", "--help"])
        XCTAssert(help.stdout.contains("--reference"), help.stdout)
    }

    /// P(X ≤ k) and P(X ≥ k) for X ~ Poisson(mean), each summed directly (no 1 − CDF cancellation).
    func poissonTails(_ k: Int, mean mu: Double) -> (lower: Double, upper: Double) {
        if mu == 0 { return (1, k == 0 ? 1 : 0) }
        func pmf(_ j: Int) -> Double { exp(Double(j) * log(mu) - mu - lgamma(Double(j) + 1)) }
        var lower = 0.0
        for j in 0...k { lower += pmf(j) }
        var upper = 0.0, j = k
        while true {
            let p = pmf(j)
            upper += p
            if (Double(j) > mu && p <= upper * 1e-17) || p == 0 || j > k + 10_000 { break }
            j += 1
        }
        return (min(1, lower), min(1, upper))
    }
}
