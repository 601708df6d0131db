import Foundation
import CircuitFitCore

/// The advisory lock on an experiment folder (`DIR/experiment.lock`, `flock`): held by a local
/// run for its whole duration and by a Slurm submission while it submits, so two `experiment`
/// commands never work on one folder at once. The kernel releases it when its holder exits,
/// however it exits (a `kill -9` too): a lock file whose lock is free is stale, and says who left it.
public final class ExperimentLock: @unchecked Sendable {
    /// Who holds (or last held) the lock: written into the lock file by its holder.
    public struct Holder: Codable, Equatable, Sendable {
        public var pid: Int32
        public var host: String
        /// ISO 8601.
        public var started: String
        public var command: String
        /// What it is doing: "local run" or "slurm submission".
        public var purpose: String
    }

    /// What `status` sees when it looks at the lock without taking it.
    public enum Observation: Equatable, Sendable {
        /// Nobody holds the lock, and the last holder released it normally (or there never was one).
        case free
        /// Held now by this process.
        case held(Holder)
        /// The file still names a holder but the lock is free: that process ended without
        /// releasing it (killed, or crashed). Nothing is running; the next run takes over.
        case stale(Holder)
    }

    public let url: URL
    private let fd: Int32
    public let holder: Holder

    /// The lock file of the experiment in `folder`.
    public static func url(_ folder: URL) -> URL { folder.appendingPathComponent("experiment.lock") }

    /// Takes the lock for `purpose`, or throws naming who holds it. Retries for about a second
    /// (a concurrent `status` looks at the lock for an instant).
    public static func acquire(_ folder: URL, purpose: String, command: String = CommandLine.arguments.joined(separator: " ")) throws -> ExperimentLock {
        let path = url(folder).path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw CircuitFitError("cannot open the experiment lock \(path): \(String(cString: strerror(errno)))")
        }
        var tries = 0
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            tries += 1
            if code == EWOULDBLOCK && tries < 20 { usleep(50_000); continue }
            let who = readHolder(fd: fd)
            close(fd)
            if code == EWOULDBLOCK {
                throw CircuitFitError("\(folder.path) is in use: \(who.map(describe) ?? "another circuitfit process") holds its lock (\(path)); wait for it to finish (`circuitfit status \(folder.path)`) or stop it, then run again")
            }
            throw CircuitFitError("cannot lock \(path): \(String(cString: strerror(code)))")
        }
        // a description left in a free lock: its holder died without releasing (killed)
        let previous = readHolder(fd: fd)
        let holder = Holder(
            pid: getpid(), host: ProcessInfo.processInfo.hostName, started: ISO8601DateFormatter().string(from: Date()),
            command: command, purpose: purpose)
        // the holder's description goes into the locked file itself (never renamed: the lock is on this inode)
        if let data = try? OutputFolder.json(holder) {
            _ = ftruncate(fd, 0)
            _ = data.withUnsafeBytes { pwrite(fd, $0.baseAddress, data.count, 0) }
            _ = fsync(fd)
        }
        return ExperimentLock(url: url(folder), fd: fd, holder: holder, previous: previous)
    }

    /// Set when the lock was taken over from a holder that had died without releasing it.
    public let previous: Holder?

    private init(url: URL, fd: Int32, holder: Holder, previous: Holder?) {
        self.url = url; self.fd = fd; self.holder = holder; self.previous = previous
    }

    /// Releases the lock: empties the holder's description first, so a description left in a
    /// free lock file always means its holder died without releasing. (A process that exits
    /// without calling this still loses the lock: the kernel releases it.)
    public func release() {
        guard !released else { return }
        released = true
        _ = ftruncate(fd, 0)
        flock(fd, LOCK_UN)
        close(fd)
    }
    private var released = false
    deinit { release() }

    /// Looks at the lock of `folder` without taking it for longer than an instant.
    public static func observe(_ folder: URL) -> Observation {
        let path = url(folder).path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .free }
        defer { close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) == 0 {
            let holder = readHolder(fd: fd)
            flock(fd, LOCK_UN)
            return holder.map { .stale($0) } ?? .free
        }
        // held: the holder writes its description right after taking the lock
        for _ in 0..<20 {
            if let holder = readHolder(fd: fd) { return .held(holder) }
            usleep(10_000)
        }
        return .held(Holder(pid: 0, host: "?", started: "?", command: "?", purpose: "unknown"))
    }

    /// "PID 1234 on host vm since 2026-12-01T14:50:00Z (local run: circuitfit experiment --out exp)".
    public static func describe(_ h: Holder) -> String {
        "PID \(h.pid) on \(h.host) since \(h.started) (\(h.purpose): \(h.command))"
    }

    private static func readHolder(fd: Int32) -> Holder? {
        var buffer = [UInt8](repeating: 0, count: 8192)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 8192, 0) }
        guard n > 0 else { return nil }
        return try? JSONDecoder().decode(Holder.self, from: Data(buffer[0..<n]))
    }
}
