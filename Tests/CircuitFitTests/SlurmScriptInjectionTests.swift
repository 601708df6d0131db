import Foundation
import XCTest
@testable import CircuitFitCore
@testable import CircuitFitExperiment

/// Nothing in a path or an option can become a command in a job script: control characters are
/// refused before anything is written, `#SBATCH` values survive sbatch's own parser as exactly one
/// argument each, and the shell line, run by bash, passes the folder as one word and runs nothing else.
final class SlurmScriptInjectionTests: XCTestCase {
    /// sbatch's reading of one `#SBATCH` line (its `_get_argument`): white space separates
    /// arguments, `"` toggles quoting, `\` escapes the next character, an unescaped `#` ends the line.
    static func sbatchArguments(_ line: String) -> [String] {
        var args: [String] = [], current = "", has = false
        var escape = false, quoted = false
        for c in line {
            if escape { current.append(c); has = true; escape = false; continue }
            if c == "\\" { escape = true; continue }
            if c == "\"" { quoted.toggle(); continue }
            if c == "#" && !quoted { break }
            if c.isWhitespace && !quoted {
                if has { args.append(current); current = ""; has = false }
                continue
            }
            current.append(c); has = true
        }
        if has { args.append(current) }
        return args
    }

    func plan(folder: URL, sbatchArgs: [String] = [], executable: String = "/opt/cf/circuitfit") throws -> SlurmSubmissionPlan {
        var config = ExperimentConfig()
        config.seeds = [1]; config.recordCounts = [0]; config.lambdas = [0, 1]; config.arms = [.plain]
        var o = SlurmOptions()
        o.sbatchArgs = sbatchArgs
        return try ExperimentFolder.preview(folder, config: config).folder
            .slurmPlan(options: o, executable: executable, commandLine: "x", number: 1)
    }

    func testControlCharactersAreRefusedBeforeAnythingIsWritten() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("cf-inject-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        // (a path cannot hold NUL; an option built in-process can)
        for bad in ["nl\ntouch PWNED\n#", "cr\rx", "tab\tx", "esc\u{1B}x", "nul\u{0}x"] {
            if !bad.contains("\u{0}") {
                XCTAssertThrowsError(try plan(folder: base.appendingPathComponent(bad)), String(reflecting: bad)) { error in
                    XCTAssert("\(error)".contains("the experiment folder contains"), "\(error)")
                    XCTAssert("\(error)".contains("cannot go into a Slurm job script"), "\(error)")
                }
            }
            XCTAssertThrowsError(try plan(folder: base.appendingPathComponent("ok"), sbatchArgs: ["--comment=\(bad)"]), String(reflecting: bad))
        }
        XCTAssertThrowsError(try plan(folder: base.appendingPathComponent("ok"), executable: "/opt/c\nf"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: base.path), "nothing written")
    }

    /// A folder whose path holds `"`, spaces, `'`, `$( )`, backticks and `#`: every directive
    /// parses to one argument with the exact path, and bash runs the executable with the folder as
    /// one argument and creates no file.
    func testHostilePathsStayData() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("cf-inject-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: base) }
        let pwned = base.appendingPathComponent("PWNED")
        let name = #"a "b" c 'd' $(touch \#(pwned.path)) `touch \#(pwned.path)` #e \f"#
        let folder = base.appendingPathComponent(name)
        // the "executable": records its arguments, one per line
        let recorder = base.appendingPathComponent("record.sh")
        let argsFile = base.appendingPathComponent("args.txt")
        try "#!/bin/bash\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > \(JobScriptText.shellWord(argsFile.path))\n".write(to: recorder, atomically: true, encoding: .utf8)
        chmod(recorder.path, 0o755)
        let p = try plan(folder: folder, sbatchArgs: ["--comment=two words \"quoted\" #not-a-comment", "--account=lab"], executable: recorder.path)
        let fits = p.jobs.first { $0.role == .fits }!
        let directives = fits.text.split(separator: "\n").filter { $0.hasPrefix("#SBATCH ") }.map { String($0.dropFirst(8)) }
        let parsed = directives.map(Self.sbatchArguments)
        XCTAssert(parsed.allSatisfy { $0.count == 1 }, "each #SBATCH line is one argument: \(parsed)")
        let values = parsed.map { $0[0] }
        XCTAssert(values.contains("--chdir=\(folder.path)"), "\(values)")
        XCTAssert(values.contains("--output=\(folder.path)/slurm/logs/fits-%A_%a.out"), "\(values)")
        XCTAssert(values.contains("--comment=two words \"quoted\" #not-a-comment"), "\(values)")
        XCTAssert(values.contains("--account=lab"), "\(values)")

        let script = base.appendingPathComponent("fits.sbatch")
        try fits.text.write(to: script, atomically: true, encoding: .utf8)
        var env = ProcessInfo.processInfo.environment
        env["SLURM_ARRAY_TASK_ID"] = "0"
        let out = try ProcessRunner(executable: "/bin/bash", arguments: [script.path], environment: env, timeout: 30).run()
        XCTAssertEqual(out.status, 0, out.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: pwned.path), "an injected command ran")
        let args = try String(contentsOf: argsFile, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(args, ["experiment-task", folder.path, "--fits-per-task", "1", "--task", "0", ""])
    }
}
