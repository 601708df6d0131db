import Foundation
import CircuitFitCore
import CircuitFitModel
import CircuitFitAnalysis
import CircuitFitReport
import CircuitFitCircuit
import CircuitFitFitting

/// One of the paper's claims (docs/method.md#the-claims) judged on an experiment's rows: the numbers, their
/// spread over seeds, a paired Wilcoxon signed-rank test across seeds, and whether it holds.
/// Thresholds are fixed here, before any numbers are seen, and never tuned.
public struct Claim: Codable, Equatable, Sendable {
    public var id: String
    public var arm: String
    public var statement: String
    /// How the claim is decided (the test and its threshold).
    public var criterion: String
    public var numbers: String
    /// Per-seed paired differences summarised as median [lower quartile, upper quartile].
    public var difference: SampleSummary?
    public var wilcoxon: WilcoxonResult?
    public var holds: Bool
    /// Why a claim could not be judged (too few seeds or rows), if so.
    public var undecided: String?
}

/// Claims are judged at this significance level, one-sided, paired across seeds.
public let claimSignificance = 0.05

/// Judges the claims of docs/method.md#the-claims on `rows`, within each arm and across arms.
public func judgeClaims(_ rows: [ResultRow], arms: [ExperimentArm], lambdas: [Double], recordCounts: [Int]) -> [Claim] {
    guard let lambdaStar = lambdas.filter({ $0 > 0 }).min() else {
        return [Claim(id: "all", arm: "", statement: "the claims compare λ = 0 with λ > 0", criterion: "", numbers: "",
                      difference: nil, wilcoxon: nil, holds: false, undecided: "no λ > 0 in the experiment")]
    }
    let ms = recordCounts.filter { $0 > 0 }.sorted()
    var claims: [Claim] = []
    for arm in arms {
        let table = RowIndex(rows.filter { $0.arm == arm })
        let n = table.populationNeurons
        // Claim 1: task-only fits the outputs, but its dynamics similarity is lower.
        let taskNMSE = table.values(lambda: 0, record: ms.first ?? 0, \.metrics.outputNMSETrain)
        let medTask = median(taskNMSE.map(\.1))
        let d1 = table.perSeedMeanDifference(ms, { $0.metrics.ccaMean }, a: lambdaStar, b: 0)
        claims.append(decide(
            id: "1", arm: arm.rawValue,
            statement: "Standard training (λ = 0) fits the outputs, but its dynamics similarity to the circuit is clearly lower than with the neural term.",
            criterion: "median training output NMSE at λ = 0 < 0.01, and CCA(λ = \(fmt(lambdaStar))) − CCA(λ = 0), averaged over M ∈ \(ms), > 0 by a one-sided paired Wilcoxon test across seeds at p < \(claimSignificance)",
            numbers: "λ = 0 training output NMSE \(fmt(medTask)); CCA mean by M (λ = 0 → λ = \(fmt(lambdaStar))): " + ms.map { m in
                "M=\(m): \(fmt(median(table.values(lambda: 0, record: m, \.metrics.ccaMean).map(\.1)))) → \(fmt(median(table.values(lambda: lambdaStar, record: m, \.metrics.ccaMean).map(\.1))))"
            }.joined(separator: ", "),
            differences: d1, extraCondition: medTask < 0.01, extraFailure: "λ = 0 does not fit the outputs (median NMSE \(fmt(medTask)) ≥ 0.01)"))

        // Claim 2: with the neural term, similarity is already high for a few percent of N, and rises with M.
        let small = ms.filter { Double($0) <= 0.05 * Double(max(n, 1)) }.max() ?? ms.first
        let large = ms.max()
        if let small, let large, small != large {
            let atSmall = table.pairs(record: small, { $0.metrics.ccaMean }, a: lambdaStar, b: 0)
            let rise = table.pairsAcrossM(lambda: lambdaStar, { $0.metrics.ccaMean }, high: large, low: small)
            let c0 = median(table.values(lambda: 0, record: small, \.metrics.ccaMean).map(\.1))
            let cs = median(table.values(lambda: lambdaStar, record: small, \.metrics.ccaMean).map(\.1))
            let cl = median(table.values(lambda: lambdaStar, record: large, \.metrics.ccaMean).map(\.1))
            let share = (cs - c0) / (cl - c0)
            var claim = decide(
                id: "2", arm: arm.rawValue,
                statement: "With the neural term, similarity is already high for a small fraction of sampled neurons (a few percent of N) and rises with M.",
                criterion: "at M = \(small) (\(fmt(100 * Double(small) / Double(max(n, 1))))% of N = \(n)) CCA(λ = \(fmt(lambdaStar))) > CCA(λ = 0), and CCA(M = \(large)) > CCA(M = \(small)) at λ = \(fmt(lambdaStar)); both one-sided paired Wilcoxon tests across seeds at p < \(claimSignificance)",
                numbers: "CCA mean at M = \(small): \(fmt(c0)) (λ = 0) → \(fmt(cs)) (λ = \(fmt(lambdaStar))); at M = \(large): \(fmt(cl)); M = \(small) reaches \(fmt(100 * share))% of the gain at M = \(large)",
                differences: atSmall, extraCondition: true, extraFailure: "")
            let riseTest = try? WilcoxonSignedRank(alternative: .greater).test(differences: rise)
            let riseHolds = (riseTest?.pValue ?? 1) < claimSignificance && (median(rise) > 0)
            claim.numbers += "; rise M = \(small) → \(large): Δ median \(fmt(median(rise))), p = \(riseTest.map { fmtP($0.pValue) } ?? "n/a")"
            if !riseHolds && claim.holds { claim.holds = false; claim.numbers += " (does not rise significantly)" }
            claims.append(claim)
        }

        // Claim 3: the neural term lowers the output error on held-out conditions.
        let d3 = table.perSeedMeanDifference(ms, { $0.metrics.outputNMSEHeldout }, a: 0, b: lambdaStar)
        claims.append(decide(
            id: "3", arm: arm.rawValue,
            statement: "The neural term lowers the output error on held-out conditions.",
            criterion: "NMSE_heldout(λ = 0) − NMSE_heldout(λ = \(fmt(lambdaStar))), averaged over M ∈ \(ms), > 0 by a one-sided paired Wilcoxon test across seeds at p < \(claimSignificance)",
            numbers: "held-out output NMSE by M (λ = 0 → λ = \(fmt(lambdaStar))): " + ms.map { m in
                "M=\(m): \(fmt(median(table.values(lambda: 0, record: m, \.metrics.outputNMSEHeldout).compactMap(\.1)))) → \(fmt(median(table.values(lambda: lambdaStar, record: m, \.metrics.outputNMSEHeldout).compactMap(\.1))))"
            }.joined(separator: ", "),
            differences: d3, extraCondition: true, extraFailure: ""))
    }

    // Across arms: priors with recordings versus the plain task-only network.
    if arms.contains(.plain) && arms.contains(.priors) {
        let plain = RowIndex(rows.filter { $0.arm == .plain }), priors = RowIndex(rows.filter { $0.arm == .priors })
        var diffs: [Double] = []
        for seed in plain.seeds {
            let a = ms.compactMap { priors.row(seed: seed, lambda: lambdaStar, record: $0)?.metrics.ccaMean }
            let b = ms.compactMap { plain.row(seed: seed, lambda: 0, record: $0)?.metrics.ccaMean }
            if a.count == ms.count && b.count == ms.count { diffs.append(mean(a) - mean(b)) }
        }
        claims.append(decide(
            id: "1x", arm: "priors vs plain",
            statement: "Priors plus recordings (priors arm, λ > 0) give higher dynamics similarity than plain task-only training.",
            criterion: "CCA(priors, λ = \(fmt(lambdaStar))) − CCA(plain, λ = 0), averaged over M, > 0 by a one-sided paired Wilcoxon test at p < \(claimSignificance)",
            numbers: "CCA mean averaged over M: plain λ = 0 \(fmt(median(plain.seeds.compactMap { s in mean(ms.compactMap { plain.row(seed: s, lambda: 0, record: $0)?.metrics.ccaMean }) }))) vs priors λ = \(fmt(lambdaStar)) \(fmt(median(priors.seeds.compactMap { s in mean(ms.compactMap { priors.row(seed: s, lambda: lambdaStar, record: $0)?.metrics.ccaMean }) })))",
            differences: diffs, extraCondition: true, extraFailure: ""))
        var taskDiffs: [Double] = []
        for seed in plain.seeds {
            if let a = priors.row(seed: seed, lambda: 0, record: ms.first ?? 0)?.metrics.ccaMean,
               let b = plain.row(seed: seed, lambda: 0, record: ms.first ?? 0)?.metrics.ccaMean { taskDiffs.append(a - b) }
        }
        claims.append(decide(
            id: "0x", arm: "priors vs plain",
            statement: "Priors alone (task-only, λ = 0) make the network more circuit-like than plain task-only training.",
            criterion: "CCA(priors, λ = 0) − CCA(plain, λ = 0) > 0 by a one-sided paired Wilcoxon test at p < \(claimSignificance)",
            numbers: "CCA mean at λ = 0: plain \(fmt(median(plain.values(lambda: 0, record: ms.first ?? 0, \.metrics.ccaMean).map(\.1)))) vs priors \(fmt(median(priors.values(lambda: 0, record: ms.first ?? 0, \.metrics.ccaMean).map(\.1))))",
            differences: taskDiffs, extraCondition: true, extraFailure: ""))
    }
    return claims
}

private func decide(
    id: String, arm: String, statement: String, criterion: String, numbers: String, differences: [Double],
    extraCondition: Bool, extraFailure: String
) -> Claim {
    let summary = try? SampleSummary(differences)
    guard differences.count >= 2 else {
        return Claim(id: id, arm: arm, statement: statement, criterion: criterion, numbers: numbers, difference: summary,
                     wilcoxon: nil, holds: false, undecided: "only \(differences.count) paired seed(s)")
    }
    let test = try? WilcoxonSignedRank(alternative: .greater).test(differences: differences)
    var holds = (test?.pValue ?? 1) < claimSignificance && (summary?.median ?? 0) > 0 && extraCondition
    var text = numbers
    if !extraCondition { holds = false; text += (text.isEmpty ? "" : "; ") + extraFailure }
    return Claim(id: id, arm: arm, statement: statement, criterion: criterion, numbers: text, difference: summary,
                 wilcoxon: test, holds: holds, undecided: nil)
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
