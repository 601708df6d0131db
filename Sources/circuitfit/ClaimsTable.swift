import Foundation
import CircuitFitExperiment

/// The claims table printed at the end of an experiment and by `demo`: one line per claim with
/// its verdict (holds / does not hold / undecided), then every condition with its own number and p.
enum ClaimsTable {
    static func render(_ claims: [Claim]) -> String {
        var out = "claims (one-sided paired Wilcoxon signed-rank across seeds, p < \(claimSignificance); converged fits only):\n"
        let idWidth = max(5, claims.map(\.id.count).max() ?? 0)  // "p1-m20" must not be cut
        out += "  " + "claim".padding(toLength: idWidth, withPad: " ", startingAt: 0) + "  arm              verdict        Δ median [IQR]                 p        n\n"
        for c in claims {
            let d = c.difference.map { "\(fmtNumber($0.median)) [\(fmtNumber($0.lowerQuartile)), \(fmtNumber($0.upperQuartile))]" } ?? "—"
            let p = c.wilcoxon.map { pText($0.pValue) } ?? "—"
            let n = c.wilcoxon.map { "\($0.n)" } ?? "\(c.difference?.count ?? 0)"
            out += "  " + c.id.padding(toLength: idWidth, withPad: " ", startingAt: 0) + "  " + c.arm.padding(toLength: 15, withPad: " ", startingAt: 0)
                + "  " + c.state.words.padding(toLength: 13, withPad: " ", startingAt: 0)
                + "  " + d.padding(toLength: 29, withPad: " ", startingAt: 0) + "  " + p.padding(toLength: 7, withPad: " ", startingAt: 0) + "  " + n + "\n"
        }
        for c in claims {
            out += "  [\(c.id), \(c.arm)] \(c.statement)\n"
            if c.conditions.isEmpty {
                out += "      \(c.state.mark) \(c.reason)\n"
            }
            for condition in c.conditions {
                let p = condition.pValue.map { ", p = \(pText($0))" } ?? ""
                let value = condition.value.map { " (\(condition.wilcoxon != nil ? "Δ median " : "")\(fmtNumber($0)), n = \(condition.n)\(p))" } ?? ""
                out += "      \(condition.state.mark) \(condition.name): \(condition.reason)\(value)\n"
            }
            // An undecided claim without conditions already says it in its reason.
            if c.fitsNotConverged > 0 && !c.conditions.isEmpty { out += "      \(c.fitsNotConverged) fit(s) that did not converge left out\n" }
            if !c.numbers.isEmpty { out += "      \(c.numbers)\n" }
        }
        return out
    }

    static func pText(_ p: Double) -> String { p < 1e-3 ? String(format: "%.1e", p) : String(format: "%.4f", p) }
}

func fmtNumber(_ x: Double) -> String { abs(x) < 0.01 && x != 0 ? String(format: "%.2e", x) : String(format: "%.3f", x) }
