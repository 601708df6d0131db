import Foundation
import XCTest
@testable import CircuitFit

/// ms per training iteration at the benchmark sizes, with one BLAS thread. Quick by default;
/// the full table runs by hand:
/// `CIRCUITFIT_BENCH=1 swift test --scratch-path .build-model -c release --filter ModelBenchmarkTests`
final class ModelBenchmarkTests: XCTestCase {
    func testBenchmarkIteration() {
        BLASThreads.set(1)
        let full = ProcessInfo.processInfo.environment["CIRCUITFIT_BENCH"] == "1"
        let sizes: [(H: Int, C: Int, T: Int)] = full ? [(200, 8, 120), (200, 8, 600), (500, 16, 120)] : [(200, 8, 120)]
        for (H, C, T) in sizes {
            let seconds = benchmarkIteration(hidden: H, conditions: C, steps: T, iterations: full ? 200 : 20)
            print(String(format: "benchmark H=%d C=%d T=%d: %.3f ms/iteration", H, C, T, seconds * 1000))
            XCTAssert(seconds > 0 && seconds < 1)
        }
    }
}
