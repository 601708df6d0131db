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

/// The libhdf5 wrapper and the NWB reader on pynwb's files.
final class ImportHDF5Tests: XCTestCase {
    private let reach = ImportFixtures.url("reach.nwb")

    func testStructureAttributesAndTypedReads() throws {
        let file = try HDF5File(url: reach)
        XCTAssertTrue(try file.members(of: "/").contains("units"))
        XCTAssertEqual(file.kind(of: "/units"), .group)
        XCTAssertEqual(file.kind(of: "/units/spike_times"), .dataset)
        XCTAssertNil(file.kind(of: "/units/nothing"))
        XCTAssertNil(file.kind(of: "/nothing/at/all"))
        XCTAssertEqual(try file.stringAttribute("neurodata_type", of: "/units"), "Units")
        XCTAssertEqual(try file.stringAttribute("neurodata_type", of: "/units/spike_times_index"), "VectorIndex")
        XCTAssertNil(try file.stringAttribute("absent", of: "/units"))
        XCTAssertEqual(try file.doubleAttribute("rate", of: "/processing/behavior/EMG/starting_time"), 100)
        XCTAssertTrue(try file.attributeNames(of: "/units").contains("colnames"))

        let ids = try file.readInt64s("/units/id")
        XCTAssertEqual(ids.shape, [3])
        XCTAssertEqual(ids.values, [11, 23, 42])
        let index = try file.readInt64s("/units/spike_times_index")  // stored as uint16 by pynwb
        XCTAssertEqual(index.values.count, 3)
        XCTAssertEqual(try file.info("/units/spike_times").shape, [Int(index.values[2])])
        let targets = try file.readStrings("/intervals/trials/target")
        XCTAssertEqual(targets.shape, [80])
        XCTAssertEqual(Set(targets.values), ["down", "left", "right", "up"])
        let emg = try file.readDoubles("/processing/behavior/EMG/data")  // float32, gzip
        XCTAssertEqual(emg.shape, [13498, 2])
        XCTAssertEqual(emg.values[0], 1000, accuracy: 1e-3, "stored in mV before conversion")
        XCTAssertEqual(try file.readDoubles("/processing/behavior/EMG/starting_time").shape, [], "scalar")
    }

    func testTypedReadErrorsNameFileAndPath() throws {
        let file = try HDF5File(url: reach)
        let strings = importErrorMessage { _ = try file.readDoubles("/intervals/trials/target") }
        XCTAssertTrue(strings.hasSuffix("reach.nwb: /intervals/trials/target: holds strings, expected numbers"), strings)
        let floats = importErrorMessage { _ = try file.readInt64s("/units/spike_times") }
        XCTAssertTrue(floats.contains("/units/spike_times: holds floating-point numbers, expected integers"), floats)
        let missing = importErrorMessage { _ = try file.readDoubles("/units/nothing") }
        XCTAssertTrue(missing.contains("reach.nwb: /units/nothing: not found"), missing)
        let group = importErrorMessage { _ = try file.readDoubles("/units") }
        XCTAssertTrue(group.contains("/units: is a group, expected a dataset"), group)
    }

    /// Every file, dataset, attribute and type handle is closed, after success and after errors.
    func testNoHandlesLeftOpen() throws {
        XCTAssertEqual(HDF5Library.openObjectCount, 0)
        var options = ImportFixtures.reachOptions
        options.behavior = ["EMG", "hand_velocity"]
        _ = try RecordingImporter.importRecording(url: reach, options: options)
        _ = try RecordingImporter.importRecording(url: ImportFixtures.url("recording_v73.mat"), options: ImportFixtures.alignmentOptions)
        options.behavior = ["force"]
        XCTAssertThrowsError(try RecordingImporter.importRecording(url: reach, options: options))
        XCTAssertThrowsError(try RecordingImporter.importRecording(url: ImportFixtures.url("no_units.nwb"), options: options))
        XCTAssertThrowsError(try HDF5File(url: reach).readDoubles("/intervals/trials/target"))
        XCTAssertEqual(HDF5Library.openObjectCount, 0)
        let open = try HDF5File(url: reach)
        XCTAssertEqual(HDF5Library.openObjectCount, 1)
        _ = open.kind(of: "/units")
    }

    func testTimeSeriesByPathAndSearch() throws {
        let file = try HDF5File(url: reach)
        XCTAssertEqual(NWBReader.timeSeriesPaths(in: file), ["/processing/behavior/EMG", "/processing/behavior/force", "/acquisition/hand_velocity"])
        let byPath = try NWBReader.readTimeSeries(named: "processing/behavior/EMG", in: file)
        XCTAssertEqual(byPath.location, "/processing/behavior/EMG")
        XCTAssertEqual(byPath.times, .regular(startS: 0, rateHz: 100))
        XCTAssertEqual(byPath.unit, "V")
        XCTAssertEqual(byPath.values[0], 1, accuracy: 1e-6, "conversion 1e-3 applied")
        let velocity = try NWBReader.readTimeSeries(named: "hand_velocity", in: file)
        guard case .timestamps(let times) = velocity.times else { return XCTFail("expected timestamps") }
        XCTAssertEqual(times.count, velocity.sampleCount)
        XCTAssertEqual(velocity.channels, 1)
    }

    func testNWBUnitsAndTrials() throws {
        let recording = try NWBReader.read(reach)
        XCTAssertEqual(recording.units.map(\.id), [11, 23, 42])
        XCTAssertEqual(recording.units.map(\.timesS.count).reduce(0, +), try HDF5File(url: reach).info("/units/spike_times").count)
        XCTAssertEqual(recording.trials.count, 80)
        XCTAssertEqual(recording.trials.columnNames, ["go_cue_time", "reach_angle", "start_time", "stop_time", "target"])
        guard case .strings(let targets) = try recording.trials.column("target", in: "x") else { return XCTFail("target should hold strings") }
        XCTAssertEqual(targets.count, 80)
    }
}
