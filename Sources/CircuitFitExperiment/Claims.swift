import Foundation
import CircuitFitCore
import CircuitFitModel
import CircuitFitAnalysis
import CircuitFitReport
import CircuitFitCircuit
import CircuitFitFitting

/// What the numbers say about a claim or one of its conditions (docs/method.md#the-claims).
public enum ClaimState: String, Codable, Equatable, Sendable {
    /// Every condition is met (each test at p < `claimSignificance`).
    case holds
    /// A condition that could be decided is not met.
    case doesNotHold = "does_not_hold"
    /// No condition fails, but one cannot be decided from these fits (too few seeds to reach
    /// the significance level, a single M, no held-out conditions, …); the reason says which.
    case undecided

    /// ✓, ✗ or ?, for tables.
    public var mark: String {
        switch self {
        case .holds: "✓"
        case .doesNotHold: "✗"
        case .undecided: "?"
        }
    }

    /// "holds", "does not hold", "undecided".
    public var words: String {
        switch self {
        case .holds: "holds"
        case .doesNotHold: "does not hold"
        case .undecided: "undecided"
        }
    }
}

/// One condition of a claim — a paired test across seeds, or a threshold — with its own
/// number, p-value and verdict.
public struct ClaimCondition: Codable, Equatable, Sendable {
    /// Short name, e.g. "similarity", "outputs fit", "rises with M".
    public var name: String
    /// What is tested, with its threshold.
    public var criterion: String
    /// The number decided on: the median paired difference (tests) or the thresholded value.
    public var value: Double?
    /// The one-sided Wilcoxon p-value (tests only).
    public var pValue: Double?
    /// Paired seeds (tests) or fits (thresholds) the number comes from.
    public var n: Int
    public var state: ClaimState
    /// Why, in one phrase: "p = 0.031 < 0.05", "NMSE 0.015 ≥ 0.01", "4 seeds cannot reach p < 0.05 …".
    public var reason: String
    /// Per-seed paired differences, median [lower quartile, upper quartile] (tests only).
    public var difference: SampleSummary?
    public var wilcoxon: WilcoxonResult?

    /// "similarity ✓ p = 0.031" — the condition in a table cell.
    public var summary: String { "\(name) \(state.mark) \(reason)" }
}

/// One of the paper's claims (docs/method.md#the-claims) judged on an experiment's converged fits:
/// its conditions, each with its own number and test, and the verdict in three states.
/// Thresholds are fixed here, before any numbers are seen, and never tuned.
public struct Claim: Codable, Equatable, Sendable {
    public var id: String
    public var arm: String
    public var statement: String
    /// How the claim is decided (its conditions and their thresholds).
    public var criterion: String
    public var numbers: String
    /// The first test's per-seed paired differences (kept for readers of earlier claims.json).
    public var difference: SampleSummary?
    public var wilcoxon: WilcoxonResult?
    /// state == .holds.
    public var holds: Bool
    /// The reason when the claim is undecided (nil otherwise).
    public var undecided: String?
    public var state: ClaimState
    /// Every condition's summary, e.g. "similarity ✓ p = 0.031; outputs fit ✗ NMSE 0.015 ≥ 0.01".
    public var reason: String
    public var conditions: [ClaimCondition]
    /// Fits this claim's rows come from that had not converged, and were left out.
    public var fitsNotConverged: Int

    init(id: String, arm: String, statement: String, criterion: String, numbers: String,
         conditions: [ClaimCondition], fitsNotConverged: Int, undecidedReason: String? = nil) {
        self.id = id; self.arm = arm; self.statement = statement; self.criterion = criterion
        self.conditions = conditions; self.fitsNotConverged = fitsNotConverged
        let first = conditions.first { $0.wilcoxon != nil || $0.difference != nil }
        difference = first?.difference
        wilcoxon = first?.wilcoxon
        if let undecidedReason {
            state = .undecided
            reason = undecidedReason
        } else if conditions.contains(where: { $0.state == .doesNotHold }) {
            state = .doesNotHold
            reason = conditions.map(\.summary).joined(separator: "; ")
        } else if conditions.contains(where: { $0.state == .undecided }) || conditions.isEmpty {
            state = .undecided
            reason = conditions.map(\.summary).joined(separator: "; ")
        } else {
            state = .holds
            reason = conditions.map(\.summary).joined(separator: "; ")
        }
        if fitsNotConverged > 0 {
            reason += " (\(fitsNotConverged) fit\(fitsNotConverged == 1 ? "" : "s") that did not converge left out)"
        }
        self.numbers = numbers
        holds = state == .holds
        undecided = state == .undecided ? reason : nil
    }

    enum CodingKeys: String, CodingKey {
        case id, arm, statement, criterion, numbers, difference, wilcoxon, holds, undecided, state, reason, conditions
        case fitsNotConverged = "fits_not_converged"
    }
}

/// Claims are judged at this significance level, one-sided, paired across seeds.
public let claimSignificance = 0.05

/// The claims' statements, in the order they are judged.
enum ClaimStatement {
    static let one = "Standard training (λ = 0) fits the outputs, but its dynamics similarity to the circuit is clearly lower than with the neural term."
    static let two = "With the neural term, similarity is already high for a small fraction of sampled neurons (a few percent of N) and rises with M."
    static let three = "The neural term lowers the output error on held-out conditions."
    static let oneAcross = "Priors plus recordings (priors arm, λ > 0) give higher dynamics similarity than plain task-only training."
    static let zeroAcross = "Priors alone (task-only, λ = 0) make the network more circuit-like than plain task-only training."
}

/// Judges the claims of docs/method.md#the-claims on `rows`, within each arm and across arms, on
/// the fits that converged (the others are left out and counted). A claim that cannot be judged
/// is listed as undecided with its reason, never dropped.
public func judgeClaims(_ allRows: [ResultRow], arms: [ExperimentArm], lambdas: [Double], recordCounts: [Int]) -> [Claim] {
    let rows = allRows.filter(\.converged)
    let ms = recordCounts.filter { $0 > 0 }.sorted()
    let lambdaStar = lambdas.filter { $0 > 0 }.min()
    func notConverged(_ arms: [ExperimentArm], lambdas: [Double]) -> Int {
        Set(allRows.filter { !$0.converged && arms.contains($0.arm) && lambdas.contains($0.lambda) }.map(\.fitID)).count
    }
    // Nothing to compare: every claim is listed, undecided, with the reason.
    let missing = lambdaStar == nil ? "no λ > 0 in the experiment: the claims compare λ = 0 with λ > 0"
        : !lambdas.contains(0) ? "no λ = 0 in the experiment: the claims compare λ = 0 with λ > 0"
        : ms.isEmpty ? "no M > 0 in the experiment: the claims need recorded neurons" : nil
    if let missing {
        var out: [Claim] = []
        for arm in arms {
            for (id, statement) in [("1", ClaimStatement.one), ("2", ClaimStatement.two), ("3", ClaimStatement.three)] {
                out.append(Claim(id: id, arm: arm.rawValue, statement: statement, criterion: "", numbers: "", conditions: [], fitsNotConverged: 0, undecidedReason: missing))
            }
        }
        if arms.contains(.plain) && arms.contains(.priors) {
            for (id, statement) in [("1x", ClaimStatement.oneAcross), ("0x", ClaimStatement.zeroAcross)] {
                out.append(Claim(id: id, arm: "priors vs plain", statement: statement, criterion: "", numbers: "", conditions: [], fitsNotConverged: 0, undecidedReason: missing))
            }
        }
        return out
    }
    let ls = lambdaStar!, l = fmt(ls)
    var claims: [Claim] = []
    for arm in arms {
        let table = RowIndex(rows.filter { $0.arm == arm })
        let n = table.populationNeurons
        let left = notConverged([arm], lambdas: [0, ls])

        // Claim 1: task-only fits the outputs, but its dynamics similarity is lower.
        let taskNMSE = table.values(lambda: 0, record: ms[0], \.metrics.outputNMSETrain).map(\.1)
        let fits = threshold(
            name: "outputs fit", criterion: "median training output NMSE at λ = 0 < 0.01",
            values: taskNMSE, label: "NMSE", below: 0.01)
        let similarity = pairedTest(
            name: "similarity", criterion: "CCA(λ = \(l)) − CCA(λ = 0), averaged over M ∈ \(ms), > 0",
            differences: table.perSeedMeanDifference(ms, { $0.metrics.ccaMean }, a: ls, b: 0))
        claims.append(Claim(
            id: "1", arm: arm.rawValue, statement: ClaimStatement.one,
            criterion: "\(fits.criterion), and \(similarity.criterion) by a one-sided paired Wilcoxon test across seeds at p < \(claimSignificance)",
            numbers: "λ = 0 training output NMSE \(fmt(median(taskNMSE))); CCA mean by M (λ = 0 → λ = \(l)): " + ms.map { m in
                "M=\(m): \(fmt(median(table.values(lambda: 0, record: m, \.metrics.ccaMean).map(\.1)))) → \(fmt(median(table.values(lambda: ls, record: m, \.metrics.ccaMean).map(\.1))))"
            }.joined(separator: ", "),
            conditions: [similarity, fits], fitsNotConverged: left))

        // Claim 2: with the neural term, similarity is already high for a few percent of N, and rises with M.
        let small = ms.filter { Double($0) <= 0.05 * Double(max(n, 1)) }.max() ?? ms[0]
        let large = ms.max()!
        if small == large {
            claims.append(Claim(
                id: "2", arm: arm.rawValue, statement: ClaimStatement.two, criterion: "needs two values of M > 0",
                numbers: "", conditions: [], fitsNotConverged: left,
                undecidedReason: "only one M > 0 (M = \(small)): a rise with M cannot be tested"))
        } else {
            let c0 = median(table.values(lambda: 0, record: small, \.metrics.ccaMean).map(\.1))
            let cs = median(table.values(lambda: ls, record: small, \.metrics.ccaMean).map(\.1))
            let cl = median(table.values(lambda: ls, record: large, \.metrics.ccaMean).map(\.1))
            let high = pairedTest(
                name: "high at small M",
                criterion: "at M = \(small) (\(fmt(100 * Double(small) / Double(max(n, 1))))% of N = \(n)) CCA(λ = \(l)) − CCA(λ = 0) > 0",
                differences: table.pairs(record: small, { $0.metrics.ccaMean }, a: ls, b: 0))
            let rises = pairedTest(
                name: "rises with M", criterion: "CCA(M = \(large)) − CCA(M = \(small)) at λ = \(l) > 0",
                differences: table.pairsAcrossM(lambda: ls, { $0.metrics.ccaMean }, high: large, low: small))
            claims.append(Claim(
                id: "2", arm: arm.rawValue, statement: ClaimStatement.two,
                criterion: "\(high.criterion), and \(rises.criterion); both one-sided paired Wilcoxon tests across seeds at p < \(claimSignificance)",
                numbers: "CCA mean at M = \(small): \(fmt(c0)) (λ = 0) → \(fmt(cs)) (λ = \(l)); at M = \(large): \(fmt(cl)); M = \(small) reaches \(fmt(100 * (cs - c0) / (cl - c0)))% of the gain at M = \(large)",
                conditions: [high, rises], fitsNotConverged: left))
        }

        // Claim 3: the neural term lowers the output error on held-out conditions.
        let heldOut = table.rows.contains { $0.metrics.outputNMSEHeldout != nil }
        let numbers3 = "held-out output NMSE by M (λ = 0 → λ = \(l)): " + ms.map { m in
            "M=\(m): \(fmt(median(table.values(lambda: 0, record: m, \.metrics.outputNMSEHeldout).compactMap(\.1)))) → \(fmt(median(table.values(lambda: ls, record: m, \.metrics.outputNMSEHeldout).compactMap(\.1))))"
        }.joined(separator: ", ")
        let lower = pairedTest(
            name: "held-out error", criterion: "NMSE_heldout(λ = 0) − NMSE_heldout(λ = \(l)), averaged over M ∈ \(ms), > 0",
            differences: table.perSeedMeanDifference(ms, { $0.metrics.outputNMSEHeldout }, a: 0, b: ls))
        claims.append(Claim(
            id: "3", arm: arm.rawValue, statement: ClaimStatement.three,
            criterion: "\(lower.criterion) by a one-sided paired Wilcoxon test across seeds at p < \(claimSignificance)",
            numbers: heldOut ? numbers3 : "", conditions: [lower], fitsNotConverged: left,
            undecidedReason: heldOut || table.rows.isEmpty ? nil : "the dataset has no held-out conditions"))
    }

    // Across arms: priors with recordings versus the plain task-only network.
    if arms.contains(.plain) && arms.contains(.priors) {
        let plain = RowIndex(rows.filter { $0.arm == .plain }), priors = RowIndex(rows.filter { $0.arm == .priors })
        let left = notConverged([.plain, .priors], lambdas: [0, ls])
        var diffs: [Double] = []
        for seed in plain.seeds {
            let a = ms.compactMap { priors.row(seed: seed, lambda: ls, record: $0)?.metrics.ccaMean }
            let b = ms.compactMap { plain.row(seed: seed, lambda: 0, record: $0)?.metrics.ccaMean }
            if a.count == ms.count && b.count == ms.count { diffs.append(mean(a) - mean(b)) }
        }
        let across = pairedTest(name: "similarity", criterion: "CCA(priors, λ = \(l)) − CCA(plain, λ = 0), averaged over M, > 0", differences: diffs)
        claims.append(Claim(
            id: "1x", arm: "priors vs plain", statement: ClaimStatement.oneAcross,
            criterion: "\(across.criterion) by a one-sided paired Wilcoxon test at p < \(claimSignificance)",
            numbers: "CCA mean averaged over M: plain λ = 0 \(fmt(median(plain.seeds.compactMap { s in mean(ms.compactMap { plain.row(seed: s, lambda: 0, record: $0)?.metrics.ccaMean }) }))) vs priors λ = \(l) \(fmt(median(priors.seeds.compactMap { s in mean(ms.compactMap { priors.row(seed: s, lambda: ls, record: $0)?.metrics.ccaMean }) })))",
            conditions: [across], fitsNotConverged: left))
        var taskDiffs: [Double] = []
        for seed in plain.seeds {
            if let a = priors.row(seed: seed, lambda: 0, record: ms[0])?.metrics.ccaMean,
               let b = plain.row(seed: seed, lambda: 0, record: ms[0])?.metrics.ccaMean { taskDiffs.append(a - b) }
        }
        let priorsAlone = pairedTest(name: "similarity", criterion: "CCA(priors, λ = 0) − CCA(plain, λ = 0) > 0", differences: taskDiffs)
        claims.append(Claim(
            id: "0x", arm: "priors vs plain", statement: ClaimStatement.zeroAcross,
            criterion: "\(priorsAlone.criterion) by a one-sided paired Wilcoxon test at p < \(claimSignificance)",
            numbers: "CCA mean at λ = 0: plain \(fmt(median(plain.values(lambda: 0, record: ms[0], \.metrics.ccaMean).map(\.1)))) vs priors \(fmt(median(priors.values(lambda: 0, record: ms[0], \.metrics.ccaMean).map(\.1))))",
            conditions: [priorsAlone], fitsNotConverged: notConverged([.plain, .priors], lambdas: [0])))
    }
    return claims
}

/// A one-sided paired Wilcoxon signed-rank test that the differences are > 0. Undecided when
/// it cannot reach p < `claimSignificance` whatever the data: fewer than 2 pairs, all zero, or
/// n non-zero pairs whose smallest attainable p, 2⁻ⁿ, is not below the level (n ≤ 4).
func pairedTest(name: String, criterion: String, differences: [Double]) -> ClaimCondition {
    let summary = try? SampleSummary(differences)
    var c = ClaimCondition(name: name, criterion: criterion, value: summary?.median, pValue: nil, n: differences.count,
                           state: .undecided, reason: "", difference: summary, wilcoxon: nil)
    let nonZero = differences.filter { $0 != 0 }.count
    if differences.count < 2 {
        c.reason = "only \(differences.count) paired seed\(differences.count == 1 ? "" : "s")"
        return c
    }
    if nonZero == 0 {
        c.reason = "all \(differences.count) paired differences are zero"
        return c
    }
    let smallest = pow(0.5, Double(nonZero))
    if smallest >= claimSignificance {
        let dropped = differences.count - nonZero
        c.reason = "\(nonZero) seed\(nonZero == 1 ? "" : "s")\(dropped > 0 ? " with a non-zero difference" : "") cannot reach p < \(claimSignificance) one-sided: the smallest possible p is 1/\(1 << nonZero)"
        return c
    }
    guard let test = try? WilcoxonSignedRank(alternative: .greater).test(differences: differences) else {
        c.reason = "the test is undefined for these differences"
        return c
    }
    c.wilcoxon = test
    c.pValue = test.pValue
    let median = summary?.median ?? 0
    if test.pValue < claimSignificance && median > 0 {
        c.state = .holds
        c.reason = "p = \(fmtP(test.pValue)) < \(claimSignificance)"
    } else {
        c.state = .doesNotHold
        c.reason = median > 0 ? "p = \(fmtP(test.pValue)) ≥ \(claimSignificance)" : "median Δ = \(fmt(median)) ≤ 0, p = \(fmtP(test.pValue))"
    }
    return c
}

/// A threshold on the median of `values`: holds when it is below `below`.
func threshold(name: String, criterion: String, values: [Double], label: String, below: Double) -> ClaimCondition {
    let m = median(values)
    guard m.isFinite else {
        return ClaimCondition(name: name, criterion: criterion, value: nil, pValue: nil, n: values.count,
                              state: .undecided, reason: "no converged fit to measure it on", difference: nil, wilcoxon: nil)
    }
    let ok = m < below
    return ClaimCondition(name: name, criterion: criterion, value: m, pValue: nil, n: values.count,
                          state: ok ? .holds : .doesNotHold,
                          reason: "\(label) \(fmt(m)) \(ok ? "<" : "≥") \(below)", difference: nil, wilcoxon: nil)
}

/// Rows of one arm indexed by (seed, λ, M).
struct RowIndex {
    var rows: [ResultRow]
    init(_ rows: [ResultRow]) { self.rows = rows }
    var seeds: [UInt64] { Array(Set(rows.map(\.seed))).sorted() }
    var populationNeurons: Int { rows.first?.metrics.populationNeurons ?? 0 }
    func row(seed: UInt64, lambda: Double, record: Int) -> ResultRow? {
        rows.first { $0.seed == seed && $0.lambda == lambda && $0.record == record }
    }
    func values<T>(lambda: Double, record: Int, _ key: KeyPath<ResultRow, T>) -> [(UInt64, T)] {
        rows.filter { $0.lambda == lambda && $0.record == record }.map { ($0.seed, $0[keyPath: key]) }
    }
    /// Per seed: metric(λ = a) − metric(λ = b) at one M.
    func pairs(record: Int, _ metric: (ResultRow) -> Double?, a: Double, b: Double) -> [Double] {
        seeds.compactMap { s in
            guard let x = row(seed: s, lambda: a, record: record).flatMap(metric),
                  let y = row(seed: s, lambda: b, record: record).flatMap(metric), x.isFinite, y.isFinite else { return nil }
            return x - y
        }
    }
    /// Per seed: metric(M = high) − metric(M = low) at one λ.
    func pairsAcrossM(lambda: Double, _ metric: (ResultRow) -> Double?, high: Int, low: Int) -> [Double] {
        seeds.compactMap { s in
            guard let x = row(seed: s, lambda: lambda, record: high).flatMap(metric),
                  let y = row(seed: s, lambda: lambda, record: low).flatMap(metric), x.isFinite, y.isFinite else { return nil }
            return x - y
        }
    }
    /// Per seed: the mean over `ms` of metric(λ = a) − metric(λ = b); seeds missing any M are left out.
    func perSeedMeanDifference(_ ms: [Int], _ metric: (ResultRow) -> Double?, a: Double, b: Double) -> [Double] {
        seeds.compactMap { s in
            var d: [Double] = []
            for m in ms {
                guard let x = row(seed: s, lambda: a, record: m).flatMap(metric),
                      let y = row(seed: s, lambda: b, record: m).flatMap(metric), x.isFinite, y.isFinite else { return nil }
                d.append(x - y)
            }
            return d.isEmpty ? nil : mean(d)
        }
    }
}

func mean(_ x: [Double]) -> Double { x.isEmpty ? .nan : x.reduce(0, +) / Double(x.count) }
func median(_ x: [Double]) -> Double { (try? percentile(x.filter { $0.isFinite }, 50)) ?? .nan }
func median(_ x: [Double?]) -> Double { median(x.compactMap { $0 }) }
func fmt(_ x: Double) -> String {
    if !x.isFinite { return "n/a" }
    if x == x.rounded() && abs(x) < 1e6 { return String(Int(x)) }
    return String(format: abs(x) < 0.01 ? "%.2e" : "%.3f", x)
}
func fmtP(_ p: Double) -> String { p < 1e-3 ? String(format: "%.1e", p) : String(format: "%.3f", p) }
