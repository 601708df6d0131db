import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A program for a test to run as a child process: the executable (a path, or a bare name looked
/// up on PATH through /usr/bin/env), its arguments, environment (nil: this process's), working
/// folder (nil: this process's) and what it reads on stdin (nil: nothing, /dev/null).
///
/// Output goes to files, never to pipes, so a chatty child cannot block on a full pipe; the
/// result holds it as text. `run` waits for the end (with an optional timeout); `start` returns
/// at once, for tests that watch a child while it runs, or kill it.
public struct ChildProcess: Sendable {
    public var executable: String
    public var arguments: [String]
    public var environment: [String: String]?
    public var directory: URL?
    public var standardInput: Data?
    /// Whether stderr goes into the same file as stdout (one stream, in the order written; the
    /// result's `stderr` is then empty).
    public var mergeStandardError: Bool

    public init(
        _ executable: String, _ arguments: [String] = [], environment: [String: String]? = nil,
        directory: URL? = nil, standardInput: Data? = nil, mergeStandardError: Bool = false
    ) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.directory = directory
        self.standardInput = standardInput
        self.mergeStandardError = mergeStandardError
    }

    /// `executable arguments…` as one line, for messages.
    public var commandLine: String { ([executable] + arguments).joined(separator: " ") }

    /// Runs the child to its end and returns what it did. With a `timeout` (seconds), a child
    /// still running then is stopped (SIGTERM, SIGKILL 5 s later) and the result says `timedOut`.
    /// Throws `ChildProcessError` only when the child cannot be started.
    public func run(timeout: TimeInterval? = nil) throws -> ChildResult {
        try start().wait(timeout: timeout)
    }

    /// Starts the child and returns without waiting.
    public func start() throws -> RunningChild {
        try RunningChild(self)
    }
}

/// What a child process did: its exit status, the signal that ended it if one did, and its
/// output. The conventions are `ProcessRunner.Output`'s (the library's runner).
public struct ChildResult: Sendable {
    /// The exit status; 128 + the signal's number when a signal ended the child, as a shell reports it.
    public var status: Int32
    /// The signal that ended the child, if one did.
    public var signal: Int32?
    /// Whether `wait(timeout:)` had to stop the child.
    public var timedOut: Bool
    public var stdout: String
    public var stderr: String

    /// Exited by itself with status 0.
    public var succeeded: Bool { signal == nil && status == 0 }
}

/// A child process could not be started.
public struct ChildProcessError: Error, CustomStringConvertible {
    public var description: String
}

/// A started child process: its PID, whether it still runs, a way to signal it, and `wait`.
/// A child still running when this object goes away is killed (SIGKILL), so a failing test
/// leaves no process behind.
public final class RunningChild {
    public let pid: Int32
    public let commandLine: String
    private let process: Process
    private let finished = DispatchSemaphore(value: 0)
    private let folder: URL
    private let outputs: (stdout: FileHandle, stderr: FileHandle?)
    private var result: ChildResult?

    fileprivate init(_ spec: ChildProcess) throws {
        commandLine = spec.commandLine
        let fm = FileManager.default
        let folder = fm.temporaryDirectory.appendingPathComponent("circuitfit-child-\(UUID().uuidString)")
        try fm.createDirectory(at: folder, withIntermediateDirectories: true)
        self.folder = folder
        func file(_ name: String, _ contents: Data? = nil) throws -> URL {
            let url = folder.appendingPathComponent(name)
            guard fm.createFile(atPath: url.path, contents: contents) else {
                throw ChildProcessError(description: "cannot create \(url.path) for \(spec.commandLine)")
            }
            return url
        }
        let out = try FileHandle(forWritingTo: try file("stdout"))
        let err = spec.mergeStandardError ? nil : try FileHandle(forWritingTo: try file("stderr"))
        outputs = (out, err)

        let process = Process()
        self.process = process
        if spec.executable.contains("/") {
            process.executableURL = URL(fileURLWithPath: spec.executable)
            process.arguments = spec.arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [spec.executable] + spec.arguments
        }
        if let environment = spec.environment { process.environment = environment }
        if let directory = spec.directory { process.currentDirectoryURL = directory }
        if let input = spec.standardInput {
            process.standardInput = try FileHandle(forReadingFrom: try file("stdin", input))
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        process.standardOutput = out
        process.standardError = err ?? out
        let finished = finished
        process.terminationHandler = { _ in finished.signal() }
        do {
            try process.run()
        } catch {
            try? out.close(); try? err?.close()
            try? fm.removeItem(at: folder)
            throw ChildProcessError(description: "cannot start \(spec.commandLine): \(error)")
        }
        pid = process.processIdentifier
    }

    deinit {
        if result == nil {
            if process.isRunning { kill(pid, SIGKILL) }
            finished.wait()
            try? outputs.stdout.close(); try? outputs.stderr?.close()
            try? FileManager.default.removeItem(at: folder)
        }
    }

    public var isRunning: Bool { result == nil && process.isRunning }

    /// Sends `signal` (e.g. SIGKILL) to the child, by its PID, if it still runs.
    public func signal(_ signal: Int32) {
        if isRunning { kill(pid, signal) }
    }

    /// Waits for the child to end and returns what it did (the same result on every call). With
    /// a `timeout` (seconds), a child still running then gets SIGTERM, and SIGKILL 5 s later.
    public func wait(timeout: TimeInterval? = nil) -> ChildResult {
        if let result { return result }
        var timedOut = false
        if let timeout, finished.wait(timeout: .now() + timeout) == .timedOut {
            timedOut = true
            kill(pid, SIGTERM)
            if finished.wait(timeout: .now() + 5) == .timedOut {
                kill(pid, SIGKILL)
                finished.wait()
            }
        } else if timeout == nil {
            finished.wait()
        }
        process.waitUntilExit()
        try? outputs.stdout.close(); try? outputs.stderr?.close()
        func text(_ name: String) -> String {
            let data = (try? Data(contentsOf: folder.appendingPathComponent(name))) ?? Data()
            return String(decoding: data, as: UTF8.self)
        }
        let signal: Int32? = process.terminationReason == .uncaughtSignal ? process.terminationStatus : nil
        let r = ChildResult(
            status: signal.map { 128 + $0 } ?? process.terminationStatus, signal: signal,
            timedOut: timedOut, stdout: text("stdout"), stderr: outputs.stderr == nil ? "" : text("stderr"))
        try? FileManager.default.removeItem(at: folder)
        result = r
        return r
    }
}
