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

/// `experiment`'s options for `--backend slurm`.
struct SlurmCLIOptions: ParsableArguments {
    @Option(help: "Slurm partition (default: the cluster's default partition).")
    var partition: String?
    @Option(help: "Time limit of each array task, as sbatch takes it (e.g. 30, 2:00:00).")
    var time: String?
    @Option(help: "Memory of each array task, as sbatch takes it (e.g. 2G).")
    var mem: String?
    @Option(help: "CPUs per array task (default 1); a task of several fits runs this many at once, one BLAS thread each.")
    var cpusPerTask: Int?
    @Option(help: "At most this many array tasks at once (the array's %N throttle).")
    var maxConcurrent: Int?
    @Option(help: "An extra sbatch option for every job, e.g. --sbatch-arg=--account=lab (repeatable).")
    var sbatchArg: [String] = []
    @Option(help: "Fits per array task (default 1).")
    var fitsPerTask: Int?
    @Flag(help: "Print the job scripts and sbatch commands instead of submitting; writes nothing.")
    var dryRun = false
    @Flag(help: "After submitting, wait until the collect job has ended and report like `status`.")
    var wait = false

    /// The Slurm options given on the command line (to reject them for the local backend).
    var givenOptions: [String] {
        var out: [String] = []
        if partition != nil { out.append("--partition") }
        if time != nil { out.append("--time") }
        if mem != nil { out.append("--mem") }
        if cpusPerTask != nil { out.append("--cpus-per-task") }
        if maxConcurrent != nil { out.append("--max-concurrent") }
        if !sbatchArg.isEmpty { out.append("--sbatch-arg") }
        if fitsPerTask != nil { out.append("--fits-per-task") }
        if dryRun { out.append("--dry-run") }
        if wait { out.append("--wait") }
        return out
    }

    /// `base` (the last submission's options, on --resume) with the options given here.
    func options(base: SlurmOptions?) -> SlurmOptions {
        var o = base ?? SlurmOptions()
        if let partition { o.partition = partition }
        if let time { o.time = time }
        if let mem { o.mem = mem }
        if let cpusPerTask { o.cpusPerTask = cpusPerTask }
        if let maxConcurrent { o.maxConcurrent = maxConcurrent }
        if !sbatchArg.isEmpty { o.sbatchArgs = sbatchArg }
        if let fitsPerTask { o.fitsPerTask = fitsPerTask }
        return o
    }
}
