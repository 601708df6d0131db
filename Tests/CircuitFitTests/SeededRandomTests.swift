import XCTest
@testable import CircuitFitCore
@testable import CircuitFitModel
@testable import CircuitFitAnalysis
@testable import CircuitFitImport
@testable import CircuitFitReport
@testable import CircuitFitCircuit
@testable import CircuitFitFitting
@testable import CircuitFitExperiment

final class SeededRandomTests: XCTestCase {
    func testSameSeedSameStream() {
        var a = SeededRandom(seed: 42), b = SeededRandom(seed: 42)
        for _ in 0..<100 { XCTAssertEqual(a.next(), b.next()) }
        var c = SeededRandom(seed: 43)
        var d = SeededRandom(seed: 42)
        XCTAssertNotEqual(c.next(), d.next())
    }

    func testKnownFirstValues() {
        // xoshiro256** seeded by SplitMix64(0): first output 0x99EC5F36CB75F2B4 (reference value);
        // pinning our first outputs guards the stream against accidental changes.
        var r = SeededRandom(seed: 0)
        let first = r.next()
        var r2 = SeededRandom(seed: 0)
        XCTAssertEqual(first, r2.next())
        XCTAssertEqual(first, 0x99EC_5F36_CB75_F2B4)
    }

    func testUniformAndNormalMoments() {
        var r = SeededRandom(seed: 7)
        let n = 200_000
        var s = 0.0, s2 = 0.0
        for _ in 0..<n { let u = r.uniform(); XCTAssert(u >= 0 && u < 1); s += u; s2 += u * u }
        XCTAssertEqual(s / Double(n), 0.5, accuracy: 0.005)
        XCTAssertEqual(s2 / Double(n) - 0.25, 1.0 / 12.0 - 0.0, accuracy: 0.003)
        var m = 0.0, v = 0.0
        for _ in 0..<n { let z = r.normal(); m += z; v += z * z }
        XCTAssertEqual(m / Double(n), 0, accuracy: 0.01)
        XCTAssertEqual(v / Double(n), 1, accuracy: 0.01)
    }

    func testPermutationAndSample() {
        var r = SeededRandom(seed: 3)
        let p = r.permutation(50)
        XCTAssertEqual(p.sorted(), Array(0..<50))
        let s = r.sample(from: 100, count: 30)
        XCTAssertEqual(Set(s).count, 30)
        XCTAssert(s.allSatisfy { $0 >= 0 && $0 < 100 })
        // every index is reachable and roughly uniform
        var counts = [Int](repeating: 0, count: 10)
        for _ in 0..<20_000 { counts[r.integer(below: 10)] += 1 }
        XCTAssert(counts.allSatisfy { abs($0 - 2000) < 200 }, "\(counts)")
    }
}
