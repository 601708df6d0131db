import Foundation
import CircuitFitCore

/// How any text gets into a job script, each place with its own rule, so nothing in a path or
/// an option can become a command:
/// - nothing with a control character (newline, carriage return, NUL, tab, DEL, …) is written
///   at all: it could end a line (`requirePrintable`, checked before any file is written);
/// - a comment line (`# …`) needs nothing more: without a newline it cannot end;
/// - an `#SBATCH` value is one argument of sbatch's own parser, which splits on white space, reads
///   `"` as a quote toggle, `#` as the start of a comment and `\` as an escape: each of those is
///   written escaped with `\` (`sbatchWord`);
/// - a shell word is as is when it holds only safe characters, else single-quoted with every `'`
///   written as `'\''` (`shellWord`).
public enum JobScriptText {
    /// Throws when `text` holds a control character, naming which and where it came from.
    public static func requirePrintable(_ text: String, what: String) throws {
        if let bad = text.unicodeScalars.first(where: { $0.properties.generalCategory == .control || $0 == "\u{2028}" || $0 == "\u{2029}" }) {
            let name = bad == "\n" ? "a newline" : bad == "\r" ? "a carriage return" : bad == "\0" ? "a NUL byte" : bad == "\t" ? "a tab" : String(format: "control character U+%04X", bad.value)
            throw CircuitFitError("\(what) contains \(name), which cannot go into a Slurm job script: \(String(reflecting: text))")
        }
    }

    /// One argument of an `#SBATCH` line, whatever it holds (no control characters).
    public static func sbatchWord(_ s: String) -> String {
        var out = ""
        for c in s {
            if c == "\\" || c == "\"" || c == "#" || c == "'" || c.isWhitespace { out.append("\\") }
            out.append(c)
        }
        return out
    }

    /// A word for a POSIX shell: as is when safe, else in single quotes.
    public static func shellWord(_ s: String) -> String {
        let safe = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%+=:,./_-")
        if !s.isEmpty, s.unicodeScalars.allSatisfy({ safe.contains($0) }) { return s }
        return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

/// "0,1,2,5,7,8" → "0-2,5,7-8".
public func compressIndices(_ indices: [Int]) -> String {
    let sorted = Array(Set(indices)).sorted()
    var parts: [String] = []
    var i = 0
    while i < sorted.count {
        var j = i
        while j + 1 < sorted.count, sorted[j + 1] == sorted[j] + 1 { j += 1 }
        parts.append(i == j ? "\(sorted[i])" : "\(sorted[i])-\(sorted[j])")
        i = j + 1
    }
    return parts.joined(separator: ",")
}

/// One job script: a bash script whose `#SBATCH` lines sbatch reads and whose last line runs
/// the same `circuitfit` binary on the experiment folder.
struct JobScript {
    var comment: String
    var name: String
    var array: [Int]?
    /// Absolute path of the log (sbatch patterns allowed).
    var log: String
    var folder: String
    var options: SlurmOptions
    var cpus: Int
    var command: [String]
    /// Appends `"$SLURM_ARRAY_TASK_ID"` to the command.
    var taskArgument: Bool

    var text: String {
        func directive(_ option: String, _ value: String) -> String { "#SBATCH " + JobScriptText.sbatchWord("\(option)=\(value)") }
        var lines = ["#!/bin/bash",
                     "# circuitfit \(CircuitFitVersion.string): experiment \(folder)",
                     "# \(comment).",
                     "# Dependencies (afterany) are given on sbatch's command line: see slurm/jobs.json."]
        lines.append(directive("--job-name", name))
        if let array {
            lines.append(directive("--array", compressIndices(array) + (options.maxConcurrent.map { "%\($0)" } ?? "")))
        }
        lines.append(directive("--output", log))
        lines.append(directive("--chdir", folder))
        lines.append(directive("--ntasks", "1"))
        lines.append(directive("--cpus-per-task", "\(cpus)"))
        if let p = options.partition { lines.append(directive("--partition", p)) }
        if let t = options.time { lines.append(directive("--time", t)) }
        if let m = options.mem { lines.append(directive("--mem", m)) }
        for a in options.sbatchArgs { lines.append("#SBATCH " + JobScriptText.sbatchWord(a)) }
        lines.append("")
        lines.append("# one BLAS thread per fit: a task with several CPUs runs that many fits at once instead")
        lines.append("export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1")
        lines.append("exec " + command.map(JobScriptText.shellWord).joined(separator: " ") + (taskArgument ? " \"$SLURM_ARRAY_TASK_ID\"" : ""))
        return lines.joined(separator: "\n") + "\n"
    }
}
