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

/// What one run of the `circuitfit` executable did.
struct CLIResult {
    var arguments: [String]
    var status: Int32
    var stdout: String
    var stderr: String

    /// The non-empty lines of stderr.
    var stderrLines: [String] { stderr.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.isEmpty } }
    /// The `error: …` lines of stderr.
    var errorLines: [String] { stderrLines.filter { $0.hasPrefix("error:") } }
    /// A description for assertion messages.
    var summary: String { "circuitfit \(arguments.joined(separator: " ")) → exit \(status)\nstderr:\n\(stderr)\nstdout:\n\(stdout)" }
}

/// A failure of the runner itself (no executable, timeout), reported as the test's error.
struct CLIRunnerError: Error, CustomStringConvertible {
    var description: String
}

/// Runs the built `circuitfit` executable as a subprocess (the end-to-end tests of the CLI).
enum CLI {
    /// The executable of the current build: next to the test bundle in the products folder
    /// (`.build/release/`, or whatever `--scratch-path` says), or `$CIRCUITFIT_EXECUTABLE`.
    static func executable() throws -> URL {
        let fm = FileManager.default
        var candidates: [URL] = []
        if let path = ProcessInfo.processInfo.environment["CIRCUITFIT_EXECUTABLE"], !path.isEmpty {
            candidates.append(URL(fileURLWithPath: path))
        }
        // Linux: the test runner is <products>/CircuitFitPackageTests.xctest, and Bundle.main is
        // its folder; macOS: Bundle.main is xctest's, the test bundle sits in <products>.
        let bundle = Bundle(for: CLIBundleToken.self).bundleURL
        for folder in [Bundle.main.bundleURL, bundle, bundle.deletingLastPathComponent(),
                       URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()] {
            candidates.append(folder.appendingPathComponent("circuitfit"))
        }
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(repository.appendingPathComponent(".build/release/circuitfit"))
        for url in candidates {
            var isDir: ObjCBool = false
            if fm.fileExists(atPath: url.path, isDirectory: &isDir), !isDir.boolValue, fm.isExecutableFile(atPath: url.path) {
                return url.standardizedFileURL
            }
        }
        throw CLIRunnerError(description: """
            the circuitfit executable was not found (looked in: \(candidates.map(\.path).joined(separator: ", "))); \
            build it with `swift build -c release --product circuitfit` (scripts/test.sh builds it before the tests), \
            or point CIRCUITFIT_EXECUTABLE at it
            """)
    }

    /// Runs `circuitfit arguments…` in `directory` (one BLAS thread) and returns its exit status
    /// and output; a run longer than `timeout` seconds is stopped and reported as an error.
    static func run(_ arguments: [String], in directory: URL? = nil, timeout: TimeInterval = 120) throws -> CLIResult {
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_NUM_THREADS"] = "1"
        let child = ChildProcess(try executable().path, arguments, environment: environment, directory: directory)
        let r = try child.run(timeout: timeout)
        if r.timedOut {
            throw CLIRunnerError(description: "circuitfit \(arguments.joined(separator: " ")) did not finish within \(Int(timeout)) s")
        }
        return CLIResult(arguments: arguments, status: r.status, stdout: r.stdout, stderr: r.stderr)
    }
}

private final class CLIBundleToken {}

/// Helpers shared by the CLI test classes: a scratch folder per test, small generated datasets,
/// and the checks every bad-input case makes.
class CLITestCase: XCTestCase {
    /// A fresh folder for this test, removed afterwards.
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("circuitfit-clitest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let scratch { try? FileManager.default.removeItem(at: scratch) }
    }

    func path(_ name: String) -> String { scratch.appendingPathComponent(name).path }

    /// Writes `json` to `name` in the scratch folder and returns its path.
    func writeJSON(_ json: String, to name: String) throws -> String {
        try json.write(toFile: path(name), atomically: true, encoding: .utf8)
        return path(name)
    }

    /// Runs `circuitfit generate` on a small circuit (config `json`) into `folder`, failing the
    /// test if it does not succeed; returns the folder's path.
    @discardableResult
    func generateSmall(_ folder: String = "circuit", json: String = #"{"neurons": 40, "trainingAngles": 4}"#,
                       file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let config = try writeJSON(json, to: "\(folder)-config.json")
        let r = try CLI.run(["generate", "--out", path(folder), "--config", config])
        guard r.status == 0 else {
            XCTFail("generate failed: \(r.summary)", file: file, line: line)
            throw CLIRunnerError(description: "generate failed")
        }
        return path(folder)
    }

    /// A failed run: exit code ≠ 0 and exactly ONE stderr line, `error: …`, containing every
    /// string of `mentions` (the key, value, array or path the problem is about).
    func assertOneLineError(_ r: CLIResult, mentions: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertNotEqual(r.status, 0, "expected a failure: \(r.summary)", file: file, line: line)
        XCTAssertEqual(r.stderrLines.count, 1, "expected exactly one stderr line: \(r.summary)", file: file, line: line)
        guard let message = r.stderrLines.first else { return }
        XCTAssert(message.hasPrefix("error: "), "stderr should be `error: …`, got: \(message)", file: file, line: line)
        for m in mentions {
            XCTAssert(message.contains(m), "the error should mention '\(m)': \(message)", file: file, line: line)
        }
    }

    /// Nothing was left behind in `folder`: it does not exist, or it holds nothing (no outputs,
    /// no hidden temporary files) but the entries listed in `except`.
    func assertNothingWritten(_ folder: String, except: Set<String> = [], file: StaticString = #filePath, line: UInt = #line) {
        guard FileManager.default.fileExists(atPath: folder) else { return }
        let contents = Set((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
        XCTAssertEqual(contents.subtracting(except), [], "a failed run left files in \(folder)", file: file, line: line)
    }

    /// Hidden temporary files (`.<name>.<random>.tmp`) in `folder`.
    func temporaryFiles(in folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasPrefix(".") || $0.hasSuffix(".tmp") }
    }
}
