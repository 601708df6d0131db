import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes output files atomically: the bytes go to a hidden temporary file in the target's folder
/// (`.<name>.<pid>-<random>.tmp`), are flushed to disk with fsync, and then rename(2) puts the
/// file in place. A reader (or a crashed run) therefore sees the old file or the new one, never
/// half of one. On failure the temporary file is removed and the error names the target path;
/// the temporary files of a killed writer (its pid no longer running) are removed by the next
/// write of the same file.
public enum AtomicFile {
    /// Writes `data` to `url`, replacing any existing file.
    public static func write(_ data: Data, to url: URL) throws {
        try data.withUnsafeBytes { try write($0, to: url) }
    }

    /// Writes `string` as UTF-8 to `url`.
    public static func writeText(_ string: String, to url: URL) throws {
        try write(Data(string.utf8), to: url)
    }

    /// Writes `value` as pretty-printed JSON with sorted keys (and a final newline) to `url`.
    public static func writeJSON<T: Encodable>(_ value: T, to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let json: Data
        do {
            json = try encoder.encode(value)
        } catch {
            throw CircuitFitError("cannot write \(url.path): the value cannot be encoded as JSON (\(error))")
        }
        try write(json + Data("\n".utf8), to: url)
    }

    static func write(_ bytes: UnsafeRawBufferPointer, to url: URL) throws {
        let target = url.path
        func failure(_ code: Int32) -> CircuitFitError {
            CircuitFitError("cannot write \(target): \(String(cString: strerror(code)))")
        }
        let folder = url.deletingLastPathComponent().path
        removeStaleTemporaries(in: folder, for: url.lastPathComponent)
        let (descriptor, temporary) = try createTemporaryFile(in: folder, for: url.lastPathComponent, failure: failure)
        var closed = false
        do {
            defer { if !closed { close(descriptor) } }
            var written = 0
            while written < bytes.count {
                let result = posixWrite(descriptor, bytes.baseAddress! + written, bytes.count - written)
                if result < 0 {
                    if errno == EINTR { continue }
                    throw failure(errno)
                }
                written += result
            }
            guard fsync(descriptor) == 0 else { throw failure(errno) }
            closed = true
            guard close(descriptor) == 0 else { throw failure(errno) }
            guard rename(temporary, target) == 0 else { throw failure(errno) }
        } catch {
            unlink(temporary)
            throw error
        }
        syncFolder(folder)
    }

    /// Opens a new `.<name>.<pid>-<random>.tmp` in `folder` for writing, never reusing an existing file.
    private static func createTemporaryFile(
        in folder: String, for name: String, failure: (Int32) -> CircuitFitError
    ) throws -> (Int32, String) {
        for _ in 0..<100 {
            let path = (folder.isEmpty ? "." : folder) + "/.\(name).\(OwnerTag.mine().text).tmp"
            let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
            if descriptor >= 0 { return (descriptor, path) }
            if errno != EEXIST { throw failure(errno) }
        }
        throw failure(EEXIST)
    }

    /// Removes the temporary files of `name` in `folder` whose writer is no longer running.
    static func removeStaleTemporaries(in folder: String, for name: String) {
        for (entry, tag) in OwnerTag.entries(in: folder, prefix: ".\(name).", suffix: ".tmp") where !tag.ownerIsAlive {
            unlink((folder.isEmpty ? "." : folder) + "/" + entry)
        }
    }

    /// Removes every temporary file in `folder` (`.<name>.<pid>-<random>.tmp`, any name) whose
    /// writer is no longer running, e.g. what a killed run left, when a resumed run starts.
    public static func removeStaleTemporaries(in folder: URL) {
        let path = folder.path
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: path.isEmpty ? "." : path) else { return }
        for entry in names where entry.hasPrefix(".") && entry.hasSuffix(".tmp") {
            let parts = entry.dropLast(4).split(separator: ".")
            if let last = parts.last, let tag = OwnerTag(last), !tag.ownerIsAlive {
                unlink((path.isEmpty ? "." : path) + "/" + entry)
            }
        }
    }
}

/// write(2), named apart from `AtomicFile.write`.
private func posixWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(descriptor, buffer, count)
    #else
    return Darwin.write(descriptor, buffer, count)
    #endif
}
