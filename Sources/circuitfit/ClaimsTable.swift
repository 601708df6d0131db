import Foundation
import CircuitFitExperiment

/// The claims table printed at the end of an experiment and by `demo`.
enum ClaimsTable {
    static func render(_ claims: [Claim]) -> String {
        var out = "claims (one-sided paired Wilcoxon signed-rank across seeds, p < \(claimSignificance)):\n"
        out += "  claim  arm              holds   Δ median [IQR]                 p        n\n"
        for c in claims {
            let d = c.difference.map { "\(fmtNumber($0.median)) [\(fmtNumber($0.lowerQuartile)), \(fmtNumber($0.upperQuartile))]" } ?? "—"
            let p = c.wilcoxon.map { $0.pValue < 1e-3 ? String(format: "%.1e", $0.pValue) : String(format: "%.4f", $0.pValue) } ?? "—"
            let n = c.wilcoxon.map { "\($0.n)" } ?? "\(c.difference?.count ?? 0)"
            out += "  " + c.id.padding(toLength: 5, withPad: " ", startingAt: 0) + "  " + c.arm.padding(toLength: 15, withPad: " ", startingAt: 0)
                + "  " + (c.holds ? "yes" : "NO ").padding(toLength: 6, withPad: " ", startingAt: 0)
                + "  " + d.padding(toLength: 29, withPad: " ", startingAt: 0) + "  " + p.padding(toLength: 7, withPad: " ", startingAt: 0) + "  " + n + "\n"
        }
        for c in claims { out += "  [\(c.id), \(c.arm)] \(c.statement)\n      \(c.numbers)\n" }
        return out
    }
}

func fmtNumber(_ x: Double) -> String { abs(x) < 0.01 && x != 0 ? String(format: "%.2e", x) : String(format: "%.3f", x) }
