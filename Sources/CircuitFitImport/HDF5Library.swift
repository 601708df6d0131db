import CHDF5
import Foundation
import CircuitFitCore

/// Process-wide access to libhdf5: one lock (the Debian build is not thread-safe) and the
/// switch that stops HDF5 printing its error stack to stderr.
enum HDF5Library {
    private static let lock = NSRecursiveLock()

    /// Number of HDF5 files and objects open in this process (0 when every handle was closed).
    static var openObjectCount: Int {
        serialized { Int(cf_h5_open_object_count()) }
    }

    /// Runs `body` holding the HDF5 lock, with HDF5's error printing turned off.
    static func serialized<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        _ = cf_h5_silence_errors()
        return try body()
    }
}
