import ArgumentParser
import Foundation
import CircuitFitCore
import CircuitFitModel
import CircuitFitAnalysis
import CircuitFitImport
import CircuitFitReport
import CircuitFitCircuit
import CircuitFitFitting
import CircuitFitExperiment

// Numeric options are declared with `parsing: .unconditional`, so a negative value such as
// `--lambda -1` or `--neurons -5` reaches CircuitFit's own validation (which names the value)
// instead of being taken for an unknown option.

extension CircuitFitCommand {
    /// ArgumentParser's `main`, except that a usage error (unknown option, missing or malformed
    /// value, failed validation) is printed as ONE `error: …` line on stderr, like every other
    /// CircuitFit error, with exit code 64. Help, `--version` and our own `ExitCode`s are unchanged.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .success || error is ExitCode { exit(withError: error) }
            let lines = message(for: error).split(whereSeparator: \.isNewline)
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            var text = lines.joined(separator: " ")
            if text.lowercased().hasPrefix("error: ") { text = String(text.dropFirst(7)) }
            let names = configuration.subcommands.map { $0._commandName }
            let sub = CommandLine.arguments.dropFirst().first { names.contains($0) }
            let help = sub.map { "circuitfit \($0) --help" } ?? "circuitfit --help"
            FileHandle.standardError.write(Data("error: \(text) (see '\(help)')\n".utf8))
            Foundation.exit(code.rawValue)
        }
    }
}
