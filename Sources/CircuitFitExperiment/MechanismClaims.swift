import Foundation
import CircuitFitAudit

/// The mechanism claims' statements (docs/method.md § Mechanism claims), in the order judged.
enum MechanismStatement {
    static func perturbation(_ m: Int) -> String {
        "With the neural term, the effects of silencing and stimulating recorded neurons on the muscles are predicted better than by task-only training (its random-unit control) at M = \(m)."
    }
    static let spurious = "Spurious attractors (stable fixed points of the model beyond the circuit's, input off) become rarer with M."
    static let dsa = "The DSA distance between the model's and the circuit's movement dynamics falls with M."
    static let spectrum = "The distance between the model's and the circuit's linearised spectra (top PCs, 1/s) falls with M."
}

/// Judges the mechanism claims within each arm on the converged fits: paired one-sided Wilcoxon
/// tests across seeds on the audit numbers of the result rows (`ResultRow.audit`), three states
/// as `judgeClaims`. With the audit off, or where the rows carry no audit numbers (no ground
/// truth, a failed audit), each claim is undecided with that reason — never "does not hold".
public func judgeMechanismClaims(
    _ allRows: [ResultRow], arms: [ExperimentArm], lambdas: [Double], recordCounts: [Int], auditOn: Bool
) -> [Claim] {
    let rows = allRows.filter(\.converged)
    let ms = recordCounts.filter { $0 > 0 }.sorted()
    let lambdaStar = lambdas.filter { $0 > 0 }.min()
    // The M the perturbation claim is judged at: 10 when the plan has it, else the nearest.
    let mRef = ms.min { abs($0 - 10) < abs($1 - 10) }
    var out: [Claim] = []
    for arm in arms {
        let table = RowIndex(rows.filter { $0.arm == arm })
        let armAll = allRows.filter { $0.arm == arm }
        let left = Set(armAll.filter { !$0.converged && ($0.lambda == 0 || $0.lambda == lambdaStar) }.map(\.fitID)).count
        func undecided(_ id: String, _ statement: String, _ reason: String) -> Claim {
            Claim(id: id, arm: arm.rawValue, statement: statement, criterion: "", numbers: "", conditions: [], fitsNotConverged: left, undecidedReason: reason)
        }
        let audited = armAll.contains { $0.audit != nil }
        let missing: String? = !auditOn ? "the mechanism audit is off for this experiment (--no-audit)"
            : !audited ? "no result row carries audit numbers: the fits have not been audited yet (`circuitfit experiment DIR --resume` audits their saved networks without retraining), the dataset has no ground-truth circuit, or every audit failed (see the fits' audit-error.txt)"
            : lambdaStar == nil ? "no λ > 0 in the experiment"
            : ms.isEmpty ? "no M > 0 in the experiment" : nil
        let statements = [("m1", MechanismStatement.perturbation(mRef ?? 10)), ("m2", MechanismStatement.spurious),
                          ("m3", MechanismStatement.dsa), ("m4", MechanismStatement.spectrum)]
        if let missing {
            out += statements.map { undecided($0.0, $0.1, missing) }
            continue
        }
        let ls = lambdaStar!, l = fmt(ls), m = mRef!
        let small = ms[0], large = ms.last!

        // m1: perturbation effects predicted better than by the task-only network at M = mRef.
        let r2: (ResultRow) -> Double? = { $0.audit?.perturbationMuscleR2 }
        let better = pairedTest(
            name: "perturbation R²", criterion: "muscle perturbation R²(λ = \(l)) − R²(λ = 0) at M = \(m) > 0",
            differences: table.pairs(record: m, r2, a: ls, b: 0))
        out.append(Claim(
            id: "m1", arm: arm.rawValue, statement: MechanismStatement.perturbation(m),
            criterion: "\(better.criterion) by a one-sided paired Wilcoxon test across seeds at p < \(claimSignificance) (R² of the predicted against the true change in the muscles, mean over the silence/stimulate × E/I groups)",
            numbers: "muscle perturbation R² at M = \(m): \(fmt(median(table.values(lambda: 0, record: m, \.audit).map { $0.1?.perturbationMuscleR2 }))) (λ = 0, random units) → \(fmt(median(table.values(lambda: ls, record: m, \.audit).map { $0.1?.perturbationMuscleR2 }))) (λ = \(l), tied units)",
            conditions: [better], fitsNotConverged: left))

        guard small != large else {
            out += statements.dropFirst().map { undecided($0.0, $0.1, "only one M > 0 (M = \(small)): a change with M cannot be tested") }
            continue
        }
        // m2–m4: a number that should fall from the smallest to the largest M at λ*.
        let falling: [(String, String, String, (ResultRow) -> Double?)] = [
            ("m2", MechanismStatement.spurious, "spurious attractors", { $0.audit.map { Double($0.spuriousAttractors) } }),
            ("m3", MechanismStatement.dsa, "DSA angular distance (rad)", { $0.audit?.dsaAngularDistance }),
            ("m4", MechanismStatement.spectrum, "spectrum distance on top PCs (1/s)", { $0.audit?.spectrumDistancePerS }),
        ]
        for (id, statement, label, value) in falling {
            let falls = pairedTest(
                name: "falls with M", criterion: "\(label)(M = \(small)) − \(label)(M = \(large)) at λ = \(l) > 0",
                differences: table.pairsAcrossM(lambda: ls, value, high: small, low: large))
            let byM = ms.map { mm in "M=\(mm): \(fmt(median(table.rows.filter { $0.lambda == ls && $0.record == mm }.map(value))))" }
            out.append(Claim(
                id: id, arm: arm.rawValue, statement: statement,
                criterion: "\(falls.criterion) by a one-sided paired Wilcoxon test across seeds at p < \(claimSignificance)",
                numbers: "\(label) at λ = \(l) by M: " + byM.joined(separator: ", ")
                    + "; task-only (λ = 0): \(fmt(median(table.rows.filter { $0.lambda == 0 }.map(value))))",
                conditions: [falls], fitsNotConverged: left))
        }
    }
    return out
}
