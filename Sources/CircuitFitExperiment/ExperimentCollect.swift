import Foundation
import CircuitFitCore
import CircuitFitModel
import CircuitFitAnalysis
import CircuitFitReport
import CircuitFitCircuit
import CircuitFitFitting

/// What `collect` wrote: the claims and where the files are.
public struct CollectedExperiment: Sendable {
    public var rows: [ResultRow]
    public var missing: [FitUnit]
    public var claims: [Claim]
}

/// `claims.json`: the claims with the experiment's identity.
public struct ClaimsFile: Codable, Sendable {
    public var circuitfitVersion = CircuitFitVersion.string
    public var significance = claimSignificance
    public var rows: Int
    public var fitsMissing: [String]
    public var claims: [Claim]

    enum CodingKeys: String, CodingKey {
        case circuitfitVersion = "circuitfit_version"
        case significance
        case rows
        case fitsMissing = "fits_missing"
        case claims
    }
}

extension ExperimentFolder {
    /// Merges every finished fit into `results.csv`, judges the claims into `claims.json` and
    /// draws `report.html`. Fits still missing (pending or failed) are listed, never invented.
    public func collect(wallTimeSeconds: Double?, commandLine: String, created: Date = Date()) throws -> CollectedExperiment {
        let (rows, missing) = try finishedRows()
        // the paper's and the mechanism claims are about fits without perturbation trials
        let control = rows.filter { $0.perturbationSetCount == 0 }
        let claims = judgeClaims(control, arms: config.arms, lambdas: config.lambdas, recordCounts: config.recordCounts)
            + judgeMechanismClaims(control, arms: config.arms, lambdas: config.lambdas, recordCounts: config.recordCounts, auditOn: config.audit)
            + judgePerturbationClaims(rows, arms: config.arms, lambdas: config.lambdas, recordCounts: config.recordCounts, perturbationSets: config.perturbationSetCounts)
        try AtomicFile.writeText(ResultRow.csv(rows), to: url.appendingPathComponent("results.csv"))
        try AtomicFile.write(
            OutputFolder.json(ClaimsFile(rows: rows.count, fitsMissing: missing.map(\.id), claims: claims)),
            to: url.appendingPathComponent("claims.json"))
        let formatter = ISO8601DateFormatter()
        var report = ExperimentReportBuilder(folder: self, rows: rows, claims: claims, wallTimeSeconds: wallTimeSeconds, commandLine: commandLine)
            .build(created: formatter.string(from: created))
        if !missing.isEmpty {
            report.notes.insert("\(missing.count) fit(s) missing (failed or not run): \(missing.prefix(10).map(\.id).joined(separator: ", "))\(missing.count > 10 ? ", …" : ""); every number here is from the fits that finished.", at: 0)
        }
        try HTMLReport.write(report, to: url.appendingPathComponent("report.html"))
        return CollectedExperiment(rows: rows, missing: missing, claims: claims)
    }
}
