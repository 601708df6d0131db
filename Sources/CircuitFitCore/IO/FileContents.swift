import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a whole file into memory with errors that name the path and the system's reason,
/// e.g. "cannot read /x/dataset.npz: No such file or directory"; a file larger than the memory
/// budget is refused before anything is allocated.
public enum FileContents {
    /// The bytes of the file at `url`.
    public static func read(_ url: URL) throws -> [UInt8] {
        let path = url.path
        func failure(_ code: Int32) -> CircuitFitError {
            CircuitFitError("cannot read \(path): \(String(cString: strerror(code)))")
        }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure(errno) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw failure(errno) }
        if (info.st_mode & S_IFMT) == S_IFDIR { throw failure(EISDIR) }
        let size = max(Int(info.st_size), 0)
        try MemoryBudget.requireIfLarge(size, for: "reading \(path) (\(MemoryBudget.format(size)) on disk)")

        var bytes: [UInt8] = []
        bytes.reserveCapacity(size)
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = chunk.withUnsafeMutableBytes { posixRead(descriptor, $0.baseAddress!, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw failure(errno)
            }
            if count == 0 { return bytes }
            bytes += chunk[0..<count]
        }
    }
}

/// read(2), named apart from `FileContents.read`.
private func posixRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.read(descriptor, buffer, count)
    #else
    return Darwin.read(descriptor, buffer, count)
    #endif
}
