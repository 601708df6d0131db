import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Several files in one folder replaced together (e.g. `import`'s `DATASET.npz` and
/// `DATASET.provenance.json`): a kill or a failure leaves either all the old files or all the new
/// ones, once `recover` has run (every writer runs it first).
///
/// 1. Each file is written to `.<name>.set-<pid>-<random>.tmp` and fsynced; any failure (disk
///    full…) removes them all, and the old files are untouched.
/// 2. A journal `.<first name>.set-<tag>.commit` listing the names is put in place atomically:
///    from now on the new set is complete.
/// 3. Each temporary file is renamed over its target; then the journal is removed.
/// A kill during step 3 leaves the journal: `recover` finishes the renames (roll forward). A kill
/// before step 2 leaves only temporary files, which `recover` removes.
public enum AtomicFileSet {
    /// Writes `files` (name, bytes) into `folder` as one set.
    public static func write(_ files: [(name: String, data: Data)], in folder: URL) throws {
        guard let first = files.first?.name else { return }
        let dir = folder.path.isEmpty ? "." : folder.path
        let tag = OwnerTag.mine().text
        func temporary(_ name: String) -> String { dir + "/.\(name).set-\(tag).tmp" }
        for (name, _) in files {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: dir + "/" + name, isDirectory: &isFolder), isFolder.boolValue {
                throw CircuitFitError("cannot write \(dir)/\(name): a folder of that name is in the way")
            }
        }
        var made: [String] = []
        func abandon() { for path in made { unlink(path) } }
        let journal = dir + "/.\(first).set-\(tag).commit"
        do {
            for (name, data) in files {
                made.append(temporary(name))
                try writeSynced(data, to: temporary(name), naming: dir + "/" + name)
            }
            made.append(journal + ".tmp")
            try writeSynced(Data(files.map(\.name).joined(separator: "\n").utf8), to: journal + ".tmp", naming: dir + "/" + first)
            guard rename(journal + ".tmp", journal) == 0 else {
                throw CircuitFitError("cannot write \(dir)/\(first): \(String(cString: strerror(errno)))")
            }
            syncFolder(dir)
        } catch {
            abandon()
            throw error
        }
        CrashPoint.reached("file-set-complete")
        for (index, (name, _)) in files.enumerated() {
            guard rename(temporary(name), dir + "/" + name) == 0 else {
                // the set is complete and journalled: the next writer's `recover` finishes it
                throw CircuitFitError("cannot write \(dir)/\(name): \(String(cString: strerror(errno))) (the next run finishes replacing the set)")
            }
            if index == 0 { CrashPoint.reached("file-set-first-renamed") }
        }
        syncFolder(dir)
        unlink(journal)
    }

    /// Finishes a set whose renames a killed writer left half done (its journal lists the names),
    /// and removes the temporary files of sets that never became complete. `names` are the files
    /// of the set (the first one names the journal). Nothing of a live writer is touched.
    public static func recover(_ names: [String], in folder: URL) {
        guard let first = names.first else { return }
        let dir = folder.path.isEmpty ? "." : folder.path
        for (journal, tag) in OwnerTag.entries(in: dir, prefix: ".\(first).set-", suffix: ".commit") where !tag.ownerIsAlive {
            let listed = ((try? String(contentsOfFile: dir + "/" + journal, encoding: .utf8)) ?? "")
                .split(separator: "\n").map(String.init)
            for name in listed where !name.contains("/") {
                let temporary = dir + "/.\(name).set-\(tag.text).tmp"
                if FileManager.default.fileExists(atPath: temporary) { _ = rename(temporary, dir + "/" + name) }
            }
            syncFolder(dir)
            unlink(dir + "/" + journal)
        }
        for name in names {
            for (entry, tag) in OwnerTag.entries(in: dir, prefix: ".\(name).set-", suffix: ".tmp") where !tag.ownerIsAlive {
                unlink(dir + "/" + entry)
            }
            for (entry, tag) in OwnerTag.entries(in: dir, prefix: ".\(name).set-", suffix: ".commit.tmp") where !tag.ownerIsAlive {
                unlink(dir + "/" + entry)
            }
        }
    }

    /// Writes `data` to a new file at `path` and fsyncs it; errors name `target`.
    private static func writeSynced(_ data: Data, to path: String, naming target: String) throws {
        func failure(_ code: Int32) -> CircuitFitError {
            CircuitFitError("cannot write \(target): \(String(cString: strerror(code)))")
        }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard descriptor >= 0 else { throw failure(errno) }
        var closed = false
        defer { if !closed { close(descriptor) } }
        try data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            var done = 0
            while done < bytes.count {
                #if canImport(Glibc)
                let result = Glibc.write(descriptor, bytes.baseAddress! + done, bytes.count - done)
                #else
                let result = Darwin.write(descriptor, bytes.baseAddress! + done, bytes.count - done)
                #endif
                if result < 0 {
                    if errno == EINTR { continue }
                    throw failure(errno)
                }
                done += result
            }
        }
        guard fsync(descriptor) == 0 else { throw failure(errno) }
        closed = true
        guard close(descriptor) == 0 else { throw failure(errno) }
    }
}
