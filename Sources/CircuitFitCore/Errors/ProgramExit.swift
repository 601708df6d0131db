/// The exit statuses of the `circuitfit` program, shared by the CLI (which exits with them) and
/// the library (which reads them back from Slurm, e.g. a collect job that exited with
/// `.incomplete`). Documented in docs/files.md § Exit statuses.
public enum ProgramExit: Int32, Sendable, CaseIterable {
    /// Everything asked for was done.
    case success = 0
    /// An error: one line on stderr says what and where (bad input, a failed fit, a full disk).
    case failure = 1
    /// The command line itself is wrong (an experiment task without `--task` or `--circuit`).
    case usage = 2
    /// Some of the work failed and the rest was kept: a Slurm fit task whose fit raised (recorded
    /// in the fit's `error.txt`), or a collect job that wrote results without the missing fits.
    case incomplete = 3
}
