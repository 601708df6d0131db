import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The `<pid>-<random>` tag in the names of the hidden files and folders an output is built in
/// (`.model.npz.4711-9f3a….tmp`, `.fit.staging-4711-9f3a…`): the process id says whether the
/// writer is still running, so the next run removes what a killed run left and never touches the
/// work of a live one.
struct OwnerTag: Equatable {
    var pid: Int32
    var random: UInt64

    /// A fresh tag of this process.
    static func mine() -> OwnerTag {
        var generator = SystemRandomNumberGenerator()
        return OwnerTag(pid: getpid(), random: generator.next())
    }

    var text: String { "\(pid)-\(String(random, radix: 16))" }

    /// Parses "4711-9f3a…".
    init?(_ text: Substring) {
        let parts = text.split(separator: "-")
        guard parts.count == 2, let pid = Int32(parts[0]), pid > 0, let random = UInt64(parts[1], radix: 16) else { return nil }
        self.pid = pid
        self.random = random
    }

    init(pid: Int32, random: UInt64) {
        self.pid = pid
        self.random = random
    }

    /// Whether the process that made this tag is still running on this machine (a pid reused by
    /// another process counts as running: its files are then kept until a later run).
    var ownerIsAlive: Bool {
        if pid == getpid() { return true }
        return kill(pid, 0) == 0 || errno == EPERM
    }

    /// The entries of `folder` named `prefix` + tag + `suffix`, with their tags.
    static func entries(in folder: String, prefix: String, suffix: String = "") -> [(name: String, tag: OwnerTag)] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.isEmpty ? "." : folder) else { return [] }
        return names.compactMap { name in
            guard name.hasPrefix(prefix), name.hasSuffix(suffix), name.count > prefix.count + suffix.count else { return nil }
            let middle = name.dropFirst(prefix.count).dropLast(suffix.count)
            return OwnerTag(middle).map { (name, $0) }
        }
    }
}

/// Removes `path` and everything under it; true when it is gone afterwards.
@discardableResult
func removeTree(_ path: String) -> Bool {
    try? FileManager.default.removeItem(atPath: path)
    return !FileManager.default.fileExists(atPath: path)
}

/// fsync of a folder, so the renames in it survive a power cut (best effort).
func syncFolder(_ folder: String) {
    let descriptor = open(folder.isEmpty ? "." : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard descriptor >= 0 else { return }
    fsync(descriptor)
    close(descriptor)
}
