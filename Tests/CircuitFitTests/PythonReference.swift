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
import CircuitFitTestSupport

/// Runs an independent reference computation in Python (NumPy, SciPy, scikit-learn) on fixtures
/// written by a test, and returns the JSON object the script prints.
///
/// Each array goes to `<name>.f64` as raw little-endian float64 in C order, listed with its shape
/// in `shapes.json`; the script gets the folder as `sys.argv[1]` and helper `load(name)`.
enum PythonReference {
    /// Exit status, stdout and stderr of `python3 args…`, or nil when python3 cannot be started.
    static func run(_ args: [String]) -> (status: Int32, out: String, err: String)? {
        guard let r = try? ChildProcess("python3", args).run() else { return nil }
        return (r.status, r.stdout, r.stderr)
    }

    /// A fresh temporary folder for one reference computation's fixtures.
    static func makeFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("circuitfit-analysis-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Throws XCTSkip unless python3 with NumPy (and SciPy, when asked) can be imported.
    static func requireNumPy(scipy: Bool = false) throws {
        let modules = scipy ? "import numpy, scipy.stats, scipy.linalg" : "import numpy"
        guard let r = run(["-c", modules]) else { throw XCTSkip("python3 is not available: skipping the Python reference comparison") }
        if r.status != 0 { throw XCTSkip("python3 cannot \(modules): skipping the Python reference comparison (\(r.err.suffix(200)))") }
    }

    /// Whether scikit-learn can be imported, installing it with pip (once per test run) if not.
    static let scikitLearnAvailable: Bool = {
        if run(["-c", "import sklearn"])?.status == 0 { return true }
        _ = run(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "scikit-learn"])
        return run(["-c", "import sklearn"])?.status == 0
    }()

    static let prelude = """
        import sys, json
        import numpy as np
        folder = sys.argv[1]
        shapes = json.load(open(folder + '/shapes.json'))
        def load(name):
            return np.fromfile(folder + '/' + name + '.f64', dtype='<f8').reshape(shapes[name])

        """

    /// Writes `arrays` (name → (shape, values in C order)), runs `script` after the prelude, and
    /// parses the JSON object it prints last.
    static func evaluate(_ script: String, arrays: [String: (shape: [Int], values: [Double])]) throws -> [String: Any] {
        let folder = try makeFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var shapes: [String: [Int]] = [:]
        for (name, array) in arrays {
            precondition(array.shape.reduce(1, *) == array.values.count, "fixture \(name): shape does not match values")
            shapes[name] = array.shape
            var data = Data(capacity: array.values.count * 8)
            for v in array.values { withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
            try data.write(to: folder.appendingPathComponent("\(name).f64"))
        }
        try JSONSerialization.data(withJSONObject: shapes).write(to: folder.appendingPathComponent("shapes.json"))
        let scriptURL = folder.appendingPathComponent("reference.py")
        try (prelude + script).write(to: scriptURL, atomically: true, encoding: .utf8)
        guard let r = run([scriptURL.path, folder.path]) else { throw XCTSkip("python3 is not available") }
        guard r.status == 0 else { throw CircuitFitError("reference script failed (\(r.status)): \(r.err)") }
        guard let line = r.out.split(separator: "\n").last,
              let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        else { throw CircuitFitError("reference script printed no JSON object: \(r.out)") }
        return object
    }

    static func matrix(_ m: Matrix<Double>) -> (shape: [Int], values: [Double]) { ([m.rows, m.cols], m.data) }
    static func vector(_ v: [Double]) -> (shape: [Int], values: [Double]) { ([v.count], v) }

    /// A JSON value as [Double] (a number list, or one number).
    static func doubles(_ value: Any?) -> [Double] {
        if let list = value as? [Any] { return list.compactMap { ($0 as? NSNumber)?.doubleValue } }
        if let n = value as? NSNumber { return [n.doubleValue] }
        return []
    }
}
