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

/// Fixtures written by the real writers (pynwb, scipy.io.savemat, h5py): see
/// Fixtures/import/make_fixtures.py for what each holds.
enum ImportFixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/import")
    static func url(_ name: String) -> URL { folder.appendingPathComponent(name) }

    /// Options for reach.nwb: window [-400, 600) ms around the go cue, 20 ms bins, all conditions
    /// for training, condition = the string column `target`.
    static var reachOptions: ImportOptions {
        var o = ImportOptions()
        o.conditionColumn = "target"
        o.alignTo = "go_cue_time"
        o.windowStartMs = -400
        o.windowEndMs = 600
        o.binMs = 20
        o.trainFraction = 1
        o.smoothMs = .ms(0)  // these tests check binning against known rates
        return o
    }

    /// Options for the alignment recording (alignment.nwb, recording.mat/.npz): window
    /// [-100, 100) ms, 10 ms bins, behaviour `emg`.
    static var alignmentOptions: ImportOptions {
        var o = ImportOptions()
        o.conditionColumn = "condition"
        o.windowStartMs = -100
        o.windowEndMs = 100
        o.binMs = 10
        o.behavior = ["emg"]
        o.trainFraction = 1
        o.smoothMs = .ms(0)
        return o
    }

    /// Go cue times (s) and conditions of the alignment recording's three trials.
    static let alignmentGo = [10.123456789, 20.987654321, 33.3]
    static let alignmentCondition = [1.0, 2.0, 1.0]
}

/// The message of the CircuitFitError `body` throws (failing the test when it throws nothing,
/// something else, or a message of more than one line).
func importErrorMessage(_ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) -> String {
    do {
        try body()
        XCTFail("expected an error", file: file, line: line)
    } catch let error as CircuitFitError {
        XCTAssertFalse(error.message.contains("\n"), "error should be one line: \(error.message)", file: file, line: line)
        return error.message
    } catch {
        XCTFail("expected a CircuitFitError, got \(error)", file: file, line: line)
    }
    return ""
}

final class ImportTests: XCTestCase {
    // MARK: PSTHs against the known rates

    /// reach.nwb's spikes are Poisson draws from known rates λ (Hz). The PSTH of a condition
    /// with n trials and bins of Δ s estimates each bin's mean rate with SD sqrt(λ/(nΔ)) (a
    /// Poisson count of mean λnΔ, divided by nΔ). With 3 units × 4 conditions × 50 bins = 600
    /// estimates: every |z| < 5 (two-sided P ≈ 5.7e-7 each, ≈ 3e-4 for all 600: Bonferroni);
    /// the mean z² is 1 ± sqrt(2/600) = 1 ± 0.058, so it must lie in [0.75, 1.25] (±4 SD); the
    /// mean z is 0 ± 1/sqrt(600), so |mean z| < 4/sqrt(600) (a 10 % rate bias fails it); and
    /// each unit's rate averaged over the 50 bins of a condition is within 4.5 of its SD.
    func testPSTHsMatchKnownRatesWithinPoissonError() throws {
        let (dataset, provenance) = try RecordingImporter.importRecording(url: ImportFixtures.url("reach.nwb"), options: ImportFixtures.reachOptions)
        let expected = try NPZArchive.read(from: ImportFixtures.url("reach_expected.npz"))
        let truth = try expected.array3("rates_hz", 4, 50, 3, dims: "[C,T,M]")
        let trials = try expected.intVector("trials_per_condition", count: 4)
        XCTAssertEqual(provenance.conditionLabels, ["down", "left", "right", "up"])
        XCTAssertEqual(provenance.trialsPerCondition, trials)
        XCTAssertEqual(dataset.neuronIDs, [11, 23, 42])
        let recorded = try XCTUnwrap(dataset.recorded)
        XCTAssertEqual(recorded.shape, [4, 50, 3])
        XCTAssertEqual(dataset.goIndex, 20)
        XCTAssertEqual(dataset.dtMs, 20)

        let binS = 0.02
        func zScores(scale: Double) -> [Double] {
            var z: [Double] = []
            for c in 0..<4 {
                for t in 0..<50 {
                    for m in 0..<3 {
                        let lambda = truth[c, t, m] * scale
                        z.append((recorded[c, t, m] - lambda) / (lambda / (Double(trials[c]) * binS)).squareRoot())
                    }
                }
            }
            return z
        }
        let z = zScores(scale: 1)
        let worst = z.map(abs).max()!
        XCTAssertLessThan(worst, 5, "largest |z| over 600 bins")
        let meanSquare = z.map { $0 * $0 }.reduce(0, +) / Double(z.count)
        XCTAssertEqual(meanSquare, 1, accuracy: 0.25, "mean z² should be 1 for Poisson error")
        // The mean z is 0 ± 1/sqrt(600) = 0 ± 0.041: within 4 SD.
        let bound = 4 / Double(z.count).squareRoot()
        XCTAssertLessThan(abs(z.reduce(0, +) / Double(z.count)), bound, "mean z (bias)")
        // These statistics have power: rates 10 % off fail the mean-z bound, 50 % off the z² one.
        for scale in [0.9, 1.1] {
            let wrong = zScores(scale: scale)
            XCTAssertGreaterThan(abs(wrong.reduce(0, +) / Double(wrong.count)), bound, "rates ×\(scale) must be rejected")
        }
        let far = zScores(scale: 1.5)
        XCTAssertGreaterThan(far.map { $0 * $0 }.reduce(0, +) / Double(far.count), 1.25)

        for c in 0..<4 {
            for m in 0..<3 {
                let meanTrue = (0..<50).map { truth[c, $0, m] }.reduce(0, +) / 50
                let meanEstimate = (0..<50).map { recorded[c, $0, m] }.reduce(0, +) / 50
                let sd = (meanTrue / (Double(trials[c]) * binS * 50)).squareRoot()
                XCTAssertLessThan(abs(meanEstimate - meanTrue) / sd, 4.5, "unit \(m), condition \(c): mean over bins")
            }
        }
    }

    // MARK: Alignment

    /// alignment.nwb: unit 7 fires once at go + k·10 ms for k = −10…9 in every trial, so each
    /// bin holds exactly one spike per trial (100 Hz); unit 8 fires at go − 100 ms (first edge:
    /// bin 0), go + 50 ms (bin 15), go + 99.9 ms (bin 19), go + 100 ms (the window's end:
    /// outside), and outside the window; unit 9 never fires.
    func testAlignmentIsExactToTheBin() throws {
        for single in [false, true] {
            var options = ImportFixtures.alignmentOptions
            options.singleTrials = single
            let (dataset, provenance) = try RecordingImporter.importRecording(url: ImportFixtures.url("alignment.nwb"), options: options)
            let recorded = try XCTUnwrap(dataset.recorded)
            let rows = single ? 3 : 2
            XCTAssertEqual(recorded.shape, [rows, 20, 3])
            XCTAssertEqual(dataset.goIndex, 10)
            XCTAssertEqual(dataset.neuronIDs, [7, 8, 9])
            XCTAssertEqual(dataset.conditionLabels, single ? [1, 2, 1] : [1, 2])
            XCTAssertEqual(provenance.rowTrials, single ? [0, 1, 2] : [])
            for row in 0..<rows {
                for bin in 0..<20 {
                    XCTAssertEqual(recorded[row, bin, 0], 100, "unit 7, row \(row), bin \(bin)")
                    XCTAssertEqual(recorded[row, bin, 1], [0, 15, 19].contains(bin) ? 100 : 0, "unit 8, row \(row), bin \(bin)")
                    XCTAssertEqual(recorded[row, bin, 2], 0)
                }
            }
        }
    }

    /// Bin edges: half-open, tolerant of float rounding just below an edge, event index.
    func testBinGridEdges() {
        let grid = BinGrid(startMs: -100, binMs: 10, count: 20)
        XCTAssertEqual(grid.bin(ofOffsetMs: -100), 0)
        XCTAssertEqual(grid.bin(ofOffsetMs: -100.000_000_01), 0, "rounding below the first edge")
        XCTAssertNil(grid.bin(ofOffsetMs: -100.01))
        XCTAssertEqual(grid.bin(ofOffsetMs: 0), 10)
        XCTAssertEqual(grid.bin(ofOffsetMs: -1e-10), 10, "a hair before an edge counts in the later bin")
        XCTAssertEqual(grid.bin(ofOffsetMs: -0.001), 9)
        XCTAssertEqual(grid.bin(ofOffsetMs: 99.99), 19)
        XCTAssertNil(grid.bin(ofOffsetMs: 100), "the window's end is outside it")
        XCTAssertEqual(grid.eventIndex, 10)
        XCTAssertEqual(BinGrid(startMs: -95, binMs: 10, count: 20).eventIndex, 10, "first bin starting at or after the event")
        XCTAssertEqual(BinGrid(startMs: 50, binMs: 10, count: 5).eventIndex, 0)
        XCTAssertEqual(BinGrid(startMs: -500, binMs: 10, count: 5).eventIndex, 5)
        XCTAssertEqual(grid.centreMs(0), -95)
    }

    // MARK: Behaviour

    /// EMG (processing/behavior, 100 Hz, stored in mV with conversion 1e-3) is 1 + a·bump(τ)
    /// around each go cue; linear interpolation of a Gaussian bump of SD 0.1 s sampled every
    /// 0.01 s errs by at most h²/8·max|f''| = 1.25e-3·a (a ≤ 2). hand_velocity (acquisition,
    /// irregular timestamps) is linear within trials, so interpolation is exact.
    func testBehaviorResamplingReproducesKnownFunctions() throws {
        var options = ImportFixtures.reachOptions
        options.behavior = ["EMG", "hand_velocity"]
        let (dataset, provenance) = try RecordingImporter.importRecording(url: ImportFixtures.url("reach.nwb"), options: options)
        let expected = try NPZArchive.read(from: ImportFixtures.url("reach_expected.npz"))
        let emg = try expected.array3("emg", 4, 50, 2, dims: "[C,T,K]")
        let velocity = try expected.array3("hand_velocity", 4, 50, 1, dims: "[C,T,K]")
        XCTAssertEqual(dataset.targets.shape, [4, 50, 3])
        XCTAssertEqual(provenance.targetChannels, ["EMG[0]", "EMG[1]", "hand_velocity[0]"])
        XCTAssertEqual(provenance.behavior.map(\.location), ["/processing/behavior/EMG", "/acquisition/hand_velocity"])
        for c in 0..<4 {
            for t in 0..<50 {
                XCTAssertEqual(dataset.targets[c, t, 0], emg[c, t, 0], accuracy: 3e-3)
                XCTAssertEqual(dataset.targets[c, t, 1], emg[c, t, 1], accuracy: 3e-3)
                XCTAssertEqual(dataset.targets[c, t, 2], velocity[c, t, 0], accuracy: 1e-9)
            }
        }
        // The bump is really there (a wrong conversion or time base would miss it by far).
        XCTAssertGreaterThan(dataset.targets[2, 29, 0], 2.5, "condition 'right' EMG[0] near its peak")
    }

    /// The alignment recording's emg is (2t, 3 − t/2) at 50 Hz: exact under linear interpolation.
    func testLinearBehaviorIsExactAtBinCentres() throws {
        let (dataset, _) = try RecordingImporter.importRecording(url: ImportFixtures.url("alignment.nwb"), options: ImportFixtures.alignmentOptions)
        let go = ImportFixtures.alignmentGo
        for (row, trials) in [[0, 2], [1]].enumerated() {
            for bin in 0..<20 {
                let centres = trials.map { go[$0] + (-0.1 + (Double(bin) + 0.5) * 0.01) }
                let mean = centres.reduce(0, +) / Double(centres.count)
                XCTAssertEqual(dataset.targets[row, bin, 0], 2 * mean, accuracy: 1e-9)
                XCTAssertEqual(dataset.targets[row, bin, 1], 3 - 0.5 * mean, accuracy: 1e-9)
            }
        }
    }

    // MARK: Conditions, angles, inputs, split

    func testStringConditionsAreIndicesIntoSortedLabels() throws {
        var options = ImportFixtures.reachOptions
        options.conditions = ["up", "down"]
        options.angleColumn = "reach_angle"
        let (dataset, provenance) = try RecordingImporter.importRecording(url: ImportFixtures.url("reach.nwb"), options: options)
        XCTAssertEqual(provenance.conditionLabels, ["up", "down"])
        XCTAssertEqual(provenance.sortedColumnLabels, ["down", "left", "right", "up"])
        XCTAssertFalse(provenance.conditionColumnIsNumeric)
        XCTAssertEqual(dataset.conditionLabels, [3, 0])
        XCTAssertEqual(dataset.angles[0], .pi / 2, accuracy: 1e-12)
        XCTAssertEqual(dataset.angles[1], 3 * .pi / 2, accuracy: 1e-12)
        XCTAssertEqual(provenance.trialsUsed, 40)
        XCTAssertEqual(provenance.excludedTrials.count, 40)
        XCTAssertTrue(provenance.excludedTrials.allSatisfy { $0.reason.contains("not selected") })
    }

    func testNumericConditionColumnKeepsItsValues() throws {
        var options = ImportFixtures.reachOptions
        options.conditionColumn = "reach_angle"
        let (dataset, provenance) = try RecordingImporter.importRecording(url: ImportFixtures.url("reach.nwb"), options: options)
        XCTAssertTrue(provenance.conditionColumnIsNumeric)
        let labels = try XCTUnwrap(dataset.conditionLabels)
        XCTAssertEqual(labels.count, 4)
        for (value, expected) in zip(labels, [0, Double.pi / 2, Double.pi, 3 * Double.pi / 2]) {
            XCTAssertEqual(value, expected, accuracy: 1e-12)
        }
        XCTAssertTrue(dataset.angles.allSatisfy(\.isNaN), "no angle column given")
    }

    func testOneHotInputsHoldUntilTheEvent() throws {
        let (dataset, provenance) = try RecordingImporter.importRecording(url: ImportFixtures.url("reach.nwb"), options: ImportFixtures.reachOptions)
        XCTAssertEqual(dataset.inputs.shape, [4, 50, 5])
        XCTAssertEqual(provenance.inputChannels.count, 5)
        for c in 0..<4 {
            for t in 0..<50 {
                for i in 0..<4 { XCTAssertEqual(dataset.inputs[c, t, i], i == c && t < 20 ? 1 : 0) }
                XCTAssertEqual(dataset.inputs[c, t, 4], t < 20 ? 1 : 0)
            }
        }
    }

    func testColumnInputsAverageTheTrialValues() throws {
        var options = ImportFixtures.alignmentOptions
        options.inputs = .columns
        options.inputColumns = ["go_cue_time"]
        let (dataset, _) = try RecordingImporter.importRecording(url: ImportFixtures.url("alignment.nwb"), options: options)
        let go = ImportFixtures.alignmentGo
        XCTAssertEqual(dataset.inputs.shape, [2, 20, 2])
        XCTAssertEqual(dataset.inputs[0, 0, 0], (go[0] + go[2]) / 2, accuracy: 1e-12)
        XCTAssertEqual(dataset.inputs[1, 9, 0], go[1], accuracy: 1e-12)
        XCTAssertEqual(dataset.inputs[1, 10, 0], 0)
        XCTAssertEqual(dataset.inputs[1, 9, 1], 1)
    }

    func testHeldOutConditionsExplicitAndSeeded() throws {
        var options = ImportFixtures.reachOptions
        options.heldOutConditions = ["left"]
        let (explicit, provenance) = try RecordingImporter.importRecording(url: ImportFixtures.url("reach.nwb"), options: options)
        XCTAssertEqual(explicit.isTraining, [true, false, true, true])
        XCTAssertEqual(provenance.heldOutConditions, ["left"])

        options.heldOutConditions = []
        options.trainFraction = 0.5
        options.seed = 7
        let first = try RecordingImporter.importRecording(url: ImportFixtures.url("reach.nwb"), options: options).dataset
        let again = try RecordingImporter.importRecording(url: ImportFixtures.url("reach.nwb"), options: options).dataset
        XCTAssertEqual(first.isTraining.filter { $0 }.count, 2)
        XCTAssertEqual(first.isTraining, again.isTraining, "same seed, same split")
        let splits = Set((1...12).map { seed -> [Bool] in
            options.seed = UInt64(seed)
            return (try? RecordingImporter.importRecording(url: ImportFixtures.url("reach.nwb"), options: options).dataset.isTraining) ?? []
        })
        XCTAssertGreaterThan(splits.count, 1, "different seeds give different splits")
    }

    // MARK: Smoothing

    func testGaussianSmoothingKeepsConstantsAndMassAwayFromEdges() {
        let smoother = GaussianSmoother(sdMs: 20, binMs: 10)
        for value in smoother.smooth([Double](repeating: 7, count: 30)) {
            XCTAssertEqual(value, 7, accuracy: 1e-12, "renormalised at the edges")
        }
        var spike = [Double](repeating: 0, count: 41)
        spike[20] = 1
        let smoothed = smoother.smooth(spike)
        XCTAssertEqual(smoothed.reduce(0, +), 1, accuracy: 1e-12, "mass kept away from the edges")
        XCTAssertEqual(smoothed[21] / smoothed[20], exp(-1.0 / 8), accuracy: 1e-12, "SD of 2 bins")
        XCTAssertEqual(smoothed[19], smoothed[21])
        XCTAssertEqual(smoothed[11], 0, "truncated at 4 SD")
        XCTAssertTrue(GaussianSmoother(sdMs: 0, binMs: 10).isIdentity)
    }

    func testSmoothingChangesTheImportedRatesButNotTheirMean() throws {
        var options = ImportFixtures.alignmentOptions
        options.smoothMs = .ms(15)
        let (smooth, provenance) = try RecordingImporter.importRecording(url: ImportFixtures.url("alignment.nwb"), options: options)
        let recorded = try XCTUnwrap(smooth.recorded)
        XCTAssertTrue(provenance.smoothing.contains("renormalised"))
        XCTAssertEqual(recorded[0, 7, 0], 100, accuracy: 1e-9, "a constant 100 Hz stays 100 Hz")
        XCTAssertGreaterThan(recorded[0, 14, 1], 0, "the spike in bin 15 spreads to bin 14")
        XCTAssertLessThan(recorded[0, 15, 1], 100)
    }

    // MARK: Formats agree

    /// The alignment recording in NWB, MAT v5, MAT v7.3 and NPZ gives the same dataset.
    func testAllFormatsGiveTheSameDataset() throws {
        let reference = try RecordingImporter.importRecording(url: ImportFixtures.url("alignment.nwb"), options: ImportFixtures.alignmentOptions)
        XCTAssertEqual(reference.provenance.format, "NWB 2.x")
        for (name, format) in [("recording.mat", "MAT v5"), ("recording_v73.mat", "MAT v7.3"), ("recording.npz", "NPZ")] {
            let (dataset, provenance) = try RecordingImporter.importRecording(url: ImportFixtures.url(name), options: ImportFixtures.alignmentOptions)
            XCTAssertEqual(provenance.format, format)
            XCTAssertEqual(dataset.recorded, reference.dataset.recorded, name)
            XCTAssertEqual(dataset.targets.shape, reference.dataset.targets.shape, name)
            for (a, b) in zip(dataset.targets.data, reference.dataset.targets.data) { XCTAssertEqual(a, b, accuracy: 1e-9, name) }
            XCTAssertEqual(dataset.inputs, reference.dataset.inputs, name)
            XCTAssertEqual(dataset.neuronIDs, [7, 8, 9], name)
            XCTAssertEqual(dataset.conditionLabels, [1, 2], name)
            XCTAssertEqual(dataset.goIndex, 10, name)
        }
    }

    /// The dataset is one `train` reads: it survives the NPZ round trip, and the provenance
    /// encodes to JSON with every option.
    func testDatasetRoundTripsAndProvenanceEncodes() throws {
        var options = ImportFixtures.reachOptions
        options.behavior = ["EMG"]
        let (dataset, provenance) = try RecordingImporter.importRecording(url: ImportFixtures.url("reach.nwb"), options: options)
        let archive = try NPZArchive.decode(dataset.archive().encoded(), fileName: "dataset.npz")
        XCTAssertNil(archive["rates"])
        XCTAssertEqual(try archive.intVector("neuron_ids"), [11, 23, 42])
        let back = try ReachDataset(archive: archive)
        XCTAssertEqual(back.recorded, dataset.recorded)
        XCTAssertEqual(back.conditionLabels, [0, 1, 2, 3])
        let json = try JSONEncoder().encode(provenance)
        let decoded = try JSONDecoder().decode(ImportProvenance.self, from: json)
        XCTAssertEqual(decoded, provenance)
        XCTAssertEqual(decoded.options.binMs, 20)
    }
}
