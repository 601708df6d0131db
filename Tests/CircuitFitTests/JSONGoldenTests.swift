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

/// Every JSON file the program writes keeps its exact bytes: each golden file below was written
/// by a real run of `circuitfit` (0.2.0: /work/runs-style commands — generate, train, evaluate
/// --json, a small experiment, import — regenerated on purpose whenever a key is added); decoding
/// it with today's type and encoding it again with the writer the program uses must give the same
/// bytes. A renamed property without its JSON key, a key that moved, a changed number format or a
/// dropped null fails here. Files of 0.1 are read by `Version01FileTests`.
final class JSONGoldenTests: XCTestCase {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/golden")

    func roundTrip<T: Codable>(_ type: T.Type, _ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let original = try Data(contentsOf: Self.folder.appendingPathComponent(name))
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        let value = try decoder.decode(T.self, from: original)
        let again = try OutputFolder.json(value)
        if again != original {
            let a = String(decoding: original, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            let b = String(decoding: again, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            let first = zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }
            XCTFail("\(name): re-encoded bytes differ (\(a.count) vs \(b.count) lines)" + (first.map { "; first at line \($0.offset + 1): '\($0.element.0)' vs '\($0.element.1)'" } ?? ""), file: file, line: line)
        }
    }

    func testFitFiles() throws {
        try roundTrip(FitRecord.self, "fit-config.json")
        try roundTrip(FitRecord.self, "fit-config-lambda-auto.json")
        try roundTrip(FitMetrics.self, "fit-metrics.json")
        try roundTrip(FitEvaluation.self, "evaluate.json")
        // A recording's fit: the noise ceilings and unseen-input keys with values, not nulls.
        try roundTrip(FitEvaluation.self, "evaluate-recording.json")
    }

    func testCircuitFiles() throws {
        try roundTrip(CircuitSummary.self, "circuit-summary.json")
        try roundTrip(RunRecord<CircuitConfig>.self, "circuit-config.json")
    }

    func testExperimentFiles() throws {
        try roundTrip(ExperimentConfig.self, "experiment.json")
        try roundTrip(ClaimsFile.self, "claims.json")
        try roundTrip(UnitResult.self, "result.json")
        try roundTrip(SlurmJobsFile.self, "slurm-jobs.json")
    }

    func testImportProvenance() throws {
        try roundTrip(ImportRecord.self, "provenance.json")
    }
}

/// Files written by circuitfit 0.1 (`Fixtures/golden/v0.1/`) still read, and say what their fit
/// was: 0.1 recorded no optimiser settings, and ran Adam at a constant rate, without warm-up,
/// for every iteration.
final class Version01FileTests: XCTestCase {
    static let folder = JSONGoldenTests.folder.appendingPathComponent("v0.1")

    func testFitConfigOf01ReadsAs01sOptimiser() throws {
        let record = try JSONDecoder().decode(FitRecord.self, from: Data(contentsOf: Self.folder.appendingPathComponent("fit-config.json")))
        XCTAssertFalse(record.converged, "0.1 had no convergence criterion")
        XCTAssertEqual(record.evaluations, record.iterationsRun)
        XCTAssertEqual(record.lambdaApplied, record.config.lambda)
        let config = record.config
        XCTAssertEqual(config.optimizer, .adam)
        XCTAssertEqual(config.learningRateSchedule, .constant)
        XCTAssertEqual(config.learningRateWarmup, 0)
        XCTAssertFalse(config.stopAtConvergence)
        // what 0.1 did record is read as written, not replaced by today's defaults
        XCTAssertEqual(config.learningRate, 0.002)
        XCTAssertNotEqual(config.learningRate, FitConfig().learningRate)
        // re-encoded, it is a complete 0.2 configuration that reads back equal
        let again = try JSONDecoder().decode(FitConfig.self, from: JSONEncoder().encode(config))
        XCTAssertEqual(again, config)
    }

    func testFitConfigStillNeedsItsOtherKeys() throws {
        var json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(FitConfig())) as! [String: Any]
        json.removeValue(forKey: "hidden")
        XCTAssertThrowsError(try JSONDecoder().decode(FitConfig.self, from: JSONSerialization.data(withJSONObject: json)))
    }

    /// An experiment of 0.1 is readable for `status`, but refused for running, in one line that
    /// says why and what to do.
    func testExperimentOf01IsReadOnly() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cf-v01-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.copyItem(at: Self.folder.appendingPathComponent("experiment.json"), to: dir.appendingPathComponent("experiment.json"))
        let folder = try ExperimentFolder.load(dir, readOnly: true)
        XCTAssertEqual(folder.config.fit.learningRate, 0.002)
        XCTAssertEqual(folder.config.fit.learningRateSchedule, .constant)
        XCTAssertThrowsError(try ExperimentFolder.load(dir)) { error in
            let message = (error as? CircuitFitError)?.message ?? ""
            XCTAssertTrue(message.contains("written by circuitfit 0.1"), message)
            XCTAssertTrue(message.contains("new --out folder"), message)
            XCTAssertFalse(message.contains("\n"), message)
        }
        XCTAssertThrowsError(try ExperimentFolder.preview(dir, config: folder.config))
    }
}
