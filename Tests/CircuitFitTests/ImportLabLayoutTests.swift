import Foundation
import XCTest
@testable import CircuitFitCore
@testable import CircuitFitAnalysis
@testable import CircuitFitImport

/// One recording written the ways labs write it (Fixtures/import/make_lab_fixtures.py): the flat
/// layout in NPZ and MAT v5 (cellstr labels), a MATLAB struct array of trials in MAT v5
/// (scipy.io.savemat) and v7.3 (h5py, MATLAB's layout), and a pynwb file with string labels,
/// degrees, an outcome column and EMG in µV inside processing/behavior. Each must import, with
/// the same options and no hand-editing, into the arrays numpy computed from the same spikes.
final class ImportLabLayoutTests: XCTestCase {
    static let files = ["lab_flat.npz", "lab_flat_v5.mat", "lab_trials_v5.mat", "lab_trials_v73.mat", "lab.nwb"]

    /// --condition-column target --window-ms -200,400 --bin-ms 20 --smooth-ms 0 --behavior EMG
    /// --inputs angle --angle-column reach_dir_deg --angle-unit deg --where outcome=success.
    static var labOptions: ImportOptions {
        var o = ImportOptions()
        o.conditionColumn = "target"
        o.alignTo = "go_cue_time"
        o.windowStartMs = -200
        o.windowEndMs = 400
        o.binMs = 20
        o.smoothMs = .ms(0)
        o.behavior = ["EMG"]
        o.inputs = .angle
        o.angleColumn = "reach_dir_deg"
        o.angleUnit = .degrees
        o.filters = ["outcome=success"]
        o.heldOutConditions = ["90deg", "270deg"]
        return o
    }

    func testEveryLayoutGivesTheArraysNumpyComputes() throws {
        let expected = try NPZArchive.read(from: ImportFixtures.url("lab_expected.npz"))
        let recorded = try expected.array3("recorded", 8, 30, 3)
        let targets = try expected.array3("targets", 8, 30, 2)
        let inputs = try expected.array3("inputs", 8, 30, 3)
        let labels = try expected.strings("labels")
        let excluded = try expected.intVector("excluded_ids")
        var first: ReachDataset? = nil
        for name in Self.files {
            let (dataset, provenance) = try RecordingImporter.importRecording(url: ImportFixtures.url(name), options: Self.labOptions)
            XCTAssertEqual(provenance.conditionLabels, labels, name)
            XCTAssertEqual(labels.first, "0deg")
            XCTAssertEqual(labels[1], "135deg", "labels in code-point order")
            XCTAssertEqual(provenance.trialsPerCondition, try expected.intVector("trials_per_condition"), name)
            XCTAssertEqual(provenance.excludedTrials.map(\.id), excluded, name)
            XCTAssertTrue(provenance.excludedTrials.allSatisfy { $0.reason.contains("fails outcome=success") }, name)
            XCTAssertEqual(dataset.neuronIDs, [101, 205, 333], name)
            XCTAssertEqual(dataset.conditionLabels, (0..<8).map(Double.init), name)
            XCTAssertEqual(dataset.heldOutConditions, [labels.firstIndex(of: "270deg")!, labels.firstIndex(of: "90deg")!].sorted(), name)
            for (a, b) in zip(dataset.angles, try expected.vector("angles")) { XCTAssertEqual(a, b, accuracy: 1e-12, name) }
            let got = try XCTUnwrap(dataset.recorded)
            for (a, b) in zip(got.data, recorded.data) { XCTAssertEqual(a, b, accuracy: 1e-9, "\(name): recorded") }
            for (a, b) in zip(dataset.targets.data, targets.data) { XCTAssertEqual(a, b, accuracy: 1e-9, "\(name): targets") }
            for (a, b) in zip(dataset.inputs.data, inputs.data) { XCTAssertEqual(a, b, accuracy: 1e-12, "\(name): inputs") }
            // Every layout gives the flat layout's arrays exactly (behaviour within float rounding:
            // a rate and a time vector interpolate with different arithmetic).
            if let reference = first {
                XCTAssertEqual(dataset.recorded, reference.recorded, "\(name): recorded, exactly")
                XCTAssertEqual(dataset.inputs, reference.inputs, "\(name): inputs, exactly")
                XCTAssertEqual(dataset.reliability, reference.reliability, "\(name): reliability, exactly")
            } else {
                first = dataset
            }
        }
    }

    /// A struct array whose every trial is on its own clock (0 at its start) gives the same
    /// dataset: each trial's spikes and behaviour are only used for that trial.
    func testTrialsOnTheirOwnClocksGiveTheSameArrays() throws {
        let (flat, _) = try RecordingImporter.importRecording(url: ImportFixtures.url("lab_flat.npz"), options: Self.labOptions)
        let (relative, provenance) = try RecordingImporter.importRecording(url: ImportFixtures.url("lab_trials_relative_v5.mat"), options: Self.labOptions)
        XCTAssertTrue(provenance.layout.hasPrefix("struct array 'trials'"), provenance.layout)
        let a = try XCTUnwrap(flat.recorded), b = try XCTUnwrap(relative.recorded)
        for (x, y) in zip(a.data, b.data) { XCTAssertEqual(x, y, accuracy: 1e-9) }
        for (x, y) in zip(flat.targets.data, relative.targets.data) { XCTAssertEqual(x, y, accuracy: 1e-6) }
        XCTAssertEqual(flat.inputs, relative.inputs)
    }

    /// The struct array as the readers see it: MATLAB's dims, the fields, char as text, [] empty.
    func testStructArraysAndTextInBothMATVersions() throws {
        for name in ["lab_trials_v5.mat", "lab_trials_v73.mat"] {
            let reader = try MATReader(url: ImportFixtures.url(name))
            guard case .structure(let trials) = try reader.value("trials") else { return XCTFail("\(name): trials is not a struct") }
            XCTAssertEqual(trials.dims, [1, 56], name)
            XCTAssertTrue(Set(["spikes", "go_cue_time", "target", "outcome", "EMG"]).isSubset(of: trials.fieldNames), name)
            guard case .text(let label) = trials.elements[0]["target"]! else { return XCTFail("\(name): target is not char") }
            XCTAssertTrue(label.singleString!.hasSuffix("deg"), name)
            guard case .cell(let dims, let units) = trials.elements[0]["spikes"]! else { return XCTFail("\(name): spikes is not a cell") }
            XCTAssertEqual(dims.reduce(1, *), 3, name)
            XCTAssertEqual(units.count, 3, name)
            let aborted = trials.elements.firstIndex { if case .text(let t) = $0["outcome"]! { return t.singleString == "abort" } else { return false } }!
            guard case .numeric(let go) = trials.elements[aborted]["go_cue_time"]! else { return XCTFail("\(name): go cue is not numeric") }
            XCTAssertEqual(go.values, [], "\(name): an aborted trial's go cue is []")
            XCTAssertTrue(MATValue.structure(trials).description.hasPrefix("a 1×56 struct with fields "), MATValue.structure(trials).description)
        }
        // cellstr labels in the flat layout.
        let flat = try MATReader(url: ImportFixtures.url("lab_flat_v5.mat"))
        guard case .cell(_, let cells) = try flat.value("trials_target") else { return XCTFail("trials_target is not a cell") }
        XCTAssertEqual(cells.count, 56)
        let strings = try XCTUnwrap(MATArraySource(reader: flat).strings("trials_target"))
        XCTAssertEqual(Set(strings), Set((0..<8).map { "\($0 * 45)deg" }))
    }

    /// NumPy's '<U' arrays (written by numpy) are read as strings, and written back as '<U'.
    func testNumpyStringArraysRoundTrip() throws {
        let archive = try NPZArchive.read(from: ImportFixtures.url("lab_flat.npz"))
        let outcomes = try archive.strings("trials_outcome")
        XCTAssertEqual(outcomes.count, 56)
        XCTAssertEqual(Set(outcomes), ["success", "failure", "abort"])
        let message = importErrorMessage { _ = try archive.vector("trials_outcome") }
        XCTAssertTrue(message.contains("holds strings but expected numbers"), message)
        let labels = NPYArray(strings: ["45deg", "", "µV θ"], shape: [3])
        let back = try NPYFormat.decode(NPYFormat.encode(labels), file: "x.npy")
        XCTAssertEqual(back.strings, ["45deg", "", "µV θ"])
        XCTAssertTrue(String(decoding: NPYFormat.encode(labels).prefix(80), as: UTF8.self).contains("'<U5'"))
    }

    // MARK: Trial selection

    func testFiltersIDListsAndTheirReasons() throws {
        var options = Self.labOptions
        options.filters = ["outcome!=abort", "reach_dir_deg>=180"]
        options.heldOutConditions = []
        options.trainFraction = 1
        let (dataset, provenance) = try RecordingImporter.importRecording(url: ImportFixtures.url("lab_flat.npz"), options: options)
        XCTAssertEqual(provenance.conditionLabels, ["180deg", "225deg", "270deg", "315deg"])
        XCTAssertEqual(dataset.conditions, 4)
        let reasons = provenance.excludedTrials.map(\.reason)
        XCTAssertTrue(reasons.contains { $0.contains("outcome = 'abort' fails outcome!=abort") }, "\(reasons)")
        XCTAssertTrue(reasons.contains { $0.contains("reach_dir_deg = 45 fails reach_dir_deg>=180") }, "\(reasons)")
        XCTAssertEqual(provenance.trialsUsed + provenance.excludedTrials.count, 56)

        options.filters = ["outcome=success"]
        options.keepTrials = Array(0..<20)
        let (_, kept) = try RecordingImporter.importRecording(url: ImportFixtures.url("lab_flat.npz"), options: options)
        XCTAssertTrue(kept.excludedTrials.contains { $0.id == 30 && $0.reason.contains("not in the --trials list") })
        XCTAssertLessThanOrEqual(kept.trialsUsed, 20)
        options.keepTrials = []
        options.dropTrials = [0, 1]
        let (_, dropped) = try RecordingImporter.importRecording(url: ImportFixtures.url("lab_flat.npz"), options: options)
        XCTAssertTrue(dropped.excludedTrials.contains { $0.id == 0 && $0.reason.contains("--drop-trials") })
        XCTAssertTrue(dropped.excludedTrials.contains { $0.id == 1 && $0.reason.contains("--drop-trials") })
        options.keepTrials = [1, 2]
        XCTAssertTrue(importErrorMessage { _ = try RecordingImporter.importRecording(url: ImportFixtures.url("lab_flat.npz"), options: options) }.contains("both kept and dropped"))

        options.keepTrials = [99]
        options.dropTrials = []
        let unknown = importErrorMessage { _ = try RecordingImporter.importRecording(url: ImportFixtures.url("lab_flat.npz"), options: options) }
        XCTAssertTrue(unknown.contains("--trials names trial id 99") && unknown.contains("ids 0…55"), unknown)
        options.keepTrials = []
        options.filters = ["outcome<success"]
        let textOrder = importErrorMessage { _ = try RecordingImporter.importRecording(url: ImportFixtures.url("lab_flat.npz"), options: options) }
        XCTAssertTrue(textOrder.contains("holds text, which takes only = and !="), textOrder)
        XCTAssertThrowsError(try TrialFilter(parsing: "outcome"))
        let parsed = try TrialFilter(parsing: "reaction_time <= 0.6")
        XCTAssertEqual(parsed.column, "reaction_time")
        XCTAssertEqual(parsed.comparison, .lessOrEqual)
        XCTAssertEqual(parsed.value, "0.6")
        XCTAssertEqual(try TrialFilter(parsing: "a==b").comparison, .equal)
    }

    // MARK: Angles

    func testAngleUnitsAreExplicitAndRangeChecked() throws {
        var options = Self.labOptions
        options.angleUnit = .unspecified
        let missing = importErrorMessage { _ = try RecordingImporter.importRecording(url: ImportFixtures.url("lab.nwb"), options: options) }
        XCTAssertTrue(missing.contains("beyond 2π") && missing.contains("--angle-unit deg"), missing)
        options.angleUnit = .radians
        let range = importErrorMessage { _ = try RecordingImporter.importRecording(url: ImportFixtures.url("lab.nwb"), options: options) }
        XCTAssertTrue(range.contains("out of range for radians"), range)
        options.angleUnit = .degrees
        let (dataset, provenance) = try RecordingImporter.importRecording(url: ImportFixtures.url("lab.nwb"), options: options)
        let c45 = provenance.conditionLabels.firstIndex(of: "45deg")!
        XCTAssertEqual(dataset.angles[c45], .pi / 4, accuracy: 1e-12)
        XCTAssertEqual(dataset.inputs[c45, 0, 0], cos(.pi / 4), accuracy: 1e-12, "cos θ before the go cue")
        XCTAssertEqual(dataset.inputs[c45, 0, 2], 1, "hold channel")
        XCTAssertEqual(dataset.inputs[c45, dataset.goIndex, 0], 0, "inputs off from the go cue")
        XCTAssertTrue(provenance.angles.contains("degrees"), provenance.angles)
    }

    // MARK: Errors that say how to fix them

    func testLayoutErrorsNameWhatWasFound() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lab-layout-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var options = Self.labOptions
        options.spikesField = "spike_trains"
        let noSpikes = importErrorMessage { _ = try RecordingImporter.importRecording(url: ImportFixtures.url("lab_trials_v5.mat"), options: options) }
        XCTAssertTrue(noSpikes.contains("'trials' (a 1×56 struct with fields spikes, start_time") && noSpikes.contains("has no spikes field 'spike_trains'") && noSpikes.contains("--spikes-field"), noSpikes)
        let neither = importErrorMessage { _ = try RecordingImporter.importRecording(url: ImportFixtures.url("lab_no_trials.mat"), options: Self.labOptions) }
        XCTAssertTrue(neither.contains("neither layout found") && neither.contains("no variable 'spike_times'") && neither.contains("session (a 1×1 struct with fields animal, date)") && neither.contains("emg_rate (1×1 double)"), neither)
        options.trialsVariable = "unit_ids"
        let wrong = importErrorMessage { _ = try RecordingImporter.importRecording(url: ImportFixtures.url("lab_trials_v5.mat"), options: options) }
        XCTAssertTrue(wrong.contains("'unit_ids' is 3×1 double") || wrong.contains("'unit_ids' is 1×3 double"), wrong)

        options = Self.labOptions
        options.behavior = ["BehavioralTimeSeries/hand_velocity"]
        let path = importErrorMessage { _ = try RecordingImporter.importRecording(url: ImportFixtures.url("lab.nwb"), options: options) }
        XCTAssertTrue(path.contains("no TimeSeries at /BehavioralTimeSeries/hand_velocity") && path.contains("/processing/behavior/BehavioralTimeSeries/hand_velocity") && path.contains("/processing/behavior/EMG"), path)
        options.behavior = ["hand_velocity"]
        XCTAssertNoThrow(try RecordingImporter.importRecording(url: ImportFixtures.url("lab.nwb"), options: options), "found by name")

        options = Self.labOptions
        options.windowEndMs = 700  // trials stop 600 ms after the go cue
        let window = importErrorMessage { _ = try RecordingImporter.importRecording(url: ImportFixtures.url("lab.nwb"), options: options) }
        XCTAssertTrue(window.contains("48 of 48 trials") && window.contains("--allow-outside-trials") && window.contains("--drop-trials 0,1,2,3,5"), window)
        options.requireWindowInsideTrials = false
        XCTAssertNoThrow(try RecordingImporter.importRecording(url: ImportFixtures.url("lab.nwb"), options: options))
    }

    // MARK: Reliability and smoothing

    /// Poisson spikes of known rates λ: 16 conditions × 20 trials, 50 bins of 20 ms, 4 neurons
    /// with signals of different strength. A full-trial PSTH's reliability is var(λ) / (var(λ) +
    /// mean(λ / (nΔ))) (signal variance over signal + Poisson noise variance of an n-trial
    /// mean). Over 800 samples the Spearman–Brown estimate has an SD of about 0.03 here, so it
    /// must lie within 0.1; a neuron without signal must be flagged.
    func testSplitHalfReliabilityMatchesPoissonTheory() throws {
        let conditions = 16, trialsPer = 20, bins = 50, binS = 0.02
        let amplitudes = [0.0, 8.0, 20.0, 60.0]
        func rate(_ n: Int, _ c: Int, _ bin: Int) -> Double {
            let angle = 2 * Double.pi * Double(c) / Double(conditions)
            let tau = (Double(bin) + 0.5) * binS
            return 15 + amplitudes[n] * (1 + cos(angle)) / 2 * exp(-pow(tau - 0.4, 2) / (2 * 0.15 * 0.15))
        }
        var random = SeededRandom(seed: 7)
        var trials = TrialTable(location: "memory", count: conditions * trialsPer)
        var spikes: [[Double]] = Array(repeating: [], count: amplitudes.count)
        var starts: [Double] = [], stops: [Double] = [], events: [Double] = [], labels: [Double] = []
        for k in 0..<(conditions * trialsPer) {
            let c = k % conditions, go = 2.0 * Double(k) + 1
            starts.append(go - 0.1); stops.append(go + 1.1); events.append(go); labels.append(Double(c))
            for n in 0..<amplitudes.count {
                for bin in 0..<bins {
                    // Poisson count by inversion, spikes uniform in the bin.
                    let mean = rate(n, c, bin) * binS
                    var count = 0, p = exp(-mean), cumulative = p
                    let u = random.uniform()
                    while u > cumulative && count < 100 { count += 1; p *= mean / Double(count); cumulative += p }
                    for _ in 0..<count { spikes[n].append(go + (Double(bin) + random.uniform()) * binS) }
                }
            }
        }
        trials.set("start_time", .numbers(starts)); trials.set("stop_time", .numbers(stops))
        trials.set("go_cue_time", .numbers(events)); trials.set("condition", .numbers(labels))
        let recording = Recording(source: "memory.nwb", format: .nwb, units: spikes.enumerated().map { SpikeTrain(id: $0, timesS: $1) }, trials: trials, behavior: [])
        var options = ImportOptions()
        options.windowStartMs = 0; options.windowEndMs = 1000; options.binMs = 20
        options.smoothMs = .ms(0); options.trainFraction = 1
        let (dataset, provenance) = try RecordingImporter.dataset(from: recording, options: options)
        let reliability = try XCTUnwrap(dataset.reliability)
        for n in 0..<amplitudes.count {
            var values: [Double] = [], noise = 0.0
            for c in 0..<conditions { for bin in 0..<bins { values.append(rate(n, c, bin)); noise += rate(n, c, bin) / (Double(trialsPer) * binS) } }
            let mean = values.reduce(0, +) / Double(values.count)
            let signal = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)
            let predicted = signal / (signal + noise / Double(values.count))
            XCTAssertEqual(reliability[n], predicted, accuracy: 0.1, "neuron \(n) (amplitude \(amplitudes[n])): predicted \(predicted)")
        }
        XCTAssertLessThan(reliability[0], 0.2, "no signal")
        XCTAssertTrue(reliability[1] < reliability[2] && reliability[2] < reliability[3], "stronger signal, higher reliability: \(reliability)")
        XCTAssertEqual(provenance.unreliableUnits.first, 0)
        XCTAssertEqual(provenance.trialsPerHalf[0], [10, 10])
        // The halves average to the full PSTH (equal halves).
        let a = try XCTUnwrap(dataset.recordedHalfA), b = try XCTUnwrap(dataset.recordedHalfB), full = try XCTUnwrap(dataset.recorded)
        for index in full.data.indices { XCTAssertEqual((a.data[index] + b.data[index]) / 2, full.data[index], accuracy: 1e-9) }

        // --min-reliability drops the unreliable ones and says so.
        options.minReliability = 0.5
        let (kept, keptProvenance) = try RecordingImporter.dataset(from: recording, options: options)
        XCTAssertEqual(kept.neuronIDs, (0..<4).filter { reliability[$0] >= 0.5 })
        XCTAssertEqual(keptProvenance.droppedUnits.map(\.unitID), (0..<4).filter { reliability[$0] < 0.5 })
        XCTAssertEqual(kept.recordedHalfA?.d2, kept.neuronIDs?.count)

        // Automatic smoothing: a smooth signal under Poisson noise is smoothed; the choice is a
        // candidate and is recorded with every candidate's score.
        options.minReliability = 0
        options.smoothMs = .auto
        let (_, auto) = try RecordingImporter.dataset(from: recording, options: options)
        XCTAssertGreaterThan(auto.smoothingMs, 0)
        XCTAssertEqual(auto.smoothingCandidates.map(\.sdMs), [0, 0.5, 1, 1.5, 2, 3, 4, 6, 8, 12].map { $0 * 20 }, "candidates below a quarter of the 50-bin window")
        let best = auto.smoothingCandidates.min { $0.crossValidationMSE < $1.crossValidationMSE }!
        XCTAssertEqual(best.sdMs, auto.smoothingMs)
    }

    /// The selection's two extremes: noise-free halves (any smoothing only blurs the signal) pick
    /// no smoothing; constant rates under noise pick the widest kernel.
    func testSmoothingSelectionExtremes() {
        var exact = Array3<Double>(2, 40, 1, repeating: 0)
        for c in 0..<2 { for t in 0..<40 { exact[c, t, 0] = t % 7 == 0 ? 50 : 10 } }
        XCTAssertEqual(SmoothingSelection(halfA: exact, halfB: exact, conditions: [0, 1], binMs: 10).chosenMs, 0)
        var random = SeededRandom(seed: 3)
        var a = Array3<Double>(2, 40, 3, repeating: 0), b = a
        for index in a.data.indices { a.data[index] = 20 + random.normal() * 5; b.data[index] = 20 + random.normal() * 5 }
        let noisy = SmoothingSelection(halfA: a, halfB: b, conditions: [0, 1], binMs: 10)
        XCTAssertEqual(noisy.chosenMs, 80, "the widest candidate for 40 bins: \(noisy.candidates)")
        XCTAssertTrue(noisy.atWidest)
        XCTAssertEqual(SplitHalfReliability.spearmanBrown(0.5), 2.0 / 3, accuracy: 1e-15)
        XCTAssertEqual(SplitHalfReliability.perNeuron(halfA: exact, halfB: exact, conditions: [0, 1]), [1])
    }
}
