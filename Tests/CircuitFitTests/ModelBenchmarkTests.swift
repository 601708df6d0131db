import XCTest
@testable import CircuitFit

/// Prints ms/iteration for the benchmark sizes (run by hand:
/// `swift test -c release --filter ModelBenchmarkTests`); asserts only that the numbers are sane.
final class ModelBenchmarkTests: XCTestCase {
    func testBenchmarkIteration() {
        BLASThreads.set(1)
        let small = benchmarkIteration(hidden: 200, conditions: 8, steps: 120, iterations: 50)
        print(String(format: "benchmark H=200 C=8 T=120: %.3f ms/iteration", small * 1000))
        XCTAssert(small > 0 && small < 1)
    }
}
