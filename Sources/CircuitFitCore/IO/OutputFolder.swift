import Foundation

/// A command's output folder. Files are written atomically one by one; if any write fails, the
/// files this run already wrote are removed again, so a failed command leaves nothing half-done.
public struct OutputFolder {
    public let url: URL
    private var written: [URL] = []

    /// Creates the folder (and parents) if needed; fails with the path and the reason otherwise.
    public init(_ url: URL) throws {
        self.url = url
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) {
            guard isDir.boolValue else { throw CircuitFitError("output \(url.path) exists and is not a folder") }
        } else {
            try Self.createFolders(url.path, for: url.path)
        }
        guard FileManager.default.isWritableFile(atPath: url.path) else {
            throw CircuitFitError("cannot write to output folder \(url.path): permission denied")
        }
    }

    /// `mkdir -p` with the system's reason on failure (Foundation's createDirectory only says
    /// "The operation could not be completed"), naming the ancestor that is not a folder.
    private static func createFolders(_ path: String, for target: String) throws {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir) {
            if isDir.boolValue { return }
            throw CircuitFitError("cannot create output folder \(target): \(path) exists and is not a folder")
        }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty && parent != path { try createFolders(parent, for: target) }
        if mkdir(path, 0o777) != 0 && errno != EEXIST {
            throw CircuitFitError("cannot create output folder \(target): \(String(cString: strerror(errno)))")
        }
    }

    public func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    /// Runs `body`, which writes through this folder; on error, removes what it wrote and rethrows.
    public static func transaction(_ url: URL, _ body: (inout OutputFolder) throws -> Void) throws {
        var folder = try OutputFolder(url)
        do { try body(&folder) } catch {
            folder.rollback()
            throw error
        }
    }

    public mutating func write(_ data: Data, to name: String) throws {
        let target = file(name)
        try AtomicFile.write(data, to: target)
        written.append(target)
    }

    public mutating func write(_ archive: NPZArchive, to name: String) throws {
        try write(archive.encoded(), to: name)
    }

    public mutating func writeJSON<T: Encodable>(_ value: T, to name: String) throws {
        try write(Self.json(value), to: name)
    }

    public mutating func writeText(_ text: String, to name: String) throws {
        try write(Data(text.utf8), to: name)
    }

    /// Pretty, key-sorted JSON with a trailing newline; non-finite numbers become the strings
    /// "NaN", "Infinity" and "-Infinity" (an absent optional is null or left out, as its type encodes it).
    public static func json<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        var data = try encoder.encode(value)
        data.append(0x0A)
        return data
    }

    mutating func rollback() {
        for u in written { try? FileManager.default.removeItem(at: u) }
        written.removeAll()
    }
}
