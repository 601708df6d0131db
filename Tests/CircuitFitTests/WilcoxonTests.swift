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

/// The Wilcoxon signed-rank test against table values worked out by hand and against SciPy.
final class WilcoxonTests: XCTestCase {
    let twoSided = WilcoxonSignedRank()
    let greater = WilcoxonSignedRank(alternative: .greater)

    func testClassicExactValues() throws {
        // n = 5, all positive: W+ = 15 is the largest of 2⁵ outcomes.
        let five = try twoSided.test(differences: [1, 2, 3, 4, 5])
        XCTAssertEqual(five.wPlus, 15); XCTAssertEqual(five.wMinus, 0); XCTAssertEqual(five.n, 5)
        XCTAssertEqual(five.pValue, 0.0625, accuracy: 1e-15)
        XCTAssertEqual(five.method, .exact)
        XCTAssertEqual(try greater.test(differences: [1, 2, 3, 4, 5]).pValue, 1.0 / 32, accuracy: 1e-15)
        XCTAssertEqual(try WilcoxonSignedRank(alternative: .less).test(differences: [1, 2, 3, 4, 5]).pValue, 1, accuracy: 1e-15)
        // n = 10, all positive: 2 / 2¹⁰.
        let ten = try twoSided.test((1...10).map { Double($0) + 0.5 }, Array(repeating: 0.25, count: 10))
        XCTAssertEqual(ten.pValue, 0.001953125, accuracy: 1e-15)
        XCTAssertEqual(ten.wPlus, 55)
        // n = 6, W− = 6: 14 of the 64 subsets of {1…6} sum to ≤ 6, so p = 2·14/64.
        let six = try twoSided.test(differences: [1, 2, 3, 4, 5, -6])
        XCTAssertEqual(six.wPlus, 15); XCTAssertEqual(six.wMinus, 6)
        XCTAssertEqual(six.pValue, 0.4375, accuracy: 1e-15)
        // n = 8, W− = 3: subsets {}, {1}, {2}, {3}, {1,2}: p = 2·5/256.
        XCTAssertEqual(try twoSided.test(differences: [-1, -2, 3, 4, 5, 6, 7, 8]).pValue, 0.0390625, accuracy: 1e-15)
    }

    func testZerosAreDroppedAndTiesGetAverageRanks() throws {
        // d = [0, 1, 1, −2, 3, 3, 3]: the zero goes, ranks 1.5, 1.5, 3, 5, 5, 5.
        let r = try twoSided.test(differences: [0, 1, 1, -2, 3, 3, 3])
        XCTAssertEqual(r.n, 6); XCTAssertEqual(r.zerosDropped, 1); XCTAssertTrue(r.hasTies)
        XCTAssertEqual(r.wPlus, 18); XCTAssertEqual(r.wMinus, 3)
        // Doubled ranks {3, 3, 6, 10, 10, 10}: 5 of 64 sign patterns give 2W− ≤ 6.
        XCTAssertEqual(r.pValue, 10.0 / 64, accuracy: 1e-15)
        XCTAssertEqual(r.medianDifference, 1)
        XCTAssertEqual(try twoSided.test([3, 1, 2], [1, 1, 5]).medianDifference, 0)
    }

    func testBadInput() {
        XCTAssertThrowsError(try twoSided.test([1, 2], [1])) { e in
            XCTAssertTrue((e as? CircuitFitError)?.message.contains("paired") ?? false)
        }
        XCTAssertThrowsError(try twoSided.test(differences: [0, 0, 0])) { e in
            XCTAssertTrue((e as? CircuitFitError)?.message.contains("zero") ?? false)
        }
        XCTAssertThrowsError(try twoSided.test([1, .nan], [0, 0])) { e in
            XCTAssertTrue((e as? CircuitFitError)?.message.contains("nan") ?? false)
        }
    }

    /// Samples for the SciPy comparison: continuous and tied, small and large, with zeros.
    func samples() -> [(name: String, d: [Double], scipyMethod: String)] {
        var g = SeededRandom(seed: 1234)
        var out: [(String, [Double], String)] = []
        for n in [6, 9, 13, 20, 25] {
            out.append(("exact n=\(n)", (0..<n).map { _ in g.normal(mean: 0.4, sd: 1) }, "'exact'"))
        }
        for n in [26, 40, 80] {
            out.append(("approx n=\(n)", (0..<n).map { _ in g.normal(mean: 0.3, sd: 1) }, "'approx'"))
        }
        // Ties and zeros (values on a half-integer grid): for n ≤ 13 SciPy's sign-flip permutation
        // test enumerates all 2ⁿ patterns, which is what the doubled-rank enumeration computes.
        for n in [8, 12, 13] {
            out.append(("tied n=\(n)", (0..<n).map { _ in (2 * g.normal(mean: 0.5, sd: 1.5)).rounded() / 2 }, "stats.PermutationMethod()"))
        }
        for n in [40, 70] {   // over 25 non-zero differences even after zeros are dropped
            out.append(("tied approx n=\(n)", (0..<n).map { _ in (2 * g.normal(mean: 0.5, sd: 1.5)).rounded() / 2 }, "'approx'"))
        }
        return out
    }

    func testPValuesAgreeWithSciPy() throws {
        try PythonReference.requireNumPy(scipy: true)
        let cases = samples()
        var arrays: [String: (shape: [Int], values: [Double])] = [:]
        var calls: [String] = []
        for (i, c) in cases.enumerated() {
            arrays["d\(i)"] = PythonReference.vector(c.d)
            for alt in ["two-sided", "greater", "less"] {
                calls.append("out['\(i) \(alt)'] = float(stats.wilcoxon(load('d\(i)'), alternative='\(alt)', method=\(c.scipyMethod), correction=True).pvalue)")
            }
        }
        let script = "from scipy import stats\nout = {}\n" + calls.joined(separator: "\n") + "\nprint(json.dumps(out))\n"
        let ref = try PythonReference.evaluate(script, arrays: arrays)
        for (i, c) in cases.enumerated() {
            XCTAssertTrue(c.name.hasPrefix("tied") ? c.d.contains(0) || Set(c.d.map(abs)).count < c.d.count : true)
            for (alt, test) in [("two-sided", twoSided), ("greater", greater), ("less", WilcoxonSignedRank(alternative: .less))] {
                let mine = try test.test(differences: c.d)
                let theirs = try XCTUnwrap(PythonReference.doubles(ref["\(i) \(alt)"]).first, "\(c.name) \(alt)")
                XCTAssertEqual(mine.pValue, theirs, accuracy: 1e-12 + 1e-9 * theirs, "\(c.name) \(alt)")
                XCTAssertEqual(mine.method, c.scipyMethod == "'approx'" ? .normalApproximation : .exact, c.name)
            }
        }
    }
}
