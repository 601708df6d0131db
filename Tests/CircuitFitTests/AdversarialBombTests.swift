import Foundation
import XCTest
@testable import CircuitFitCore
@testable import CircuitFitImport

/// Decompression bombs: small files whose compressed data would expand to gigabytes, or whose
/// declared sizes lie. Each goes through every reader that takes it (`train` and `evaluate` for a
/// dataset, `import` for a recording) and must give a clean one-line error, fast, without
/// allocating what the file claims.
final class AdversarialBombTests: AdversarialTestCase {
    /// A dataset whose `rates.npy` is the bomb, the other arrays intact; returns its path.
    private func datasetBomb(_ name: String, rates: BombZip.Entry) throws -> String {
        let good = try smallDatasetArchive()
        var entries: [BombZip.Entry] = []
        for array in good.names where array != "rates" {
            let bytes = NPYFormat.encodeBytes(good[array]!)
            entries.append(BombZip.Entry(name: array + ".npy", stored: bytes, declaredSize: UInt64(bytes.count), crc: Zip.checksum(bytes[...]), method: 0))
        }
        entries.append(rates)
        let url = scratch.appendingPathComponent(name)
        try Data(BombZip.archive(entries)).write(to: url)
        return url.path
    }

    /// The bombs, each with what its error must say.
    private func npzBombs() throws -> [(path: String, mentions: [String], environment: [String: String])] {
        // 1. declared 8 kB, but the stream inflates to 64 MB of zeros (66 kB on disk)
        let header = BombZip.npyHeader(count: 1000)
        let overflowing = BombZip.deflate(header + [UInt8](repeating: 0, count: 64 << 20))
        let a = try datasetBomb("overflow.npz", rates: .init(name: "rates.npy", stored: overflowing, declaredSize: UInt64(header.count + 8000)))
        // 2. the .npy header inside claims 750 million doubles (6 GB); the directory 1 MB
        let huge = BombZip.npyHeader(count: 750_000_000)
        let lying = BombZip.deflate(huge + [UInt8](repeating: 0, count: 1 << 20))
        let b = try datasetBomb("header-6GB.npz", rates: .init(name: "rates.npy", stored: lying, declaredSize: UInt64(huge.count + (1 << 20))))
        // 3. the directory declares 6 GB for 6 MB of compressed data (within deflate's 1032×):
        //    refused by the memory check before anything is inflated (here capped at 1 GB)
        let junk = [UInt8](repeating: 0x5A, count: 6 << 20)
        let c = try datasetBomb("declared-6GB.npz", rates: .init(name: "rates.npy", stored: junk, declaredSize: 6_000_000_640))
        // 4. the directory declares more than deflate can expand 66 kB to
        let d = try datasetBomb("ratio.npz", rates: .init(name: "rates.npy", stored: overflowing, declaredSize: 1 << 40))
        return [
            (a, ["rates.npy", "inflates to more than"], [:]),
            (b, ["rates.npy", "needs 6000000128 bytes but the ZIP directory declares"], [:]),
            (c, ["its arrays", "needs about", "CIRCUITFIT_MEMORY_LIMIT allows"], ["CIRCUITFIT_MEMORY_LIMIT": "1G"]),
            (d, ["rates.npy", "more than its"], [:]),
        ]
    }

    func testNPZBombsGiveCleanErrorsInTrainEvaluateAndImport() throws {
        let circuit = try smallCircuit()
        // a model to evaluate with the bombs as its dataset
        let model = path("model")
        try CLI.run(["train", circuit.appendingPathComponent("dataset.npz").path, "--out", model] + Self.quickFit)
        for bomb in try npzBombs() {
            let start = Date()
            try expectCleanError("bombs", ["train", bomb.path, "--out", path("fit")] + Self.quickFit, mentions: bomb.mentions, out: path("fit"), environment: bomb.environment)
            try expectCleanError("bombs", ["evaluate", model, bomb.path, "--json"], mentions: bomb.mentions, environment: bomb.environment)
            // as a recording: `import` reads it with the same NPZ reader before looking for spikes
            try expectCleanError("bombs", ["import", bomb.path, "--out", path("imported.npz")], mentions: bomb.mentions, out: path("imported.npz"), environment: bomb.environment)
            XCTAssertLessThan(Date().timeIntervalSince(start), 20, "\(bomb.path): three runs took too long: is it inflating the bomb?")
        }
    }

    /// MAT v5 `miCOMPRESSED` elements: the inner element's tag declares the size; a stream that
    /// holds more, a declared size beyond deflate's ratio, and one beyond the memory budget.
    func testMATCompressedBombsGiveCleanErrors() throws {
        func mat(_ name: String, compressed: [UInt8]) throws -> String {
            var bytes = Array("MATLAB 5.0 MAT-file, written by an adversarial test".utf8)
            bytes += [UInt8](repeating: 0x20, count: 116 - bytes.count)
            bytes += [UInt8](repeating: 0, count: 8)          // subsystem data offset
            bytes += [0x00, 0x01, UInt8(ascii: "I"), UInt8(ascii: "M")]  // version 0x0100, little-endian
            func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * UInt32($0))) & 0xFF) } }
            bytes += le32(15) + le32(UInt32(compressed.count)) + compressed
            let url = scratch.appendingPathComponent(name)
            try Data(bytes).write(to: url)
            return url.path
        }
        func tag(type: UInt32, size: UInt32) -> [UInt8] {
            (0..<4).map { UInt8((type >> (8 * UInt32($0))) & 0xFF) } + (0..<4).map { UInt8((size >> (8 * UInt32($0))) & 0xFF) }
        }
        // 1. the tag declares 1 kB, the stream inflates to 64 MB
        let a = try mat("overflow.mat", compressed: BombZip.zlib(tag(type: 14, size: 1024) + [UInt8](repeating: 0, count: 64 << 20)))
        // 2. the tag declares 3.2 GB in a 1 kB stream: beyond deflate's ratio
        let small = BombZip.zlib(tag(type: 14, size: 3_200_000_000) + [UInt8](repeating: 0, count: 1024))
        let b = try mat("ratio.mat", compressed: small)
        // 3. 3.2 GB declared in 3.2 MB of data (within the ratio): refused by the memory check
        let c = try mat("declared-3GB.mat", compressed: small + [UInt8](repeating: 0, count: 3_200_000))
        let cases: [(String, [String], [String: String])] = [
            (a, ["compressed element", "inflates to more than"], [:]),
            (b, ["compressed element", "more than its"], [:]),
            (c, ["compressed MAT variable", "needs about", "CIRCUITFIT_MEMORY_LIMIT allows"], ["CIRCUITFIT_MEMORY_LIMIT": "512M"]),
        ]
        for (file, mentions, environment) in cases {
            let start = Date()
            try expectCleanError("bombs", ["import", file, "--out", path("bomb.npz")], mentions: mentions, out: path("bomb.npz"), environment: environment)
            XCTAssertLessThan(Date().timeIntervalSince(start), 10, "\(file): took too long")
        }
    }

    /// The streaming inflater itself, in process: a 64 MB stream read 4 kB at a time holds only
    /// what was read, and reports more data after the declared end.
    func testInflaterStopsAtTheDeclaredSize() throws {
        let stream = BombZip.deflate([UInt8](repeating: 7, count: 64 << 20))
        let inflater = try Inflater(stream[...], format: .raw)
        var out: [UInt8] = []
        XCTAssertEqual(try inflater.read(into: &out, upTo: 4096), 4096)
        XCTAssertEqual(out, [UInt8](repeating: 7, count: 4096))
        XCTAssertTrue(try inflater.hasMore())
        // truncated and corrupt streams are errors, not crashes
        let truncated = try Inflater(stream.prefix(100), format: .raw)
        var sink: [UInt8] = []
        XCTAssertThrowsError(try truncated.read(into: &sink, upTo: 64 << 20)) { XCTAssertEqual($0 as? Inflater.Failure, .truncated) }
        let corrupt = try Inflater([0xFF, 0xFF, 0xFF, 0xFF][...], format: .raw)
        XCTAssertThrowsError(try corrupt.read(into: &sink, upTo: 100))
    }
}
