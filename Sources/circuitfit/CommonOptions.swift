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
    @Option(parsing: .unconditional, help: "OpenBLAS threads (default 1: CircuitFit's shapes are too skinny to gain from more).")
    var threads: Int = 1

    func apply() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be ≥ 1, got \(threads)") }
        BLASThreads.set(threads)
    }
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
