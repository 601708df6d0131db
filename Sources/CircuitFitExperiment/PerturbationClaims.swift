import Foundation

/// The perturbation claims' statements (docs/method.md#perturbation-claims), in the order judged.
enum PerturbationStatement {
    static func improves(_ m: Int) -> String {
        "Perturbation trials of recorded neurons improve the prediction of held-out perturbations (their effect on the outputs) at M = \(m)."
    }
    /// p1 as listed when the plan has no P > 0 (then there is no M to judge it at).
    static let improvesAnyM = "Perturbation trials of recorded neurons improve the prediction of held-out perturbations (their effect on the outputs) at each M > 0 of a plan with perturbation sets."
    static let grows = "The gain in predicting held-out perturbations grows with the number of training perturbation sets P."
}

/// Judges the perturbation claims within each arm on the converged fits at the smallest λ > 0:
/// p1 at every M > 0, the held-out sets' mean output R² with the largest P against P = 0; p2,
/// averaged over M, the largest P against the smallest P > 0. Paired one-sided Wilcoxon tests
/// across seeds, three states as `judgeClaims` (the same test and reason texts). Without P > 0
/// in the plan, λ > 0, M > 0, or rows with held-out perturbation scores, each claim is listed
/// undecided with that reason.
public func judgePerturbationClaims(
    _ allRows: [ResultRow], arms: [ExperimentArm], lambdas: [Double], recordCounts: [Int], perturbationSets: [Int]
) -> [Claim] {
    let rows = allRows.filter(\.converged)
    let ms = recordCounts.filter { $0 > 0 }.sorted()
    let ps = Array(Set(perturbationSets.filter { $0 > 0 })).sorted()
    let lambdaStar = lambdas.filter { $0 > 0 }.min()
    let r2: (ResultRow) -> Double? = { $0.perturbation?.outputR2 }
    var out: [Claim] = []
    for arm in arms {
        let armAll = allRows.filter { $0.arm == arm && $0.lambda == lambdaStar }
        let armRows = rows.filter { $0.arm == arm && $0.lambda == lambdaStar }
        let seeds = Array(Set(armRows.map(\.seed))).sorted()
        func row(_ seed: UInt64, _ m: Int, _ p: Int) -> ResultRow? {
            armRows.first { $0.seed == seed && $0.record == m && $0.perturbationSetCount == p }
        }
        /// Per seed: R²(M, P = a) − R²(M, P = b), averaged over `over`; seeds missing one are left out.
        func differences(over: [Int], a: Int, b: Int) -> [Double] {
            seeds.compactMap { s in
                var d: [Double] = []
                for m in over {
                    guard let x = row(s, m, a).flatMap(r2), let y = row(s, m, b).flatMap(r2), x.isFinite, y.isFinite else { return nil }
                    d.append(x - y)
                }
                return d.isEmpty ? nil : mean(d)
            }
        }
        func notConverged(_ m: [Int], _ p: [Int]) -> Int {
            Set(armAll.filter { !$0.converged && m.contains($0.record) && p.contains($0.perturbationSetCount) }.map(\.fitID)).count
        }
        func byP(_ m: Int) -> String {
            ([0] + ps).map { p in "P=\(p): \(fmt(median(armRows.filter { $0.record == m && $0.perturbationSetCount == p }.map(r2))))" }.joined(separator: " → ")
        }
        // A plan without P > 0 lists p1 once per arm (not once per M): nothing is judged at any M.
        let statements = (ps.isEmpty || ms.isEmpty ? [("p1", PerturbationStatement.improvesAnyM)] : ms.map { ("p1-m\($0)", PerturbationStatement.improves($0)) })
            + [("p2", PerturbationStatement.grows)]
        let missing: String? = ps.isEmpty ? "the plan has no perturbation sets P > 0 (experiment --perturbation-sets 0,1,4,16)"
            : lambdaStar == nil ? "no λ > 0 in the experiment: perturbation trials need the neural term's tied units"
            : ms.isEmpty ? "no M > 0 in the experiment: perturbation trials need recorded neurons"
            : !allRows.contains(where: { $0.arm == arm && $0.perturbation != nil }) ? "no result row carries held-out perturbation scores (the dataset has no perturbation table with held-out sets, or no fit has finished)"
            : nil
        if let missing {
            out += statements.map { Claim(id: $0.0, arm: arm.rawValue, statement: $0.1, criterion: "", numbers: "", conditions: [], fitsNotConverged: 0, undecidedReason: missing) }
            continue
        }
        let l = fmt(lambdaStar!), large = ps.last!, small = ps[0]
        for m in ms {
            let better = pairedTest(
                name: "held-out perturbations", criterion: "held-out perturbation output R²(P = \(large)) − R²(P = 0) at M = \(m), λ = \(l) > 0",
                differences: differences(over: [m], a: large, b: 0))
            out.append(Claim(
                id: "p1-m\(m)", arm: arm.rawValue, statement: PerturbationStatement.improves(m),
                criterion: "\(better.criterion) by a one-sided paired Wilcoxon test across seeds at p < \(claimSignificance) (R² of the predicted against the true change in the outputs, mean over the held-out sets)",
                numbers: "held-out perturbation output R² at M = \(m), λ = \(l): " + byP(m),
                conditions: [better], fitsNotConverged: notConverged([m], [0, large])))
        }
        guard small != large else {
            out.append(Claim(id: "p2", arm: arm.rawValue, statement: PerturbationStatement.grows, criterion: "needs two values of P > 0", numbers: "",
                             conditions: [], fitsNotConverged: 0, undecidedReason: "only one P > 0 (P = \(small)): a growth with P cannot be tested"))
            continue
        }
        let grows = pairedTest(
            name: "grows with P", criterion: "held-out perturbation output R²(P = \(large)) − R²(P = \(small)) at λ = \(l), averaged over M ∈ \(ms), > 0",
            differences: differences(over: ms, a: large, b: small))
        out.append(Claim(
            id: "p2", arm: arm.rawValue, statement: PerturbationStatement.grows,
            criterion: "\(grows.criterion) by a one-sided paired Wilcoxon test across seeds at p < \(claimSignificance)",
            numbers: "held-out perturbation output R² at λ = \(l) by M: " + ms.map { "M=\($0): \(byP($0))" }.joined(separator: "; "),
            conditions: [grows], fitsNotConverged: notConverged(ms, [small, large])))
    }
    return out
}
