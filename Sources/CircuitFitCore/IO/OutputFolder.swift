import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A command's output folder, written so that no failure ever destroys the previous result.
///
/// **Staged** (`staged(_:files:)`, `transaction`; what `generate` and `train` use): the new output
/// is written into a hidden staging folder beside the target, in the same parent
/// (`.<name>.staging-<pid>-<random>`), and swapped in only when it is complete:
/// 1. every file is written and fsynced; the staging folder is renamed `.<name>.new-<tag>`
///    (which marks it complete);
/// 2. an existing target is renamed `.<name>.old-<tag>`;
/// 3. `.<name>.new-<tag>` is renamed to the target, and the old folder is removed.
/// Any failure before step 2 (disk full, an error, a kill) leaves the old output untouched and
/// removes the staging folder (or the next run does); a kill between the renames is finished by
/// the next run's `recover`: a complete `.new` folder is swapped in, or else the `.old` one is put
/// back. So the target holds either the old complete output or the new complete one, never a
/// mix, and a failed command leaves no empty target (parent folders it created are removed too).
/// An existing target is replaced only when it holds nothing but the files the command writes
/// (and hidden temporaries): a folder with other files is refused, never deleted.
///
/// **In place** (`init(_:)`): files are written one by one, atomically, into the folder itself;
/// for folders with many writers and a life of their own (the experiment folder).
public struct OutputFolder {
    /// The folder the output ends up in.
    public let target: URL
    /// The folder the files are written to now: the staging folder, or the target in place.
    public let url: URL
    private let staged: Bool
    /// Names the command writes (and may replace in an existing target).
    private let expected: Set<String>
    /// Parent folders this output created (removed again if it is discarded), innermost last.
    private let createdParents: [String]
    private var written: [String] = []

    /// An output folder written in place: creates the folder (and its parents) if needed; fails
    /// with the path and the reason otherwise.
    public init(_ url: URL) throws {
        target = url
        self.url = url
        staged = false
        expected = []
        try Self.requireFolderOrNothing(url.path)
        createdParents = try Self.createFolders(url.path, for: url.path)
        guard access(url.path, W_OK) == 0 else {
            throw CircuitFitError("cannot write to output folder \(url.path): \(String(cString: strerror(errno)))")
        }
    }

    private init(target: URL, staging: URL, expected: Set<String>, createdParents: [String]) {
        self.target = target
        url = staging
        staged = true
        self.expected = expected
        self.createdParents = createdParents
    }

    /// Begins a staged output for `target` (see the type's description): finishes or cleans up
    /// what an earlier killed run left, checks that an existing target may be replaced (it holds
    /// only names among `files`, or nothing), and creates the staging folder. The target itself is
    /// not touched until `commit`.
    public static func staged(_ target: URL, files: Set<String>) throws -> OutputFolder {
        let path = try checkedTargetPath(target)
        let resolved = URL(fileURLWithPath: path)
        try requireFolderOrNothing(path)
        let parent = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        guard name.utf8.count <= 200 else { throw CircuitFitError("output folder name is too long (\(name.utf8.count) bytes, at most 200): \(path)") }
        let created = try createFolders(parent, for: path)
        recover(resolved)
        if !files.isEmpty { try requireReplaceable(path, by: files) }
        let staging = parent + "/.\(name).staging-\(OwnerTag.mine().text)"
        guard mkdir(staging, 0o777) == 0 else {
            let reason = String(cString: strerror(errno))
            removeCreated(created)
            throw CircuitFitError("cannot create output folder \(path): \(reason) (making its staging folder in \(parent))")
        }
        return OutputFolder(target: resolved, staging: URL(fileURLWithPath: staging), expected: files, createdParents: created)
    }

    /// The URL of the file `name` in the folder being written.
    public func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    /// Runs `body`, which writes through a staged output for `url`, then commits it; on any
    /// error the staging folder is discarded (the old output stays as it was) and the error is
    /// rethrown. `files` lists the names the output may replace in an existing folder besides
    /// the ones `body` writes.
    public static func transaction(_ url: URL, files: Set<String> = [], _ body: (inout OutputFolder) throws -> Void) throws {
        var folder = try staged(url, files: files)
        do {
            try body(&folder)
            try folder.commit()
        } catch {
            folder.discard()
            throw error
        }
    }

    public mutating func write(_ data: Data, to name: String) throws {
        try AtomicFile.write(data, to: file(name))
        if !written.contains(name) { written.append(name) }
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

    /// Pretty, key-sorted JSON with a trailing newline; non-finite numbers are written as the
    /// strings "NaN", "Infinity", "-Infinity" (types that must write null, such as the metrics,
    /// encode their values themselves).
    public static func json<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        var data = try encoder.encode(value)
        data.append(0x0A)
        return data
    }

    // MARK: Commit and discard

    /// Whether the target already holds a previous output (a non-empty folder).
    public var targetHoldsOutput: Bool {
        !((try? FileManager.default.contentsOfDirectory(atPath: target.path)) ?? []).isEmpty
    }

    /// Swaps the complete staged output in (see the type's description). In place: nothing to do.
    public func commit() throws { try commit(as: target) }

    /// Swaps the complete staged output in at `other` instead of the target (a folder in the same
    /// parent, e.g. `OUT.diverged` for what a failed run keeps beside a previous output).
    public func commit(as other: URL) throws {
        guard staged else { return }
        let path = other.path
        if other != target { Self.recover(other) }
        let parent = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        func failure(_ step: String) -> CircuitFitError {
            CircuitFitError("cannot write output folder \(path): \(step): \(String(cString: strerror(errno)))")
        }
        let staging = Set((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? [])
        try Self.requireReplaceable(path, by: expected.union(written).union(staging))
        guard (path as NSString).deletingLastPathComponent == (target.path as NSString).deletingLastPathComponent else {
            throw CircuitFitError("cannot write output folder \(path): not beside \(target.path)")
        }
        syncFolder(url.path)
        let tag = OwnerTag.mine().text
        let complete = parent + "/.\(name).new-\(tag)", old = parent + "/.\(name).old-\(tag)"
        guard rename(url.path, complete) == 0 else { throw failure("marking the new output complete") }
        CrashPoint.reached("output-complete")
        var isFolder: ObjCBool = false
        let hadOld = FileManager.default.fileExists(atPath: path, isDirectory: &isFolder)
        if hadOld {
            guard rename(path, old) == 0 else {
                let error = failure("moving the previous output aside")
                _ = rename(complete, url.path)  // back to staging, so discard removes it
                throw error
            }
            CrashPoint.reached("output-old-moved")
        }
        guard rename(complete, path) == 0 else {
            let error = failure("moving the new output in place")
            if hadOld { _ = rename(old, path) }
            _ = rename(complete, url.path)
            throw error
        }
        CrashPoint.reached("output-new-in-place")
        syncFolder(parent)
        if hadOld { removeTree(old) }
    }

    /// Removes the staging folder (and the parent folders this output created); the target is
    /// left as it was. In place: removes the files this run wrote.
    public func discard() {
        if staged {
            removeTree(url.path)
            Self.removeCreated(createdParents)
        } else {
            for name in written { try? FileManager.default.removeItem(at: file(name)) }
        }
    }

    // MARK: Recovery

    /// Finishes or cleans up what a killed run left beside `target` (see the type's description):
    /// swaps in a complete `.new` output, or puts an `.old` one back when the target is missing;
    /// removes staging and old folders whose writer is no longer running. Nothing of a live
    /// writer is touched.
    public static func recover(_ target: URL) {
        let path = target.resolvingSymlinksInPath().path
        let parent = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        func entries(_ kind: String) -> [(path: String, tag: OwnerTag)] {
            OwnerTag.entries(in: parent, prefix: ".\(name).\(kind)-").filter { !$0.tag.ownerIsAlive }.map { (parent + "/" + $0.name, $0.tag) }
        }
        for staging in entries("staging") { removeTree(staging.path) }
        // a complete new output whose swap was interrupted: finish it (the newest, if several)
        let complete = entries("new").sorted { modificationTime($0.path) > modificationTime($1.path) }
        if let newest = complete.first {
            let aside = parent + "/.\(name).old-\(OwnerTag.mine().text)"
            let hadTarget = FileManager.default.fileExists(atPath: path)
            if !hadTarget || rename(path, aside) == 0 {
                if rename(newest.path, path) == 0 {
                    syncFolder(parent)
                    if hadTarget { removeTree(aside) }
                } else if hadTarget {
                    _ = rename(aside, path)
                }
            }
            for other in complete.dropFirst() { removeTree(other.path) }
        }
        for old in entries("old") {
            if !FileManager.default.fileExists(atPath: path) && rename(old.path, path) == 0 { syncFolder(parent); continue }
            removeTree(old.path)
        }
    }

    private static func modificationTime(_ path: String) -> Double {
        var info = stat()
        guard stat(path, &info) == 0 else { return 0 }
        return Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) * 1e-9
    }

    // MARK: Checks

    /// The target's absolute path with symlinks resolved, after refusing an empty path and the
    /// current folder (or one above it), which a staged output would replace.
    static func checkedTargetPath(_ target: URL) throws -> String {
        guard !target.path.isEmpty, target.lastPathComponent != "/" else {
            throw CircuitFitError("output folder must be a path, got '\(target.path)'")
        }
        let path = target.standardizedFileURL.resolvingSymlinksInPath().path
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).standardizedFileURL.resolvingSymlinksInPath().path
        if path == "/" || cwd == path || cwd.hasPrefix(path + "/") {
            throw CircuitFitError("output folder \(path) is the current folder or one above it; name a folder of its own (e.g. \(path == "/" ? "/tmp/out" : path + "/out"))")
        }
        return path
    }

    /// Throws unless `path` is a folder or does not exist.
    private static func requireFolderOrNothing(_ path: String) throws {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue {
            throw CircuitFitError("output \(path) exists and is not a folder")
        }
    }

    /// Throws unless the existing folder at `path` (if any) holds only `names` and hidden
    /// temporaries: the files a new output replaces. Anything else is the user's, not ours.
    private static func requireReplaceable(_ path: String, by names: Set<String>) throws {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: path) else { return }
        let foreign = entries.filter { !names.contains($0) && !($0.hasPrefix(".") && $0.hasSuffix(".tmp")) }.sorted()
        guard foreign.isEmpty else {
            let shown = foreign.prefix(5).joined(separator: ", ") + (foreign.count > 5 ? ", …" : "")
            throw CircuitFitError("output folder \(path) holds files CircuitFit did not write there (\(shown)); it replaces an output folder as a whole, so choose a new or empty folder")
        }
    }

    /// `mkdir -p` with the system's reason on failure (Foundation's createDirectory only says
    /// "The operation could not be completed"), naming the ancestor that is not a folder; returns
    /// the folders it created, outermost first.
    private static func createFolders(_ path: String, for target: String) throws -> [String] {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir) {
            if isDir.boolValue { return [] }
            throw CircuitFitError("cannot create output folder \(target): \(path) exists and is not a folder")
        }
        let parent = (path as NSString).deletingLastPathComponent
        var created: [String] = []
        if !parent.isEmpty && parent != path { created = try createFolders(parent, for: target) }
        if mkdir(path, 0o777) != 0 {
            guard errno == EEXIST else {
                let reason = String(cString: strerror(errno))
                removeCreated(created)
                throw CircuitFitError("cannot create output folder \(target): \(reason)")
            }
            return created
        }
        return created + [path]
    }

    /// Removes folders this output created, innermost first, as long as they are empty.
    private static func removeCreated(_ folders: [String]) {
        for folder in folders.reversed() { rmdir(folder) }
    }
}
