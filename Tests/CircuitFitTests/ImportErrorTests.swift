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

/// Every bad input gives one clear line and no dataset (the importer returns nothing on error;
/// nothing is written by the library).
final class ImportErrorTests: XCTestCase {
    private func message(_ file: String, _ options: ImportOptions = ImportFixtures.reachOptions) -> String {
        importErrorMessage { _ = try RecordingImporter.importRecording(url: ImportFixtures.url(file), options: options) }
    }

    func testNotHDF5() {
        let text = message("not_hdf5.nwb")
        XCTAssertTrue(text.hasSuffix("not_hdf5.nwb: not an HDF5 file"), text)
    }

    func testMissingFile() {
        let text = message("absent.nwb")
        XCTAssertTrue(text.contains("absent.nwb") && text.contains("no such file"), text)
    }

    func testNWBWithoutUnits() {
        let text = message("no_units.nwb")
        XCTAssertTrue(text.contains("no_units.nwb: no units table (/units)") && text.contains("intervals"), text)
    }

    func testMissingTrialsColumnListsTheColumns() {
        var options = ImportFixtures.reachOptions
        options.conditionColumn = "colour"
        let text = message("reach.nwb", options)
        XCTAssertTrue(text.contains("no column 'colour'") && text.contains("go_cue_time, reach_angle, start_time, stop_time, target"), text)
        options = ImportFixtures.reachOptions
        options.alignTo = "movement_onset"
        XCTAssertTrue(message("reach.nwb", options).contains("no column 'movement_onset'"))
    }

    func testStringColumnAsEventTimes() {
        var options = ImportFixtures.reachOptions
        options.alignTo = "target"
        let text = message("reach.nwb", options)
        XCTAssertTrue(text.contains("'target'") && text.contains("holds strings, expected numbers"), text)
    }

    /// Trials start ≥ 0.5 s before the go cue: a window from −700 ms reaches before some.
    func testWindowOutsideATrialNamesTheTrialAndTimes() {
        var options = ImportFixtures.reachOptions
        options.windowStartMs = -700
        let text = message("reach.nwb", options)
        XCTAssertTrue(text.contains("80 of 80 trials have a window (-700.0…600.0 ms around go_cue_time) reaching outside their start_time…stop_time"), text)
        XCTAssertTrue(text.range(of: #"trial \d+ runs [0-9.]+…[0-9.]+ s, window [0-9.]+…[0-9.]+ s"#, options: .regularExpression) != nil, text)
        XCTAssertTrue(text.contains("and 68 more") && text.contains("--allow-outside-trials") && text.contains("--drop-trials 0,1,2"), text)
        // Allowed explicitly, the same window imports.
        options.requireWindowInsideTrials = false
        XCTAssertNoThrow(try RecordingImporter.importRecording(url: ImportFixtures.url("reach.nwb"), options: options))
    }

    func testConditionWithNoTrials() {
        var options = ImportFixtures.reachOptions
        options.conditions = ["left", "sideways"]
        let text = message("reach.nwb", options)
        XCTAssertTrue(text.contains("condition 'sideways' has no trials") && text.contains("down, left, right, up"), text)
    }

    /// A condition whose every trial lacks the event time has no usable trials.
    func testConditionWhoseTrialsAllLackTheEvent() {
        var trials = TrialTable(location: "test", count: 4)
        trials.set("start_time", .numbers([0, 2, 4, 6]))
        trials.set("stop_time", .numbers([1, 3, 5, 7]))
        trials.set("go_cue_time", .numbers([0.5, .nan, 4.5, .nan]))
        trials.set("condition", .strings(["a", "b", "a", "b"]))
        let recording = Recording(source: "memory.nwb", format: .nwb, units: [SpikeTrain(id: 1, timesS: [0.5])], trials: trials, behavior: [])
        var options = ImportOptions()
        options.windowStartMs = -100
        options.windowEndMs = 100
        let text = importErrorMessage { _ = try RecordingImporter.dataset(from: recording, options: options) }
        XCTAssertTrue(text.contains("condition 'b'") && text.contains("no trials with a finite go_cue_time"), text)
    }

    func testNaNInBehavior() {
        var options = ImportFixtures.reachOptions
        options.behavior = ["force"]
        let text = message("reach.nwb", options)
        XCTAssertTrue(text.contains("behaviour 'force'") && text.contains("is NaN at") && text.contains("trial 5"), text)
    }

    func testUnknownBehaviorListsTheSeries() {
        var options = ImportFixtures.reachOptions
        options.behavior = ["eye_position"]
        let text = message("reach.nwb", options)
        XCTAssertTrue(text.contains("no TimeSeries named 'eye_position'") && text.contains("/processing/behavior/EMG"), text)
    }

    func testBehaviorNotCoveringTheWindow() {
        var trials = TrialTable(location: "test", count: 1)
        trials.set("start_time", .numbers([0]))
        trials.set("stop_time", .numbers([2]))
        trials.set("go_cue_time", .numbers([1]))
        trials.set("condition", .numbers([1]))
        let short = BehaviorSeries(name: "emg", location: "test", sampleCount: 3, channels: 1, values: [1, 2, 3], times: .regular(startS: 0, rateHz: 2))
        let recording = Recording(source: "memory.mat", format: .matV5, units: [SpikeTrain(id: 1, timesS: [])], trials: trials, behavior: [short])
        var options = ImportOptions()
        options.windowStartMs = -100
        options.windowEndMs = 100
        options.binMs = 50
        options.trainFraction = 1
        // Bin centres 0.925…1.075 s; the series ends at 1 s: no extrapolation.
        let text = importErrorMessage { _ = try RecordingImporter.dataset(from: recording, options: options) }
        XCTAssertTrue(text.contains("covers 0.0…1.0 s, but trial 0 needs a value at 1.025 s"), text)
    }

    func testBadOptions() {
        var options = ImportFixtures.reachOptions
        options.binMs = 30
        XCTAssertTrue(message("reach.nwb", options).contains("expected a whole number"))
        options = ImportFixtures.reachOptions
        options.windowEndMs = -500
        XCTAssertTrue(message("reach.nwb", options).contains("end > start"))
        options = ImportFixtures.reachOptions
        options.heldOutConditions = ["down", "left", "right", "up"]
        XCTAssertTrue(message("reach.nwb", options).contains("no training condition"))
    }

    func testMATWithoutSpikes() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("import-errors-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("nospikes.npz")
        try NPZArchive(["trials_start_time": NPYArray([0.0]), "trials_stop_time": NPYArray([1.0])], fileName: "nospikes.npz").write(to: url)
        let text = importErrorMessage { _ = try RecordingImporter.importRecording(url: url, options: ImportFixtures.alignmentOptions) }
        XCTAssertTrue(text.contains("no variable 'spike_times'") && text.contains("trials_start_time"), text)
    }
}
