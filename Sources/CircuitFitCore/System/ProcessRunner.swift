import Foundation

/// Runs another program to completion and collects what it printed: the one place CircuitFit
/// starts child processes (Slurm's tools, the HDF5 reader). Both pipes are drained concurrently
/// (a child that fills one pipe while we read the other would otherwise block forever), and the
/// caller waits on the child's exit and on both readers, without polling.
public struct ProcessRunner: Sendable {
    /// What a finished child left: its exit status (128 + signal when killed by a signal, as a
    /// shell reports it), everything it wrote to stdout and stderr, and whether it was killed
    /// because it ran past the timeout.
    public struct Output: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        public var stdoutData: Data
        /// The signal that ended the child, if one did.
        public var signal: Int32?
        public var timedOut: Bool
    }

    /// The program's absolute path.
    public var executable: String
    public var arguments: [String]
    /// nil = inherit this process's environment.
    public var environment: [String: String]?
    /// Bytes written to the child's stdin (then closed); nil = /dev/null.
    public var input: Data?
    /// Kill the child (SIGKILL) after this many seconds; nil = wait as long as it takes.
    public var timeout: Double?

    public init(executable: String, arguments: [String], environment: [String: String]? = nil,
                input: Data? = nil, timeout: Double? = nil) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.input = input
        self.timeout = timeout
    }

    /// The full path of `tool` on PATH (as the shell would find it), or nil.
    public static func find(_ tool: String, path: String? = ProcessInfo.processInfo.environment["PATH"]) -> String? {
        if tool.contains("/") { return FileManager.default.isExecutableFile(atPath: tool) ? tool : nil }
        for dir in (path ?? "").split(separator: ":", omittingEmptySubsequences: true) {
            let candidate = "\(dir)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Starts the child, feeds its stdin, and returns once it has exited and both of its output
    /// pipes are closed. Throws only when the program cannot be started.
    public func run() throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let inPipe = input.map { _ in Pipe() }
        process.standardInput = inPipe ?? FileHandle.nullDevice
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        do { try process.run() } catch {
            throw CircuitFitError("cannot run \(executable): \(error.localizedDescription)")
        }
        let group = DispatchGroup()
        let outBox = DataBox(), errBox = DataBox()
        for (pipe, box) in [(out, outBox), (err, errBox)] {
            group.enter()
            Thread {
                box.data = pipe.fileHandleForReading.readDataToEndOfFile()
                group.leave()
            }.start()
        }
        if let inPipe, let input {
            Thread {
                try? inPipe.fileHandleForWriting.write(contentsOf: input)
                try? inPipe.fileHandleForWriting.close()
            }.start()
        }
        var timedOut = false
        if let timeout {
            if exited.wait(timeout: .now() + timeout) == .timedOut {
                timedOut = true
                kill(process.processIdentifier, SIGKILL)
                exited.wait()
            }
        } else {
            exited.wait()
        }
        group.wait()
        let killedBy: Int32? = process.terminationReason == .uncaughtSignal ? process.terminationStatus : nil
        let status = killedBy.map { 128 + $0 } ?? process.terminationStatus
        return Output(
            status: status, stdout: String(decoding: outBox.data, as: UTF8.self),
            stderr: String(decoding: errBox.data, as: UTF8.self), stdoutData: outBox.data,
            signal: killedBy, timedOut: timedOut)
    }

    /// Data handed from a reader thread to the waiting caller (the group's wait orders the accesses).
    private final class DataBox: @unchecked Sendable {
        var data = Data()
    }
}
