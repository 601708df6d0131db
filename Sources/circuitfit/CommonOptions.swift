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

/// Options every command that computes shares.
struct ComputeOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "OpenBLAS threads, 1 to the number of CPUs (default 1: CircuitFit's shapes are too skinny to gain from more). Results are bit-identical for a fixed --threads and differ slightly between thread counts.")
    var threads: Int = 1

    /// Checks --threads (before anything else of the command runs, and before OpenBLAS is asked
    /// to start threads) and sets it.
    func apply() throws {
        let cpus = ProcessInfo.processInfo.activeProcessorCount
        guard threads >= 1 && threads <= max(cpus, 1) else {
            throw ValidationError("--threads must be between 1 and this machine's \(cpus) CPUs, got \(threads)")
        }
        BLASThreads.set(threads)
    }
}

/// The URL of an output path given on the command line, refusing an empty one (which would
/// otherwise mean the current folder).
func outputURL(_ text: String, option: String = "--out") throws -> URL {
    guard !text.trimmingCharacters(in: .whitespaces).isEmpty else {
        throw CircuitFitError("\(option) must name a path, got an empty string")
    }
    return URL(fileURLWithPath: text)
}

/// Runs a command body, turning a CircuitFitError into one clean `error:` line and exit code 1.
func reportingErrors(_ body: () throws -> Void) throws {
    do { try body() } catch let error as CircuitFitError {
        FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
        throw ExitCode(ProgramExit.failure.rawValue)
    }
}

/// Writes a line to standard error (progress and summaries; stdout stays machine-readable).
func say(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
