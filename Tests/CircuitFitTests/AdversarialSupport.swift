import Foundation
import XCTest
@testable import CircuitFitCore
@testable import CircuitFitModel
@testable import CircuitFitAnalysis
@testable import CircuitFitImport
@testable import CircuitFitReport
@testable import CircuitFitCircuit
@testable import CircuitFitFitting
@testable import CircuitFitExperiment
import CZlib
#if canImport(Glibc)
import Glibc
#endif

/// The adversarial suite (`Adversarial*Tests`): `circuitfit` run as an adversarial user would,
/// with bombs, absurd sizes, trapping and hanging values, kills between renames, a full disk,
/// NaN, damaged HDF5 files and hostile paths. Every case must end in one of two ways:
/// - a clean error: exit status 1 (64 for a usage error), exactly one stderr line `error: …` naming what is wrong, and no
///   new or emptied output folder;
/// - handled: the command succeeds, and the test checks what it wrote.
/// Never a signal, a hang (every run has a timeout), exit 0 on garbage, or an empty --out.
///
/// Each test tallies its cases per category and writes the counts to
/// `$CIRCUITFIT_ADVERSARIAL_COUNTS` (default `.build/adversarial-counts/`), one file per test;
/// `scripts/test.sh` adds them up and prints one line per category.
class AdversarialTestCase: CLITestCase {
    /// Counts of one category.
    struct Tally {
        var cases = 0, cleanErrors = 0, handled = 0
        var signals = 0, hangs = 0, exitZeroOnGarbage = 0, emptyFolders = 0, otherFailures = 0
    }
    private var tallies: [String: Tally] = [:]

    override func tearDownWithError() throws {
        writeCounts()
        try super.tearDownWithError()
    }

    private func writeCounts() {
        guard !tallies.isEmpty else { return }
        let folder = ProcessInfo.processInfo.environment["CIRCUITFIT_ADVERSARIAL_COUNTS"].map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent(".build/adversarial-counts")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var lines: [String] = []
        for (category, t) in tallies.sorted(by: { $0.key < $1.key }) {
            let line = "\(category)\t\(t.cases)\t\(t.cleanErrors)\t\(t.handled)\t\(t.signals)\t\(t.hangs)\t\(t.exitZeroOnGarbage)\t\(t.emptyFolders)\t\(t.otherFailures)"
            lines.append(line)
            print("adversarial \(category): \(t.cases) cases, \(t.cleanErrors) clean errors, \(t.handled) handled, \(t.signals) signals, \(t.hangs) hangs, \(t.exitZeroOnGarbage) exit-0-on-garbage, \(t.emptyFolders) empty folders")
        }
        let name = String(self.name.map { $0.isLetter || $0.isNumber ? $0 : "_" }) + ".tsv"
        try? (lines.joined(separator: "\n") + "\n").write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    func count(_ category: String, _ change: (inout Tally) -> Void) {
        var t = tallies[category] ?? Tally()
        change(&t)
        tallies[category] = t
    }

    /// Runs `circuitfit args` and requires a clean one-line error that mentions every string of
    /// `mentions`. `out`, when given, must not exist afterwards unless it existed before, and then
    /// must hold exactly what it held (same names and bytes).
    @discardableResult
    func expectCleanError(
        _ category: String, _ args: [String], mentions: [String] = [], out: String? = nil, timeout: TimeInterval = 30,
        environment: [String: String] = [:], file: StaticString = #filePath, line: UInt = #line
    ) throws -> CLIResult {
        let before = out.map(snapshot)
        let r = try CLI.runBounded(args, timeout: timeout, environment: environment)
        var ok = true
        count(category) { $0.cases += 1 }
        if r.timedOut {
            count(category) { $0.hangs += 1 }; ok = false
            XCTFail("[\(category)] hang: no answer within \(Int(timeout)) s: \(r.summary)", file: file, line: line)
        } else if r.signaled {
            count(category) { $0.signals += 1 }; ok = false
            XCTFail("[\(category)] killed by a signal (status \(r.status)): \(r.summary)", file: file, line: line)
        } else if r.status == 0 {
            count(category) { $0.exitZeroOnGarbage += 1 }; ok = false
            XCTFail("[\(category)] exit 0 on bad input: \(r.summary)", file: file, line: line)
        } else {
            // progress lines may come first; the error is one line, the last
            let message = r.errorLines
            if (r.status != 1 && r.status != 64) || message.count != 1 || r.stderrLines.last != message.first {
                count(category) { $0.otherFailures += 1 }; ok = false
                XCTFail("[\(category)] not one clean `error:` line with exit 1: \(r.summary)", file: file, line: line)
            } else if let missing = mentions.first(where: { !message[0].contains($0) }) {
                count(category) { $0.otherFailures += 1 }; ok = false
                XCTFail("[\(category)] the error should mention '\(missing)': \(message[0])", file: file, line: line)
            }
        }
        if let out, let before {
            let after = snapshot(out)
            if after != before {
                ok = false
                if after?.isEmpty == true { count(category) { $0.emptyFolders += 1 } } else { count(category) { $0.otherFailures += 1 } }
                XCTFail("[\(category)] --out \(out) changed: before \(before.map { $0.keys.sorted() } ?? []) after \(after.map { $0.keys.sorted() } ?? [])", file: file, line: line)
            }
            if let dir = Optional((out as NSString).deletingLastPathComponent), let leftovers = try? FileManager.default.contentsOfDirectory(atPath: dir) {
                let name = (out as NSString).lastPathComponent
                let stray = leftovers.filter { $0.hasPrefix(".\(name).") }
                if !stray.isEmpty {
                    ok = false
                    count(category) { $0.otherFailures += 1 }
                    XCTFail("[\(category)] a failed run left \(stray) beside \(out)", file: file, line: line)
                }
            }
        }
        if ok { count(category) { $0.cleanErrors += 1 } }
        return r
    }

    /// Runs `circuitfit args` and requires success (no signal, no hang); the caller checks the
    /// output. Counted as "handled".
    @discardableResult
    func expectHandled(
        _ category: String, _ args: [String], timeout: TimeInterval = 60, environment: [String: String] = [:],
        file: StaticString = #filePath, line: UInt = #line
    ) throws -> CLIResult {
        let r = try CLI.runBounded(args, timeout: timeout, environment: environment)
        count(category) { $0.cases += 1 }
        if r.timedOut {
            count(category) { $0.hangs += 1 }
            XCTFail("[\(category)] hang: \(r.summary)", file: file, line: line)
        } else if r.signaled {
            count(category) { $0.signals += 1 }
            XCTFail("[\(category)] killed by a signal (status \(r.status)): \(r.summary)", file: file, line: line)
        } else if r.status != 0 {
            count(category) { $0.otherFailures += 1 }
            XCTFail("[\(category)] expected success: \(r.summary)", file: file, line: line)
        } else {
            count(category) { $0.handled += 1 }
        }
        return r
    }

    /// Name → bytes of every entry of the folder at `path` (nil when it does not exist; a
    /// sub-folder's bytes are its own listing).
    func snapshot(_ path: String) -> [String: Data]? {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { return nil }
        guard isFolder.boolValue else { return ["": (try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data()] }
        var out: [String: Data] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] {
            let full = path + "/" + name
            var dir: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: full, isDirectory: &dir)
            out[name] = dir.boolValue ? Data(((try? FileManager.default.contentsOfDirectory(atPath: full)) ?? []).sorted().joined(separator: "\n").utf8)
                : (try? Data(contentsOf: URL(fileURLWithPath: full))) ?? Data()
        }
        return out
    }

    // MARK: Shared fixtures (one per test class, made once)

    nonisolated(unsafe) private static var sharedFolders: [String: URL] = [:]
    private static let sharedLock = NSLock()

    /// Removes the folder the tests of this class shared.
    override class func tearDown() {
        sharedLock.lock(); defer { sharedLock.unlock() }
        if let url = sharedFolders.removeValue(forKey: String(describing: self)) { try? FileManager.default.removeItem(at: url) }
        super.tearDown()
    }

    /// A folder shared by the tests of this class (removed after its last test).
    func sharedFolder() throws -> URL {
        Self.sharedLock.lock(); defer { Self.sharedLock.unlock() }
        let key = String(describing: type(of: self))
        if let url = Self.sharedFolders[key] { return url }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cf-adversarial-\(key)-\(getpid())")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        Self.sharedFolders[key] = url
        return url
    }

    /// A small generated circuit (30 neurons, 4 training angles) shared by this class's tests.
    func smallCircuit(file: StaticString = #filePath, line: UInt = #line) throws -> URL {
        let folder = try sharedFolder().appendingPathComponent("circuit")
        if FileManager.default.fileExists(atPath: folder.appendingPathComponent("dataset.npz").path) { return folder }
        let config = try sharedFolder().appendingPathComponent("circuit.json")
        try Data(#"{"neurons": 30, "trainingAngles": 4, "movementMs": 300}"#.utf8).write(to: config)
        let r = try CLI.run(["generate", "--out", folder.path, "--config", config.path, "--seed", "4"])
        guard r.status == 0 else {
            XCTFail("generate failed: \(r.summary)", file: file, line: line)
            throw CLIRunnerError(description: "generate failed")
        }
        return folder
    }

    /// The small circuit's dataset.
    func smallDataset() throws -> URL { try smallCircuit().appendingPathComponent("dataset.npz") }

    /// The arrays of the small dataset, to derive damaged ones from.
    func smallDatasetArchive() throws -> NPZArchive { try NPZArchive.read(from: smallDataset()) }

    /// Writes `archive` with `change` applied to `name` in the scratch folder; returns the path.
    func variant(_ name: String, of archive: NPZArchive, _ change: (inout NPZArchive) -> Void) throws -> String {
        var a = archive
        change(&a)
        let url = scratch.appendingPathComponent(name)
        try a.write(to: url)
        return url.path
    }

    /// Fast training options for the small circuit.
    static let quickFit = ["--hidden", "24", "--record", "6", "--iterations", "30"]
}

/// Builds ZIP archives with deflated entries whose sizes may lie (the NPZ bombs), with ZIP64
/// sizes when a declared size needs them.
enum BombZip {
    struct Entry {
        var name: String
        /// The bytes stored as the entry's data (already deflated, or anything).
        var stored: [UInt8]
        var declaredSize: UInt64
        var crc: UInt32 = 0
        var method: UInt16 = 8
    }

    /// Raw deflate of `bytes` (no zlib header), the way ZIP method 8 stores it.
    static func deflate(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: bytes.count / 2 + 1024)
        var stream = z_stream()
        precondition(deflateInit2_(&stream, 9, Z_DEFLATED, -MAX_WBITS, 9, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK)
        defer { deflateEnd(&stream) }
        var input = bytes
        var produced = 0
        input.withUnsafeMutableBufferPointer { inBuf in
            stream.next_in = inBuf.baseAddress
            stream.avail_in = uInt(inBuf.count)
            while true {
                if produced == out.count { out += [UInt8](repeating: 0, count: out.count) }
                let status: Int32 = out.withUnsafeMutableBufferPointer { o in
                    stream.next_out = o.baseAddress! + produced
                    stream.avail_out = uInt(o.count - produced)
                    let s = CZlib.deflate(&stream, Z_FINISH)
                    produced = o.count - Int(stream.avail_out)
                    return s
                }
                if status == Z_STREAM_END { break }
            }
        }
        return Array(out[0..<produced])
    }

    /// A zlib stream (2-byte header, Adler-32), as MAT v5 `miCOMPRESSED` holds it.
    static func zlib(_ bytes: [UInt8]) -> [UInt8] {
        var length = compressBound(uLong(bytes.count))
        var out = [UInt8](repeating: 0, count: Int(length))
        precondition(compress2(&out, &length, bytes, uLong(bytes.count), 9) == Z_OK)
        return Array(out[0..<Int(length)])
    }

    /// The ZIP file of `entries`.
    static func archive(_ entries: [Entry]) -> [UInt8] {
        var out: [UInt8] = []
        var central: [UInt8] = []
        func le16(_ v: UInt16, _ a: inout [UInt8]) { a += [UInt8(v & 0xFF), UInt8(v >> 8)] }
        func le32(_ v: UInt32, _ a: inout [UInt8]) { for k in 0..<4 { a.append(UInt8((v >> (8 * UInt32(k))) & 0xFF)) } }
        func le64(_ v: UInt64, _ a: inout [UInt8]) { for k in 0..<8 { a.append(UInt8((v >> (8 * UInt64(k))) & 0xFF)) } }
        for e in entries {
            let offset = UInt32(out.count)
            let zip64 = e.declaredSize >= 0xFFFF_FFFF
            var extra: [UInt8] = []
            if zip64 { le16(1, &extra); le16(8, &extra); le64(e.declaredSize, &extra) }
            let name = Array(e.name.utf8)
            le32(0x0403_4B50, &out); le16(45, &out); le16(0, &out); le16(e.method, &out); le16(0, &out); le16(0, &out)
            le32(e.crc, &out); le32(UInt32(e.stored.count), &out); le32(zip64 ? 0xFFFF_FFFF : UInt32(e.declaredSize), &out)
            le16(UInt16(name.count), &out); le16(UInt16(extra.count), &out)
            out += name; out += extra; out += e.stored
            le32(0x0201_4B50, &central); le16(45, &central); le16(45, &central); le16(0, &central); le16(e.method, &central)
            le16(0, &central); le16(0, &central); le32(e.crc, &central); le32(UInt32(e.stored.count), &central)
            le32(zip64 ? 0xFFFF_FFFF : UInt32(e.declaredSize), &central)
            le16(UInt16(name.count), &central); le16(UInt16(extra.count), &central); le16(0, &central); le16(0, &central)
            le16(0, &central); le32(0, &central); le32(offset, &central)
            central += name; central += extra
        }
        let directoryOffset = UInt32(out.count)
        out += central
        le32(0x0605_4B50, &out); le16(0, &out); le16(0, &out); le16(UInt16(entries.count), &out); le16(UInt16(entries.count), &out)
        le32(UInt32(central.count), &out); le32(directoryOffset, &out); le16(0, &out)
        return out
    }

    /// A `.npy` header (version 1.0, padded to 64 bytes) for a float64 vector of `count` values.
    static func npyHeader(count: Int) -> [UInt8] {
        var dict = Array("{'descr': '<f8', 'fortran_order': False, 'shape': (\(count),), }".utf8)
        let total = 10 + dict.count + 1
        dict += [UInt8](repeating: 0x20, count: (64 - total % 64) % 64)
        dict.append(0x0A)
        return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(dict.count & 0xFF), UInt8(dict.count >> 8)] + dict
    }
}
