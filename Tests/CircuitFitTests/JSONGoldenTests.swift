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
/// by `circuitfit` 0.1.0 (before the code was split into layered targets and its properties
/// renamed to camelCase); decoding it with today's type and encoding it again with the writer the
/// program uses must give the same bytes. A renamed property without its JSON key, a key that
/// moved, a changed number format or a dropped null fails here.
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
        try roundTrip(FitMetrics.self, "evaluate.json")
        // A recording's fit: the noise ceilings and unseen-input keys with values, not nulls.
        try roundTrip(FitMetrics.self, "evaluate-recording.json")
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
