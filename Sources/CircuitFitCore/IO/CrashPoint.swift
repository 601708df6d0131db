import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A test hook: the moments between the renames that commit an output, where a `kill -9` must
/// leave either the old complete output or the new one. When the environment variable
/// `CIRCUITFIT_TEST_CRASH_AT` names one of these points, the process kills itself there with
/// SIGKILL (exactly what `kill -9` does), so the tests can check the recovery of the next run.
/// Unset (always, outside the tests) it does nothing.
enum CrashPoint {
    private static let requested = ProcessInfo.processInfo.environment["CIRCUITFIT_TEST_CRASH_AT"]

    /// Dies here if the test asked for `name`.
    static func reached(_ name: String) {
        guard let requested, requested == name else { return }
        kill(getpid(), SIGKILL)
    }
}
