import Foundation
import XCTest
@testable import CircuitFitCore
@testable import CircuitFitImport

/// Perturbation trials read from a recording's trials table (docs/recordings.md § Perturbation
/// trials), on a small hand-made recording: 3 units (ids 10, 20, 30), 2 conditions, 12 trials of
/// which each condition has 2 controls, 2 trials perturbing units 10 and 20 and 2 perturbing unit 30.
/// Window −200…400 ms around go in 20 ms bins, no smoothing, so every PSTH is a count / 0.02 s
/// averaged over the trials and can be written down.
final class ImportPerturbationTests: XCTestCase {
    /// Per trial: condition, perturbed units (text).
    static let design: [(condition: Int, units: String)] = [
        (0, "10;20"), (1, ""), (0, ""), (1, "10;20"), (0, "30"), (1, "30"),
        (0, "none"), (1, "NaN"), (0, "[20, 10]"), (1, "20 10"), (0, "30"), (1, "30")]

    /// Trial k starts at 2k s, its go cue at 2k + 0.5 s, and it stops at 2k + 1.5 s. Unit u
    /// (0, 1, 2) fires once in bin 12 + u of every trial (10 ms into it), and trial k's
    /// perturbed units fire once more in bin 16 (so the perturbed PSTHs differ).
    static func recording(columns extra: [String: TrialColumn] = [:]) -> Recording {
        let n = design.count
        var table = TrialTable(location: "test trials", count: n)
        table.set("start_time", .numbers((0..<n).map { 2 * Double($0) }))
        table.set("stop_time", .numbers((0..<n).map { 2 * Double($0) + 1.5 }))
        table.set("go_cue_time", .numbers((0..<n).map { 2 * Double($0) + 0.5 }))
        table.set("condition", .numbers(design.map { Double($0.condition) }))
        table.set("perturbed", .strings(design.map(\.units)))
        for (name, column) in extra { table.set(name, column) }
        let ids = [10, 20, 30]
        let units = ids.enumerated().map { u, id in
            SpikeTrain(id: id, timesS: (0..<n).flatMap { k -> [Double] in
                let go = 2 * Double(k) + 0.5
                var times = [go + (-200 + Double(12 + u) * 20 + 10) / 1000]
                if design[k].units.contains(String(id)) { times.append(go + (-200 + 16 * 20 + 10) / 1000) }
                return times
            })
        }
        return Recording(source: "test.nwb", format: .nwb, units: units, trials: table, behavior: [BehaviorSeries]())
    }

    static func options(_ change: (inout PerturbationImportOptions) -> Void = { _ in }) -> ImportOptions {
        var options = ImportOptions()
        options.windowStartMs = -200; options.windowEndMs = 400; options.binMs = 20; options.smoothMs = .ms(0)
        options.trainFraction = 1
        var p = PerturbationImportOptions()
        p.column = "perturbed"; p.windowMs = [100, 300]
        change(&p)
        options.perturbation = p
        return options
    }

    /// The sets, their windows, and PSTHs equal to the spike counts written above; the controls
    /// are the control trials only.
    func testSetsAndPerturbedPSTHs() throws {
        let (dataset, provenance) = try RecordingImporter.dataset(from: Self.recording(), options: Self.options { $0.heldOutSets = 1 })
        let table = try XCTUnwrap(dataset.perturbations)
        XCTAssertEqual(table.sets.map(\.neurons), [[0, 1], [2]], "sets in order of their first trial; neurons = columns of recorded")
        XCTAssertEqual(table.sets.map(\.window), [15..<25, 15..<25], "100…300 ms from go in 20 ms bins from −200 ms")
        XCTAssertEqual(table.sets.map(\.isTraining), [true, false])
        XCTAssertEqual(table.sets.map(\.kind), [.silence, .silence])
        let recorded = try XCTUnwrap(dataset.recorded), perturbed = try XCTUnwrap(table.recorded)
        XCTAssertEqual(perturbed.shape, [4, 30, 3])
        for c in 0..<2 {
            for u in 0..<3 {
                for t in 0..<30 {
                    // one spike per trial in bin 12 + u: 1 / 0.02 s = 50 Hz in every average
                    XCTAssertEqual(recorded[c, t, u], t == 12 + u ? 50 : 0, accuracy: 1e-9, "control c\(c) u\(u) t\(t)")
                    for s in 0..<2 {
                        let extra = t == 16 && table.sets[s].neurons.contains(u) ? 50.0 : 0
                        XCTAssertEqual(perturbed[s * 2 + c, t, u], (t == 12 + u ? 50 : 0) + extra, accuracy: 1e-9, "set \(s) c\(c) u\(u) t\(t)")
                    }
                }
            }
        }
        let record = try XCTUnwrap(provenance.perturbations)
        XCTAssertEqual(record.controlTrials, 4)
        XCTAssertEqual(record.perturbedTrials, 8)
        XCTAssertEqual(provenance.trialsUsed, 12)
        XCTAssertEqual(provenance.trialsPerCondition, [2, 2], "controls only")
        XCTAssertEqual(record.sets.map(\.unitIDs), [[10, 20], [30]])
        XCTAssertEqual(record.sets.map(\.trialsPerCondition), [[2, 2], [2, 2]])
        XCTAssertEqual(record.sets[0].windowMs, [100, 300])
        // units named by position instead of id: the same sets
        var indices = Self.recording()
        indices.trials.set("perturbed", .strings(Self.design.map { $0.units.replacingOccurrences(of: "10", with: "0").replacingOccurrences(of: "20", with: "1").replacingOccurrences(of: "30", with: "2") }))
        let byIndex = try RecordingImporter.dataset(from: indices, options: Self.options { $0.units = .indices; $0.heldOutSets = 1 }).dataset
        XCTAssertEqual(byIndex.perturbations, table)
        // a numeric column names one unit per trial; NaN is a control trial
        var numeric = Self.recording()
        numeric.trials.set("perturbed", .numbers(Self.design.map { $0.units == "30" ? 30 : .nan }))
        let one = try XCTUnwrap(RecordingImporter.dataset(from: numeric, options: Self.options()).dataset.perturbations)
        XCTAssertEqual(one.sets.map(\.neurons), [[2]])
        XCTAssertEqual(try XCTUnwrap(one.recorded).data, Array(perturbed.data[(2 * 30 * 3)...]), "set B's PSTHs as before")
    }

    /// Kind, window and amplitude from columns: the window moves to the nearest bin edges and is
    /// cut at the imported window's end; stimulate sets carry their Hz.
    func testKindWindowAndAmplitudeFromColumns() throws {
        let go = (0..<12).map { 2 * Double($0) + 0.5 }
        let isSetB = Self.design.map { $0.units == "30" }
        let perturbs = Self.design.map { !["", "none", "NaN"].contains($0.units) }
        let extra: [String: TrialColumn] = [
            "kind": .strings(isSetB.map { $0 ? "Stimulate" : "silence" }),
            "hz": .numbers(isSetB.map { $0 ? 7.5 : .nan }),
            // set A: 104.9…291 ms (→ bins 15..<25); set B: 140…450 ms (cut at 400 → 17..<30)
            "on": .numbers((0..<12).map { perturbs[$0] ? go[$0] + (isSetB[$0] ? 0.14 : 0.1049) : .nan }),
            "off": .numbers((0..<12).map { perturbs[$0] ? go[$0] + (isSetB[$0] ? 0.45 : 0.291) : .nan }),
        ]
        let options = Self.options {
            $0.windowMs = []; $0.startColumn = "on"; $0.stopColumn = "off"; $0.kindColumn = "kind"; $0.amplitudeColumn = "hz"
        }
        let (dataset, provenance) = try RecordingImporter.dataset(from: Self.recording(columns: extra), options: options)
        let sets = try XCTUnwrap(dataset.perturbations).sets
        XCTAssertEqual(sets.map(\.window), [15..<25, 17..<30])
        XCTAssertEqual(sets.map(\.kind), [.silence, .stimulate])
        XCTAssertEqual(sets.map(\.amplitudeHz), [0, 7.5])
        let record = try XCTUnwrap(provenance.perturbations)
        XCTAssertEqual(record.windowsCutAtEnd, 4)
        XCTAssertEqual(record.largestWindowShiftMs, 9, accuracy: 1e-6, "291 ms moves to 300")
    }

    /// The hand-made recording with an OptogeneticSeries at 1 kHz instead of the text column:
    /// light in trials 0, 3, 8 and 9 (set A's) from 100 ms after go — trial 0 lit to 300 ms, the
    /// others a pulse train of three 50 ms pulses ending at 290 ms, 300 ms, 300 ms; one pulse between
    /// trials — and a units column marking units 10 and 20.
    static func optogeneticRecording() -> Recording {
        var recording = Self.recording()
        let samples = 2 * design.count * 1000
        var power = [Double](repeating: 0, count: samples)
        for trial in [0, 3, 8, 9] {
            let go = 2000 * trial + 500
            if trial == 0 {
                for i in (go + 100)..<(go + 300) { power[i] = 0.004 }
            } else {
                let end = trial == 3 ? 290 : 300
                for start in [100, 175, end - 50] { for i in (go + start)..<(go + start + 50) { power[i] = 0.002 } }
            }
        }
        for i in 1700..<1800 { power[i] = 0.001 }      // between trials 0 and 1 (trial 0 stops at 1.5 s)
        let series = BehaviorSeries(name: "laser", location: "/stimulus/presentation/laser", sampleCount: samples, channels: 1,
                                    values: power, times: .regular(startS: 0, rateHz: 1000), unit: "watts")
        recording.optogenetic = OptogeneticRecord(series: series, site: "location M1")
        recording.perturbedUnitsColumn = [1, 1, 0]
        return recording
    }

    /// Windows from the light: a pulse train is one window from its first onset to its last
    /// offset, trials without light are controls, the marked units are the set's, and the power
    /// is recorded, not turned into Hz.
    func testWindowsFromAnOptogeneticSeries() throws {
        var options = Self.options { $0.column = ""; $0.windowMs = []; $0.optogeneticSeries = "laser"; $0.perturbedUnitsColumn = "tagged" }
        let (dataset, provenance) = try RecordingImporter.dataset(from: Self.optogeneticRecording(), options: options)
        let sets = try XCTUnwrap(dataset.perturbations).sets
        XCTAssertEqual(sets.map(\.neurons), [[0, 1]])
        XCTAssertEqual(sets.map(\.window), [15..<25], "100…290 ms and 100…300 ms both cover bins 15..<25")
        let record = try XCTUnwrap(provenance.perturbations)
        XCTAssertEqual(record.controlTrials, 8, "trials 4, 5, 10, 11 (units 30 in the text column) are controls here")
        XCTAssertEqual(record.sets[0].trialsPerCondition, [2, 2])
        XCTAssertEqual(record.stimulusIntervals, 1 + 9 + 1)
        XCTAssertEqual(record.intervalsOutsideTrials, 1)
        XCTAssertEqual(record.sets[0].powerW.count, 2)
        XCTAssertEqual(record.sets[0].powerW[0], 0.002, accuracy: 1e-12, "a trial's mean power while lit, W")
        XCTAssertEqual(record.sets[0].powerW[1], 0.004, accuracy: 1e-12)
        XCTAssertEqual(record.largestWindowShiftMs, 10, accuracy: 1e-6)
        XCTAssertEqual(sets[0].amplitudeHz, 0)
        // per-trial units from the text column with the light's windows: trials 4, 5, 10, 11 name
        // unit 30 but are dark
        options.perturbation!.perturbedUnitsColumn = ""; options.perturbation!.column = "perturbed"
        XCTAssert(importErrorMessage { _ = try RecordingImporter.dataset(from: Self.optogeneticRecording(), options: options) }
            .contains("test.nwb: trial id 4: trials column 'perturbed' names perturbed units but the OptogeneticSeries has no stimulus in the trial"))
        var dark = Self.optogeneticRecording()
        dark.perturbedUnitsColumn = [0, .nan, 0]
        options.perturbation!.perturbedUnitsColumn = "tagged"; options.perturbation!.column = ""
        XCTAssert(importErrorMessage { _ = try RecordingImporter.dataset(from: dark, options: options) }.contains("units-table column 'tagged' marks no unit"))
    }

    /// What an HDF5 child process hands back (`RecordingArchive`) is the recording read: trial ids,
    /// ragged columns, the OptogeneticSeries and the units column included, so the import is the same.
    func testRecordingArchiveKeepsTrialIDsAndTheOptogeneticSeries() throws {
        var recording = Self.optogeneticRecording()
        recording.trials.ids = (0..<12).map { 100 + 3 * $0 }
        let lists: [[Double]] = (0..<12).map { $0 % 3 == 0 ? [] : Array(repeating: Double($0), count: $0 % 3) }
        recording.trials.set("listed", .lists(lists))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("circuitfit-archive-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try RecordingArchive.write(recording, to: folder)
        let back = try RecordingArchive.read(from: folder)
        XCTAssertEqual(back.trials.ids, recording.trials.ids)
        XCTAssertEqual(back.trials.storedColumn("listed"), .lists(lists), "a ragged column, empty lists included")
        XCTAssertEqual(back.optogenetic, recording.optogenetic)
        XCTAssertEqual(back.perturbedUnitsColumn, recording.perturbedUnitsColumn)
        let options = Self.options { $0.column = ""; $0.windowMs = []; $0.optogeneticSeries = "laser"; $0.perturbedUnitsColumn = "tagged" }
        let a = try RecordingImporter.dataset(from: recording, options: options), b = try RecordingImporter.dataset(from: back, options: options)
        XCTAssertEqual(a.dataset.perturbations, b.dataset.perturbations)
        XCTAssertEqual(a.provenance, b.provenance)
    }

    /// A perturbed unit that --min-reliability would leave out is refused: unit 30 fires in bin 14
    /// in a condition's first control trial and in bin 22 in its second, so its halves disagree.
    func testAPerturbedUnitLeftOutByReliabilityIsRefused() throws {
        var recording = Self.recording()
        let second: Set<Int> = [6, 7]   // the second control trial of each condition
        recording.units[2].timesS = (0..<12).map { (k: Int) -> Double in
            let bin: Double = second.contains(k) ? 22 : 14
            return 2 * Double(k) + 0.5 + (bin * 20 - 190) / 1000
        }
        var options = Self.options()
        options.minReliability = 0.5
        let text = importErrorMessage { _ = try RecordingImporter.dataset(from: recording, options: options) }
        XCTAssert(text.hasPrefix("test.nwb: unit id 30 of perturbation set 1 was left out by --min-reliability 0.5 (reliability -0.")
                  && text.hasSuffix("a perturbed unit must stay in the dataset: lower --min-reliability"), text)
        options.minReliability = 0      // kept: the same recording imports
        XCTAssertEqual(try RecordingImporter.dataset(from: recording, options: options).dataset.perturbations?.sets.count, 2)
    }

    /// A recording without perturbation options imports as before: every trial is a control.
    func testWithoutOptionsEveryTrialIsAControl() throws {
        var options = Self.options()
        options.perturbation = nil
        let (dataset, provenance) = try RecordingImporter.dataset(from: Self.recording(), options: options)
        XCTAssertNil(dataset.perturbations)
        XCTAssertNil(provenance.perturbations)
        XCTAssertEqual(provenance.trialsPerCondition, [6, 6])
        let json = String(decoding: try JSONEncoder().encode(provenance), as: UTF8.self)
        XCTAssertFalse(json.contains("perturbation"), "no perturbation keys in the provenance")
    }

    /// Bad input: one line naming the trial, unit, window or option, before any work.
    func testBadPerturbationInputIsRefused() {
        func message(_ recording: Recording, _ options: ImportOptions) -> String {
            importErrorMessage { _ = try RecordingImporter.dataset(from: recording, options: options) }
        }
        func recording(units: [String]) -> Recording {
            var r = Self.recording()
            r.trials.set("perturbed", .strings(units))
            return r
        }
        var units = Self.design.map(\.units)
        units[4] = "30;99"
        XCTAssertEqual(message(recording(units: units), Self.options()),
                       "test.nwb: trial id 4: trials column 'perturbed' names unit id 99, which the units table does not have (3 units, ids 10…30); the perturbed units must be recorded (use --perturbation-units indices for positions from 0)")
        units[4] = "30;x"
        XCTAssert(message(recording(units: units), Self.options()).contains("trial id 4: trials column 'perturbed' holds 'x', expected unit ids separated by ';'"))
        units[4] = "30;30"
        XCTAssert(message(recording(units: units), Self.options()).contains("names unit 30 twice"))
        XCTAssert(message(Self.recording(), Self.options { $0.units = .indices }).contains("names unit index 10, outside 0…2"))
        // a window outside the trial (1 s after go, the trial stops 1 s after go) …
        XCTAssert(message(Self.recording(), Self.options { $0.windowMs = [100, 1100] })
            .contains("test.nwb: trial id 0: its perturbation window 0.600…1.600 s reaches outside the trial's start_time…stop_time 0.000…1.500 s"))
        // … or starting before the imported window
        XCTAssert(message(Self.recording(), Self.options { $0.windowMs = [-300, 100] }).contains("starts outside the imported window -200.0…400.0 ms"))
        XCTAssert(message(Self.recording(), Self.options { $0.windowMs = [100, 105] }).contains("is shorter than half a bin of 20.0 ms"))
        // a set without trials in condition 1
        units = Self.design.map(\.units)
        units[5] = ""; units[11] = ""
        XCTAssert(message(recording(units: units), Self.options())
            .contains("perturbation set 1 (units 30, silence, bins 15..<25) has no trials in condition '1'; every set needs trials in every condition"))
        // a condition without controls
        units = Self.design.map(\.units)
        units[2] = "30"; units[6] = "30"
        XCTAssert(message(recording(units: units), Self.options()).contains("condition '0' has no control trials (all 6 of its trials perturb units)"))
        XCTAssert(message(Self.recording(), Self.options { $0.heldOutSets = 3 }).contains("--held-out-sets 3 but the recording has 2 perturbation sets"))
        XCTAssert(message(recording(units: Array(repeating: "", count: 12)), Self.options()).contains("no used trial is a perturbation trial"))
        XCTAssertEqual(message(Self.recording(), Self.options { $0.kind = .stimulate }),
                       "import options: perturbation: stimulate needs the stimulus size: --stimulus-hz A (Hz) or --stimulus-hz-column NAME")
        XCTAssert(message(Self.recording(), Self.options { $0.windowMs = [] }).contains("no window: give --perturbation-window-ms"))
        var single = Self.options()
        single.singleTrials = true
        XCTAssert(message(Self.recording(), single).contains("perturbation trials are imported as condition averages"))
        var npz = Self.recording()
        npz.format = .npz
        XCTAssert(message(npz, Self.options { $0.optogeneticSeries = "auto"; $0.windowMs = [] })
            .contains("--optogenetic-series reads an NWB OptogeneticSeries; this file is NPZ"))
        XCTAssert(message(npz, Self.options { $0.optogeneticSeries = "auto"; $0.windowMs = []; $0.column = ""; $0.perturbedUnitsColumn = "tagged" })
            .contains("--perturbed-units-column is read from an NWB units table; this file is NPZ"))
    }
}
