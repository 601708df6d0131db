import Foundation
import CircuitFitCore
#if canImport(Glibc)
import Glibc
#endif

/// Reads an HDF5-based recording (NWB, MAT v7.3) in a child process, so that a crash inside
/// libhdf5 — which segfaults on some damaged files instead of reporting an error — becomes a
/// one-line error naming the file ("the HDF5 library crashed reading FILE: the file is
/// damaged"), never a signal that kills the command.
///
/// The child is the same program: `executable` run with `arguments` + `FILE --result FOLDER
/// --options FILE` (the CLI's hidden `hdf5-read` command; FILE the import options as JSON), which
/// calls `RecordingImporter.readRecording` in its own process and writes the recording into FOLDER
/// (`RecordingArchive`). Exit 0: the parent reads it back (bit-exact); exit 1: the child's
/// `error: …` line becomes the error; a signal, or no answer within `timeoutSeconds`, becomes the
/// error above.
public struct HDF5Isolation: Sendable {
    /// The program to run as the child (the running `circuitfit`).
    public var executable: URL
    /// The arguments before the file, e.g. ["hdf5-read"].
    public var arguments: [String]
    /// Seconds the child may take: a hang in libhdf5 is killed and reported after this long.
    public var timeoutSeconds: Double

    public init(executable: URL, arguments: [String], timeoutSeconds: Double) {
        self.executable = executable
        self.arguments = arguments
        self.timeoutSeconds = timeoutSeconds
    }

    /// The default time limit for a file: 2 min plus 1 s per 20 MB (reading is far faster).
    public static func defaultTimeout(for url: URL) -> Double {
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        return 120 + Double(size) / 20e6
    }

    /// The recording at `url`, read by the child.
    public func readRecording(url: URL, options: ImportOptions) throws -> Recording {
        let fm = FileManager.default
        let folder = fm.temporaryDirectory.appendingPathComponent("circuitfit-hdf5-\(getpid())-\(UInt64.random(in: 0...UInt64.max))")
        do { try fm.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
            throw CircuitFitError("cannot read \(url.path): no temporary folder for the HDF5 reader (\(folder.path))")
        }
        defer { try? fm.removeItem(at: folder) }
        let errors = folder.appendingPathComponent("stderr")
        _ = fm.createFile(atPath: errors.path, contents: nil)
        let errorHandle = try FileHandle(forWritingTo: errors)
        let optionsFile = folder.appendingPathComponent("options.json")
        try JSONEncoder().encode(options).write(to: optionsFile)

        let child = Process()
        child.executableURL = executable
        child.arguments = arguments + [url.path, "--result", folder.path, "--options", optionsFile.path]
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFT_BACKTRACE"] = "enable=no"   // a crash is expected, not a bug to trace
        environment["OPENBLAS_NUM_THREADS"] = "1"     // the child does no linear algebra
        environment.removeValue(forKey: "CIRCUITFIT_TEST_CRASH_AT")
        child.environment = environment
        child.standardInput = FileHandle.nullDevice
        child.standardOutput = FileHandle.nullDevice
        child.standardError = errorHandle
        let finished = DispatchSemaphore(value: 0)
        child.terminationHandler = { _ in finished.signal() }
        do { try child.run() } catch {
            try? errorHandle.close()
            throw CircuitFitError("cannot read \(url.path): the HDF5 reader could not be started (\(executable.path): \(error.localizedDescription))")
        }
        if finished.wait(timeout: .now() + timeoutSeconds) == .timedOut {
            kill(child.processIdentifier, SIGKILL)
            _ = finished.wait(timeout: .now() + 10)
            try? errorHandle.close()
            throw CircuitFitError("the HDF5 library did not finish reading \(url.path) within \(Int(timeoutSeconds)) s and was stopped: the file is damaged (or far larger than it looks)")
        }
        child.waitUntilExit()
        try? errorHandle.close()
        let message = ((try? String(contentsOf: errors, encoding: .utf8)) ?? "")
            .split(separator: "\n").last { $0.hasPrefix("error: ") }.map { String($0.dropFirst(7)) }
        switch (child.terminationReason, child.terminationStatus) {
        case (.exit, 0):
            return try RecordingArchive.read(from: folder)
        case (.exit, _) where message != nil:
            throw CircuitFitError(message!)
        case (.exit, let status):
            throw CircuitFitError("the HDF5 reader of \(url.path) failed (exit status \(status)) without saying why")
        case (.uncaughtSignal, let signal):
            if signal == SIGKILL {
                throw CircuitFitError("the HDF5 reader of \(url.path) was killed (SIGKILL: out of memory?)")
            }
            throw CircuitFitError("the HDF5 library crashed reading \(url.path): the file is damaged (\(Self.signalName(signal)) inside libhdf5)")
        @unknown default:
            throw CircuitFitError("the HDF5 reader of \(url.path) ended unexpectedly")
        }
    }

    /// The child's side: reads the recording in this process and writes it into `folder`.
    public static func childMain(file: URL, options optionsFile: URL, result folder: URL) throws {
        let options: ImportOptions
        do { options = try JSONDecoder().decode(ImportOptions.self, from: Data(contentsOf: optionsFile)) } catch {
            throw CircuitFitError("\(optionsFile.path): unreadable import options (\(error))")
        }
        let recording = try RecordingImporter.readRecording(url: file, options: options)
        try RecordingArchive.write(recording, to: folder)
    }

    static func signalName(_ signal: Int32) -> String {
        switch signal {
        case SIGSEGV: return "SIGSEGV"
        case SIGBUS: return "SIGBUS"
        case SIGABRT: return "SIGABRT"
        case SIGILL: return "SIGILL"
        case SIGFPE: return "SIGFPE"
        case SIGTRAP: return "SIGTRAP"
        default: return "signal \(signal)"
        }
    }
}
