import Foundation
import XCTest
@testable import CircuitFitCore
@testable import CircuitFitFitting
@testable import CircuitFitExperiment

/// A result row for `unit` scored at M = `record`, with the metrics of the golden metrics.json
/// (for tests of the experiment's bookkeeping, where the numbers do not matter).
func goldenRow(unit: FitUnit, record: Int) throws -> ResultRow {
    let url = JSONGoldenTests.folder.appendingPathComponent("fit-metrics.json")
    let metrics = try JSONDecoder().decode(FitMetrics.self, from: Data(contentsOf: url))
    return ResultRow(seed: unit.seed, arm: unit.arm, record: record, lambda: unit.lambda, fitID: unit.id, mapping: .identity,
                     hidden: 10, iterationsRun: 1, stop: "budget", trainSeconds: 0, metrics: metrics)
}
