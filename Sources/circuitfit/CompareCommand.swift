import ArgumentParser
import Foundation
import CircuitFitCore
import CircuitFitAnalysis
import CircuitFitAudit

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Score the similarity of any two populations with CircuitFit's metrics (CCA, Procrustes, DSA).",
        discussion: """
            A and B are .npz or .npy files, each holding one population's activity as \
            [conditions, time, units] or [samples, units]; the units may differ in number, the \
            conditions and time steps (or samples) must match. Both are reduced to their top \
            --components principal components over all compared time steps, exactly as \
            `evaluate` does, then scored: mean and every canonical correlation, Procrustes shape \
            distance and angular distance (docs/method.md#the-metrics; keys: \
            docs/files.md#compare). For [conditions, time, units] arrays also the DSA angular \
            distance between their dynamics, with the conditions as trials (the audit's DSA \
            settings; --no-dsa skips it). From an .npz the array is --array-a / --array-b, else \
            the only array, else `rates`, else `recorded`.

            Examples:
              circuitfit simulate fit circuit/dataset.npz --out fit/simulate.npz
              circuitfit compare fit/simulate.npz circuit/dataset.npz --conditions 0,1,2,3,4,5,6,7
              circuitfit compare my_rnn_rates.npy circuit/dataset.npz --json
            """)

    @Argument(help: "The first population (.npz or .npy).")
    var a: String
    @Argument(help: "The second population (.npz or .npy).")
    var b: String
    @Option(help: "Array of A's .npz to compare (default: its only array, else `rates`, else `recorded`).")
    var arrayA: String?
    @Option(help: "Array of B's .npz to compare (default: as for A).")
    var arrayB: String?
    @Option(parsing: .unconditional, help: "Principal components kept from each population (default 10, as `evaluate`).")
    var components: Int = 10
    @Option(help: "Comma-separated condition indices to compare, for [conditions, time, units] arrays (default: all).")
    var conditions: String?
    @Flag(help: "Skip DSA (dynamical similarity analysis), the slowest of the metrics.")
    var noDsa = false
    @Flag(help: "Print one JSON object instead of a table.")
    var json = false
    @OptionGroup var compute: ComputeOptions

    func run() throws {
        try reportingErrors {
            try compute.apply()
            guard components >= 1 else { throw CircuitFitError("--components must be ≥ 1, got \(components)") }
            let x = try PopulationFile.read(a, array: arrayA)
            let y = try PopulationFile.read(b, array: arrayB)
            try x.requireSameGrid(as: y)
            var picked: [Int]? = nil
            if let conditions {
                guard x.shape.count == 3 else {
                    throw CircuitFitError("--conditions needs [conditions, time, units] arrays, but \(x.name) has shape \(x.shape)")
                }
                picked = try parseIndexList(conditions, option: "--conditions")
            }
            let scores = try DynamicsSimilarity(components: components).score(
                model: x.samples(conditions: picked), circuit: y.samples(conditions: picked))
            var dsa = DSASettings()
            dsa.components = components
            var dsaDistance: Double? = nil
            var dsaSkipped: String? = nil
            if noDsa {
                dsaSkipped = "--no-dsa"
            } else if x.shape.count == 2 {
                dsaSkipped = "[samples, units] arrays have no trials in time"
            } else {
                do {
                    dsaDistance = try DynamicalSimilarity(settings: dsa).distance(x.trials(conditions: picked), y.trials(conditions: picked))
                } catch let error as CircuitFitError {
                    dsaSkipped = error.message
                }
            }
            let report = PopulationComparison(
                circuitfitVersion: CircuitFitVersion.string,
                a: x.description, b: y.description, conditions: picked, components: components,
                samples: scores.samples, componentsA: scores.componentsModel, componentsB: scores.componentsCircuit,
                ccaMean: scores.ccaMean, canonicalCorrelations: scores.canonicalCorrelations,
                procrustesDistance: scores.procrustesDistance, procrustesAngularDistance: scores.angularDistance,
                dsaAngularDistance: dsaDistance, dsaSkipped: dsaSkipped, dsaSettings: dsa)
            if json {
                print(String(decoding: try OutputFolder.json(report), as: UTF8.self), terminator: "")
            } else {
                print(report.table)
            }
        }
    }
}

/// What `compare --json` prints (docs/files.md#compare).
struct PopulationComparison: Encodable {
    var circuitfitVersion: String
    var a: PopulationDescription
    var b: PopulationDescription
    var conditions: [Int]?
    var components: Int
    var samples: Int
    var componentsA: Int
    var componentsB: Int
    var ccaMean: Double
    var canonicalCorrelations: [Double]
    var procrustesDistance: Double
    var procrustesAngularDistance: Double
    /// DSA angular distance (rad) with the conditions as trials; nil with the reason in `dsaSkipped`.
    var dsaAngularDistance: Double?
    var dsaSkipped: String?
    var dsaSettings: DSASettings

    enum CodingKeys: String, CodingKey {
        case a, b, conditions, components, samples
        case circuitfitVersion = "circuitfit_version"
        case componentsA = "components_a"
        case componentsB = "components_b"
        case ccaMean = "cca_mean"
        case canonicalCorrelations = "canonical_correlations"
        case procrustesDistance = "procrustes_distance"
        case procrustesAngularDistance = "procrustes_angular_distance"
        case dsaAngularDistance = "dsa_angular_distance"
        case dsaSkipped = "dsa_skipped"
        case dsaSettings = "dsa_settings"
    }

    /// Every key is written (`conditions` as null when all were compared, the DSA keys as null
    /// when it was computed or skipped).
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(circuitfitVersion, forKey: .circuitfitVersion)
        try c.encode(a, forKey: .a)
        try c.encode(b, forKey: .b)
        try c.encode(conditions, forKey: .conditions)
        try c.encode(components, forKey: .components)
        try c.encode(samples, forKey: .samples)
        try c.encode(componentsA, forKey: .componentsA)
        try c.encode(componentsB, forKey: .componentsB)
        try c.encode(ccaMean, forKey: .ccaMean)
        try c.encode(canonicalCorrelations, forKey: .canonicalCorrelations)
        try c.encode(procrustesDistance, forKey: .procrustesDistance)
        try c.encode(procrustesAngularDistance, forKey: .procrustesAngularDistance)
        try c.encode(dsaAngularDistance, forKey: .dsaAngularDistance)
        try c.encode(dsaSkipped, forKey: .dsaSkipped)
        try c.encode(dsaSettings, forKey: .dsaSettings)
    }

    var table: String {
        let rows = [
            ("CCA mean (top \(components) PCs)", format(ccaMean, 4)),
            ("Procrustes angular distance (rad)", format(procrustesAngularDistance, 4)),
            ("Procrustes shape distance", format(procrustesDistance, 4)),
            ("DSA angular distance (rad)", dsaAngularDistance.map { format($0, 4) } ?? "— (\(dsaSkipped ?? ""))"),
        ]
        let width = rows.map(\.0.count).max()!
        var out = "A: \(a.file) '\(a.array)' \(a.shape), \(componentsA) PCs\n"
        out += "B: \(b.file) '\(b.array)' \(b.shape), \(componentsB) PCs\n"
        out += "\(samples) samples compared" + (conditions.map { " (conditions \($0.map(String.init).joined(separator: ",")))" } ?? "") + "\n"
        for (name, value) in rows { out += "  " + name.padding(toLength: width, withPad: " ", startingAt: 0) + "   " + value + "\n" }
        out += "  canonical correlations: " + canonicalCorrelations.map { format($0, 3) }.joined(separator: " ")
        return out
    }
}

/// Which file and array a compared population came from, and its shape.
struct PopulationDescription: Encodable {
    var file: String
    var array: String
    var shape: [Int]
}

/// One population read for `compare`: a finite float array [conditions, time, units] or
/// [samples, units] from an .npz or .npy file.
struct PopulationFile {
    var file: String
    var array: String
    var shape: [Int]
    var values: [Double]

    var name: String { "\(file) '\(array)'" }
    var description: PopulationDescription { PopulationDescription(file: file, array: array, shape: shape) }

    static func read(_ path: String, array requested: String?) throws -> PopulationFile {
        let url = URL(fileURLWithPath: path)
        let chosen: String
        let values: NPYArray
        if url.pathExtension.lowercased() == "npy" {
            if let requested { throw CircuitFitError("\(path) is an .npy file (one array): --array-a/--array-b '\(requested)' applies to .npz files only") }
            chosen = url.deletingPathExtension().lastPathComponent
            values = try NPYFormat.decode(Data(FileContents.read(url)), file: url.lastPathComponent)
        } else {
            let archive = try NPZArchive.read(from: url)
            if let requested {
                chosen = requested
            } else if archive.names.count == 1 {
                chosen = archive.names[0]
            } else if let name = ["rates", "recorded"].first(where: { archive[$0] != nil }) {
                chosen = name
            } else {
                throw CircuitFitError("\(path) holds \(archive.names.count) arrays (\(archive.names.joined(separator: ", "))) and none is `rates` or `recorded`: name one with --array-a/--array-b")
            }
            values = try archive.require(chosen)
        }
        guard values.shape.count == 2 || values.shape.count == 3 else {
            throw CircuitFitError("\(path): array '\(chosen)' has shape \(values.shape) but must be [conditions, time, units] or [samples, units]")
        }
        if case .int64 = values.storage {
            throw CircuitFitError("\(path): array '\(chosen)' holds integers; compare needs the population's activity as floats")
        }
        let doubles = values.doubles
        if let bad = doubles.firstIndex(where: { !$0.isFinite }) {
            throw CircuitFitError("\(path): array '\(chosen)' holds \(doubles[bad]) at \(Self.index(bad, in: values.shape)); compare needs finite values")
        }
        return PopulationFile(file: path, array: chosen, shape: values.shape, values: doubles)
    }

    /// The multi-index of flat position `flat` in a C-order array of `shape`.
    static func index(_ flat: Int, in shape: [Int]) -> [Int] {
        var rest = flat, out: [Int] = []
        for size in shape.reversed() { out.append(rest % size); rest /= size }
        return out.reversed()
    }

    /// Throws unless both are paired: the same conditions and time steps, or the same samples.
    func requireSameGrid(as other: PopulationFile) throws {
        guard shape.count == other.shape.count, shape.dropLast() == other.shape.dropLast() else {
            let what = shape.count == 3 ? "conditions and time steps" : "samples"
            throw CircuitFitError("\(name) has shape \(shape) but \(other.name) has \(other.shape): both need the same \(what) (only the units may differ)")
        }
    }

    /// The compared conditions as trials [conditions, time, units] (all when nil); 3-D arrays only.
    func trials(conditions: [Int]?) throws -> Array3<Double> {
        let cube = Array3(shape[0], shape[1], shape[2], data: values)
        guard let conditions else { return cube }
        var out = Array3<Double>(conditions.count, shape[1], shape[2], repeating: 0)
        for (i, c) in conditions.enumerated() {
            for t in 0..<shape[1] { for u in 0..<shape[2] { out[i, t, u] = cube[c, t, u] } }
        }
        return out
    }

    /// The compared samples as a (samples, units) matrix: every time step of `conditions` (all when nil).
    func samples(conditions: [Int]?) throws -> Matrix<Double> {
        if shape.count == 2 { return Matrix(rows: shape[0], cols: shape[1], data: values) }
        let cube = Array3(shape[0], shape[1], shape[2], data: values)
        do {
            return try stackConditions(cube, conditions: conditions ?? Array(0..<shape[0]))
        } catch let error as CircuitFitError {
            throw CircuitFitError("\(name): \(error.message)")
        }
    }
}
