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
import CircuitFitTestSupport

final class NPZTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("npz-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    // MARK: Helpers

    /// An archive with every dtype and the awkward shapes: scalars, empty and 3-D arrays.
    private func sampleArchive() -> NPZArchive {
        NPZArchive([
            "w3": NPYArray((0..<24).map { Double($0) / 7.0 - 1.5 }, shape: [2, 3, 4]),
            "f": NPYArray((0..<6).map { Float($0) / 3 }, shape: [2, 3]),
            "i": NPYArray([Int64.min, -1, 0, Int64.max]),
            "inf": NPYArray([Double.infinity, -Double.infinity, -0.0, Double.leastNonzeroMagnitude]),
            "dt_ms": NPYArray(scalar: 1.5),
            "f_scalar": NPYArray(scalar: Float(0.25)),
            "go_index": NPYArray(scalar: 40),
            "empty": NPYArray([Double](), shape: [0]),
            "empty3": NPYArray([Float](), shape: [2, 0, 3]),
        ], fileName: "sample.npz")
    }

    /// The bytes of a hand-made .npy file with the given header dictionary and data.
    private func npy(_ header: String, _ data: [UInt8] = [], version: UInt8 = 1) -> [UInt8] {
        var bytes = NPYFormat.magic + [version, 0]
        let text = Array((header + "\n").utf8)
        if version == 1 { bytes.appendLE(UInt16(text.count)) } else { bytes.appendLE(UInt32(text.count)) }
        return bytes + text + data
    }

    /// An .npz of one hand-made entry `name`.npy.
    private func npz(_ name: String, _ npyBytes: [UInt8]) -> [UInt8] {
        ZipWriter.archive([ZipEntry(name: name + ".npy", bytes: npyBytes)])
    }

    private func littleEndianBytes(_ values: [Double]) -> [UInt8] {
        var bytes: [UInt8] = []
        for v in values { bytes.appendLE(v.bitPattern) }
        return bytes
    }

    /// The CircuitFitError message `body` throws, or a test failure.
    private func errorMessage(_ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            try body()
            XCTFail("expected an error", file: file, line: line)
        } catch let error as CircuitFitError {
            XCTAssertFalse(error.message.contains("\n"), "error should be one line", file: file, line: line)
            return error.message
        } catch {
            XCTFail("expected CircuitFitError, got \(error)", file: file, line: line)
        }
        return ""
    }

    /// Runs `python3 -c script args…`, returning the exit code and the output; skips the test
    /// when python3 with numpy is not available.
    @discardableResult
    private func python(_ script: String, _ arguments: [String] = []) throws -> (status: Int32, output: String) {
        func run(_ script: String, _ arguments: [String]) throws -> (Int32, String) {
            let r = try ChildProcess("python3", ["-c", script] + arguments, mergeStandardError: true).run()
            return (r.status, r.stdout)
        }
        guard let (status, _) = try? run("import numpy", []), status == 0 else {
            throw XCTSkip("python3 with numpy is not available")
        }
        return try run(script, arguments)
    }

    // MARK: Round trips

    func testRoundTripOfEveryDtypeAndShape() throws {
        let archive = sampleArchive()
        let decoded = try NPZArchive.decode(archive.encoded(), fileName: "sample.npz")
        XCTAssertEqual(decoded.names, ["w3", "f", "i", "inf", "dt_ms", "f_scalar", "go_index", "empty", "empty3"])
        XCTAssertEqual(decoded, archive)
        XCTAssertEqual(decoded["dt_ms"]?.shape, [])
        XCTAssertEqual(decoded["f"]?.dtypeName, "float32")
        XCTAssertEqual(decoded["go_index"]?.dtypeName, "int64")
        XCTAssertEqual(decoded["empty3"]?.shape, [2, 0, 3])
        XCTAssertEqual(decoded["inf"]?.doubles[2].sign, .minus)

        let url = folder.appendingPathComponent("sample.npz")
        try archive.write(to: url)
        let reread = try NPZArchive.read(from: url)
        XCTAssertEqual(reread, archive)
        XCTAssertEqual(reread.fileName, "sample.npz")
    }

    func testNaNPayloadSurvivesRoundTrip() throws {
        let nan = Double(nan: 0x1234, signaling: false)
        let floatNaN = Float(nan: 0x56, signaling: false)
        var archive = NPZArchive()
        archive.set("d", NPYArray([nan]))
        archive.set("f", NPYArray([floatNaN]))
        let decoded = try NPZArchive.decode(archive.encoded(), fileName: "nan.npz")
        XCTAssertEqual(decoded["d"]?.doubles[0].bitPattern, nan.bitPattern)
        XCTAssertEqual(decoded["f"]?.floats[0].bitPattern, floatNaN.bitPattern)
    }

    func testForcedZip64ArchiveRoundTrips() throws {
        let archive = sampleArchive()
        let bytes = archive.encodedBytes(zip64Limit: 0)
        XCTAssertEqual(try NPZArchive.decode(bytes, fileName: "zip64.npz"), archive)
        XCTAssertNotEqual(bytes, archive.encodedBytes(), "a zero limit must produce ZIP64 records")
    }

    func testSetReplacesInPlaceAndConvertsFromMatrices() {
        var archive = NPZArchive()
        archive.set("a", NPYArray(scalar: 1.0))
        archive.set("b", NPYArray(Matrix<Float>([[1, 2], [3, 4]])))
        archive.set("a", NPYArray(Array3<Double>(1, 2, 1, data: [5, 6])))
        XCTAssertEqual(archive.names, ["a", "b"])
        XCTAssertEqual(archive["a"]?.shape, [1, 2, 1])
        XCTAssertEqual(archive["b"]?.shape, [2, 2])
        XCTAssertEqual(archive["b"]?.doubles, [1, 2, 3, 4])
        XCTAssertEqual(NPYArray([2.7, -2.7, .nan]).ints, [2, -2, 0])
        XCTAssertEqual(NPYArray([1, 2, 3]).count, 3)
        XCTAssertEqual(NPYArray(scalar: 3).count, 1)
    }

    // MARK: The .npy format

    func testHeaderIsNumpyVersion1AlignedTo64Bytes() {
        let cases: [(NPYArray, String)] = [
            (NPYArray([1.0, 2, 3, 4, 5]), "{'descr': '<f8', 'fortran_order': False, 'shape': (5,), }"),
            (NPYArray(scalar: Float(1)), "{'descr': '<f4', 'fortran_order': False, 'shape': (), }"),
            (NPYArray([1, 2, 3, 4, 5, 6], shape: [2, 3]), "{'descr': '<i8', 'fortran_order': False, 'shape': (2, 3), }"),
        ]
        for (array, dictionary) in cases {
            let bytes = NPYFormat.encodeBytes(array)
            XCTAssertEqual(Array(bytes[0..<8]), NPYFormat.magic + [1, 0])
            let headerLength = Int(bytes.uint16LE(at: 8)!)
            XCTAssertEqual((10 + headerLength) % 64, 0)
            let header = String(decoding: bytes[10..<(10 + headerLength)], as: UTF8.self)
            XCTAssertTrue(header.hasPrefix(dictionary), header)
            XCTAssertTrue(header.hasSuffix(" \n") || header == dictionary + "\n")
            XCTAssertEqual(bytes.count - 10 - headerLength, array.count * 8 / (array.dtypeName == "float32" ? 2 : 1))
        }
    }

    func testReadsVersion2And3Headers() throws {
        let data = littleEndianBytes([1.5, -2])
        for version: UInt8 in [2, 3] {
            let array = try NPYFormat.decode(Data(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", data, version: version)), file: "v.npy")
            XCTAssertEqual(array, NPYArray([1.5, -2]))
        }
        let message = errorMessage { _ = try NPYFormat.decode(Data(npy("{}", version: 4)), file: "v.npy") }
        XCTAssertEqual(message, "v.npy has .npy format version 4.0; CircuitFit reads versions 1.0, 2.0 and 3.0")
    }

    func testIntegerAndBoolDtypesBecomeInt64() throws {
        let cases: [(String, [UInt8], [Int64])] = [
            ("<i4", [0xFE, 0xFF, 0xFF, 0xFF, 0x70, 0x11, 0x01, 0x00], [-2, 70000]),
            ("|u1", [0, 255], [0, 255]),
            ("|b1", [1, 0, 1], [1, 0, 1]),
            ("|i1", [0x80, 0x7F], [-128, 127]),
            ("<i2", [0x00, 0x80, 0x01, 0x00], [-32768, 1]),
            ("<u2", [0xFF, 0xFF], [65535]),
            ("<u4", [0xFF, 0xFF, 0xFF, 0xFF], [4_294_967_295]),
        ]
        for (descr, data, expected) in cases {
            let count = expected.count
            let array = try NPYFormat.decode(Data(npy("{'descr': '\(descr)', 'fortran_order': False, 'shape': (\(count),), }", data)), file: "x.npy")
            XCTAssertEqual(array, NPYArray(expected), descr)
        }
        let message = errorMessage {
            _ = try NPYFormat.decode(Data(npy("{'descr': '<u8', 'fortran_order': False, 'shape': (1,), }", [UInt8](repeating: 0xFF, count: 8))), file: "x.npy")
        }
        XCTAssertTrue(message.contains("above 2^63-1"), message)
    }

    func testUnsupportedDtypesGiveOneLineMessages() throws {
        let big = npz("targets", npy("{'descr': '>f8', 'fortran_order': False, 'shape': (1,), }", [0x3F, 0xF0, 0, 0, 0, 0, 0, 0]))
        XCTAssertEqual(
            errorMessage { _ = try NPZArchive.decode(Data(big), fileName: "dataset.npz") },
            "dataset.npz: array 'targets' has dtype '>f8' (big-endian); CircuitFit reads little-endian float32, float64 and integer arrays")
        let cases: [(String, String)] = [
            ("'<c16'", "(complex)"), ("'<U5'", "(unicode strings)"), ("'|O'", "(Python objects)"),
            ("'|S3'", "(byte strings)"), ("'<f2'", "(float16)"), ("'<M8[ns]'", "(datetimes)"), ("'float64'", "(not a NumPy dtype string)"),
            ("[('a', '<f8'), ('b', '<i4')]", "structured dtype"),
        ]
        for (descr, expected) in cases {
            let bytes = npz("x", npy("{'descr': \(descr), 'fortran_order': False, 'shape': (0,), }"))
            let message = errorMessage { _ = try NPZArchive.decode(Data(bytes), fileName: "d.npz") }
            XCTAssertTrue(message.hasPrefix("d.npz: array 'x' has "), message)
            XCTAssertTrue(message.contains(expected), "\(descr): \(message)")
        }
    }

    func testFortranOrderIsRejectedForMatricesOnly() throws {
        let data = littleEndianBytes([1, 2, 3, 4, 5, 6])
        let fortran = npz("W", npy("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", data))
        let message = errorMessage { _ = try NPZArchive.decode(Data(fortran), fileName: "circuit.npz") }
        XCTAssertTrue(message.hasPrefix("circuit.npz: array 'W' is stored in Fortran order"), message)
        // A vector has the same layout in either order.
        let vector = npz("v", npy("{'descr': '<f8', 'fortran_order': True, 'shape': (6,), }", data))
        XCTAssertEqual(try NPZArchive.decode(Data(vector), fileName: "v.npz")["v"], NPYArray([1.0, 2, 3, 4, 5, 6]))
    }

    func testBadHeadersGiveClearErrors() {
        let cases: [(String, String)] = [
            ("{'descr': '<f8', 'shape': (3,), }", "no 'fortran_order' key"),
            ("{'fortran_order': False, 'shape': (3,), }", "no 'descr' key"),
            ("{'descr': '<f8', 'fortran_order': False, }", "no 'shape' key"),
            ("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), } junk", "unexpected"),
            ("{'descr': '<f8', 'fortran_order': False, 'shape': (-3,), }", "non-negative integers"),
            ("{'descr': '<f8', 'fortran_order': 0, 'shape': (3,), }", "not True or False"),
            ("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999999,), }", "too large"),
            (String(repeating: "(", count: 5000), "nested too deeply"),
            ("{'descr': '<f8", "not closed"),
            ("hello", "unknown name"),
            ("", "ends too early"),
        ]
        for (header, expected) in cases {
            let message = errorMessage { _ = try NPYFormat.decode(Data(npy(header)), file: "h.npy") }
            XCTAssertTrue(message.hasPrefix("h.npy has a bad .npy header: "), message)
            XCTAssertTrue(message.contains(expected), "\(header.prefix(60)): \(message)")
        }
    }

    func testHugeOrTruncatedShapesFailBeforeAllocating() {
        let overflow = npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4), }")
        XCTAssertTrue(errorMessage { _ = try NPYFormat.decode(Data(overflow), file: "o.npy") }.contains("too large"))
        let huge = npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000,), }", [0, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(
            errorMessage { _ = try NPYFormat.decode(Data(huge), file: "t.npy") },
            "t.npy is truncated: shape [1000000000000] of '<f8' needs 8000000000000 bytes of data but only 8 are present")
        let extra = npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", [UInt8](repeating: 0, count: 9))
        XCTAssertTrue(errorMessage { _ = try NPYFormat.decode(Data(extra), file: "e.npy") }.contains("has 9 bytes of data"))
        let cutHeader = Array(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }").prefix(20))
        XCTAssertEqual(errorMessage { _ = try NPYFormat.decode(Data(cutHeader), file: "c.npy") }, "c.npy is truncated: its .npy header is cut off")
        XCTAssertTrue(errorMessage { _ = try NPYFormat.decode(Data("NOT NUMPY".utf8), file: "m.npy") }.contains("not a NumPy .npy array"))
    }

    // MARK: Damaged containers

    func testTruncatedAndForeignFilesAreRejected() throws {
        let bytes = sampleArchive().encodedBytes()
        for length in [0, 10, bytes.count / 2, bytes.count - 1] {
            let message = errorMessage { _ = try NPZArchive.decode(Array(bytes.prefix(length)), fileName: "cut.npz") }
            XCTAssertTrue(message.hasPrefix("cut.npz: "), message)
        }
        XCTAssertEqual(
            errorMessage { _ = try NPZArchive.decode(Data("just some text, not a zip file at all".utf8), fileName: "text.npz") },
            "text.npz: not a NumPy .npz file (no ZIP end-of-central-directory record; the file may be truncated)")
        let single = NPYFormat.encodeBytes(NPYArray([1.0]))
        XCTAssertEqual(
            errorMessage { _ = try NPZArchive.decode(single, fileName: "one.npz") },
            "one.npz: this is a single-array .npy file, not an .npz archive")
    }

    func testCRCMismatchNamesTheEntry() throws {
        var bytes = NPZArchive(["rates": NPYArray([1.0, 2, 3])]).encodedBytes()
        let dataOffset = 30 + "rates.npy".utf8.count + 128  // local header, name, .npy header
        bytes[dataOffset + 3] ^= 0x10
        XCTAssertEqual(
            errorMessage { _ = try NPZArchive.decode(bytes, fileName: "d.npz") },
            "d.npz: damaged .npz (ZIP) file: entry 'rates.npy' fails its CRC-32 check")
    }

    func testMutatedArchivesNeverCrash() throws {
        // Three .npz files (stored, stored with ZIP64 records, NumPy's deflated) and one bare .npy,
        // whose header the ZIP's CRC-32 would otherwise shield from the mutations.
        let sample = sampleArchive()
        let fixtures = [
            sample.encodedBytes(), sample.encodedBytes(zip64Limit: 0), numpyCompressedFixture,
            NPYFormat.encodeBytes(sample["w3"]!),
        ]
        var random = SeededRandom(seed: 2024)
        var rejected = 0, accepted = 0
        for trial in 0..<300 {
            let fixture = trial % fixtures.count
            var bytes = fixtures[fixture]
            let position = random.integer(below: bytes.count)
            switch random.integer(below: 4) {
            case 0: bytes[position] ^= UInt8(1 + random.integer(below: 255))
            case 1: bytes.removeSubrange(position...)
            case 2: for i in position..<min(position + 4, bytes.count) { bytes[i] = 0xFF }
            default: for i in position..<min(position + 8, bytes.count) { bytes[i] = UInt8(random.integer(below: 256)) }
            }
            do {
                if fixture == 3 {
                    _ = try NPYFormat.decode(bytes, subject: "m.npy")
                } else {
                    _ = try NPZArchive.decode(bytes, fileName: "m.npz")
                }
                accepted += 1
            } catch is CircuitFitError {
                rejected += 1
            } catch {
                XCTFail("trial \(trial): unexpected error type \(error)")
            }
        }
        XCTAssertGreaterThan(rejected, 150, "most mutations must be detected (accepted \(accepted))")
        XCTAssertGreaterThan(accepted, 0, "mutations of data bytes in the bare .npy decode")
    }

    // MARK: Files from and for real NumPy

    /// `np.savez_compressed(w=(arange(12)/7.0).reshape(3,4), mask=[True,False,True], steps=int64(7),
    /// f=arange(5,dtype=float32)/float32(3))`, made by NumPy 2.4: deflated entries with ZIP64 extras.
    private let numpyCompressedFixture = [UInt8](Data(base64Encoded: """
        UEsDBC0AAAAIAAAAIQDj18PC//////////8FABQAdy5ucHkBABAA4AAAAAAAAAB5AAAAAAAAAJvsF+obEMnIUMZQrZ6SWpxcpG6loG6TZqGuo6Cell9UUpSYF59flJIKEndLzClOBYoXZyQWpAL5GsY6CiaaOgq1CmQDLgYomKTiCUSH7CH0Jfvb23JBCMp/ZL8dzH0GFX9tD9H1ASr/yV4VRE36AlX3zR7MVflpDwBQSwMELQAAAAgAAAAhABaTjLv//////////wgAFABtYXNrLm5weQEAEACDAAAAAAAAAEcAAAAAAAAAm+wX6hsQychQxlCtnpJanFykbqWgXpNkqK6joJ6WX1RSlJgXn1+UkgoSd0vMKU4FihdnJBakAvkaxjqaOgq1ChQALkYGRgBQSwMELQAAAAgAAAAhACO48Gz//////////wkAFABzdGVwcy5ucHkBABAAiAAAAAAAAABGAAAAAAAAAJvsF+obEMnIUMZQrZ6SWpxcpG6loG6TaaGuo6Cell9UUpSYF59flJIKEndLzClOBYoXZyQWpAL5Gpo6CrUKFAEudgYIAABQSwMELQAAAAgAAAAhAM5bM1n//////////wUAFABmLm5weQEAEACUAAAAAAAAAFYAAAAAAAAAm+wX6hsQychQxlCtnpJanFykbqWgbpNmoq6joJ6WX1RSlJgXn1+UkgoSd0vMKU4FihdnJBakAvkapjqaOgq1ChQALgYgWL1qld3qVVr2DAwN9kC2PQBQSwECLQMtAAAACAAAACEA49fDwnkAAADgAAAABQAAAAAAAAAAAAAAgAEAAAAAdy5ucHlQSwECLQMtAAAACAAAACEAFpOMu0cAAACDAAAACAAAAAAAAAAAAAAAgAGwAAAAbWFzay5ucHlQSwECLQMtAAAACAAAACEAI7jwbEYAAACIAAAACQAAAAAAAAAAAAAAgAExAQAAc3RlcHMubnB5UEsBAi0DLQAAAAgAAAAhAM5bM1lWAAAAlAAAAAUAAAAAAAAAAAAAAIABsgEAAGYubnB5UEsFBgAAAAAEAAQA0wAAAD8CAAAAAA==
        """, options: .ignoreUnknownCharacters)!)

    func testReadsEmbeddedNumpyCompressedFile() throws {
        let archive = try NPZArchive.decode(numpyCompressedFixture, fileName: "fixture.npz")
        XCTAssertEqual(archive.names, ["w", "mask", "steps", "f"])
        XCTAssertEqual(archive["w"], NPYArray((0..<12).map { Double($0) / 7.0 }, shape: [3, 4]))
        XCTAssertEqual(archive["mask"], NPYArray([1, 0, 1]))
        XCTAssertEqual(archive["steps"], NPYArray(scalar: 7))
        XCTAssertEqual(archive["f"], NPYArray((0..<5).map { Float($0) / 3 }))
    }

    func testReadsFilesWrittenByNumpy() throws {
        let script = """
            import numpy as np, sys
            arrays = dict(
                w3=(np.arange(24) / 7.0 - 1.5).reshape(2, 3, 4),
                f=np.arange(6, dtype=np.float32).reshape(2, 3) / np.float32(3),
                i=np.array([-2**62, -1, 0, 2**62], dtype=np.int64),
                mask=np.array([True, False, True, True]),
                i32=np.arange(-3, 3, dtype=np.int32),
                u8=np.array([0, 200, 255], dtype=np.uint8),
                dt_ms=1.5,
                go_index=np.int64(40),
                empty=np.zeros((0, 3)),
                long=np.arange(50000) % 13 / 4.0,
            )
            np.savez(sys.argv[1], **arrays)
            np.savez_compressed(sys.argv[2], **arrays)
            np.savez(sys.argv[3], W=np.ones((3, 2)).T)
            np.savez(sys.argv[4], targets=np.array([1.0], dtype='>f8'))
            """
        let paths = ["plain.npz", "compressed.npz", "fortran.npz", "big.npz"].map { folder.appendingPathComponent($0) }
        let (status, output) = try python(script, paths.map(\.path))
        XCTAssertEqual(status, 0, output)

        for url in paths[0...1] {
            let archive = try NPZArchive.read(from: url)
            XCTAssertEqual(archive.names, ["w3", "f", "i", "mask", "i32", "u8", "dt_ms", "go_index", "empty", "long"])
            XCTAssertEqual(archive["w3"], NPYArray((0..<24).map { Double($0) / 7.0 - 1.5 }, shape: [2, 3, 4]))
            XCTAssertEqual(archive["f"], NPYArray((0..<6).map { Float($0) / Float(3) }, shape: [2, 3]))
            XCTAssertEqual(archive["i"], NPYArray([-(Int64(1) << 62), -1, 0, Int64(1) << 62]))
            XCTAssertEqual(archive["mask"], NPYArray([1, 0, 1, 1]))
            XCTAssertEqual(archive["i32"], NPYArray([-3, -2, -1, 0, 1, 2]))
            XCTAssertEqual(archive["u8"], NPYArray([0, 200, 255]))
            XCTAssertEqual(try archive.scalar("dt_ms"), 1.5)
            XCTAssertEqual(try archive.intScalar("go_index"), 40)
            XCTAssertEqual(archive["empty"]?.shape, [0, 3])
            XCTAssertEqual(archive["long"], NPYArray((0..<50000).map { Double($0 % 13) / 4.0 }))
        }
        let fortran = errorMessage { _ = try NPZArchive.read(from: paths[2]) }
        XCTAssertTrue(fortran.hasPrefix("fortran.npz: array 'W' is stored in Fortran order"), fortran)
        XCTAssertEqual(
            errorMessage { _ = try NPZArchive.read(from: paths[3]) },
            "big.npz: array 'targets' has dtype '>f8' (big-endian); CircuitFit reads little-endian float32, float64 and integer arrays")
    }

    func testNumpyReadsOurFiles() throws {
        let plain = folder.appendingPathComponent("ours.npz")
        let zip64 = folder.appendingPathComponent("ours64.npz")
        try sampleArchive().write(to: plain)
        try AtomicFile.write(Data(sampleArchive().encodedBytes(zip64Limit: 0)), to: zip64)
        let script = """
            import numpy as np, sys
            for path in sys.argv[1:]:
                z = np.load(path)
                assert z.files == ['w3', 'f', 'i', 'inf', 'dt_ms', 'f_scalar', 'go_index', 'empty', 'empty3'], z.files
                w3 = z['w3']
                assert w3.dtype == np.float64 and w3.shape == (2, 3, 4)
                assert (w3 == (np.arange(24) / 7.0 - 1.5).reshape(2, 3, 4)).all()
                f = z['f']
                assert f.dtype == np.float32 and (f == np.arange(6, dtype=np.float32).reshape(2, 3) / np.float32(3)).all()
                i = z['i']
                assert i.dtype == np.int64 and i.tolist() == [-2**63, -1, 0, 2**63 - 1]
                inf = z['inf']
                assert inf[0] == np.inf and inf[1] == -np.inf and np.signbit(inf[2]) and inf[3] == 5e-324
                assert z['dt_ms'].shape == () and z['dt_ms'] == 1.5
                assert z['f_scalar'].dtype == np.float32 and z['f_scalar'] == 0.25
                assert z['go_index'].dtype == np.int64 and z['go_index'] == 40
                assert z['empty'].shape == (0,) and z['empty3'].shape == (2, 0, 3)
                assert z['empty3'].dtype == np.float32
            print('ok')
            """
        let (status, output) = try python(script, [plain.path, zip64.path])
        XCTAssertEqual(status, 0, output)
        XCTAssertTrue(output.contains("ok"), output)
    }

    // MARK: Typed getters

    func testTypedGettersCheckShapesWithClearMessages() throws {
        let archive = NPZArchive([
            "targets": NPYArray([Double](repeating: 0.5, count: 8 * 120 * 2), shape: [8, 120, 2]),
            "W": NPYArray((0..<20).map(Double.init), shape: [5, 4]),
            "v": NPYArray([Float](repeating: 1, count: 7)),
            "dt_ms": NPYArray(scalar: 1.5),
            "go_index": NPYArray(scalar: 40),
            "half": NPYArray(scalar: 2.5),
            "ids": NPYArray([3.0, 4, 5]),
        ], fileName: "dataset.npz")

        XCTAssertEqual(try archive.array3("targets", 8, nil, 2).shape, [8, 120, 2])
        XCTAssertEqual(try archive.matrix("W", rows: 5).data[7], 7)
        XCTAssertEqual(try archive.vector("v", count: 7), [Double](repeating: 1, count: 7))
        XCTAssertEqual(try archive.scalar("dt_ms"), 1.5)
        XCTAssertEqual(try archive.intScalar("go_index"), 40)
        XCTAssertEqual(try archive.intVector("ids"), [3, 4, 5])

        XCTAssertEqual(errorMessage { _ = try archive.require("rates") },
                       "dataset.npz: missing array 'rates' (has: targets, W, v, dt_ms, go_index, half, ids)")
        XCTAssertEqual(errorMessage { _ = try NPZArchive(fileName: "e.npz").require("x") },
                       "e.npz: missing array 'x' (the file holds no arrays)")
        XCTAssertEqual(errorMessage { _ = try archive.array3("targets", 8, 120, 3) },
                       "dataset.npz: array 'targets' has shape [8, 120, 2] but expected [8, 120, 3] ([C,T,K])")
        XCTAssertEqual(errorMessage { _ = try archive.array3("targets", 8, nil, 3) },
                       "dataset.npz: array 'targets' has shape [8, 120, 2] but expected [8, T, 3] ([C,T,K])")
        XCTAssertEqual(errorMessage { _ = try archive.array3("W", nil, nil, nil) },
                       "dataset.npz: array 'W' has shape [5, 4] but expected 3 dimensions [C,T,K]")
        XCTAssertEqual(errorMessage { _ = try archive.matrix("W", rows: 5, cols: 5, dims: "[N,N]") },
                       "dataset.npz: array 'W' has shape [5, 4] but expected [5, 5] ([N,N])")
        XCTAssertEqual(errorMessage { _ = try archive.vector("v", count: 8) },
                       "dataset.npz: array 'v' has shape [7] but expected [8] ([n])")
        XCTAssertEqual(errorMessage { _ = try archive.vector("W") },
                       "dataset.npz: array 'W' has shape [5, 4] but expected 1 dimension [n]")
        XCTAssertEqual(errorMessage { _ = try archive.scalar("v") },
                       "dataset.npz: array 'v' has shape [7] but expected a scalar")
        XCTAssertEqual(errorMessage { _ = try archive.intScalar("half") },
                       "dataset.npz: array 'half' holds 2.5 but expected whole numbers")
    }

    // MARK: Atomic files

    func testWriteIntoMissingFolderNamesThePathAndLeavesNothing() {
        let missing = folder.appendingPathComponent("missing")
        let target = missing.appendingPathComponent("model.npz")
        XCTAssertEqual(errorMessage { try sampleArchive().write(to: target) },
                       "cannot write \(target.path): No such file or directory")
        XCTAssertFalse(FileManager.default.fileExists(atPath: missing.path))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), [])

        let notAFolder = folder.appendingPathComponent("plain-file")
        XCTAssertTrue(FileManager.default.createFile(atPath: notAFolder.path, contents: Data([1])))
        let inside = notAFolder.appendingPathComponent("x.json")
        XCTAssertEqual(errorMessage { try AtomicFile.writeText("x", to: inside) },
                       "cannot write \(inside.path): Not a directory")
    }

    func testSuccessfulWritesReplaceTheFileAndLeaveNoTemporaryFiles() throws {
        let target = folder.appendingPathComponent("notes.txt")
        try AtomicFile.writeText("first", to: target)
        try AtomicFile.writeText("second", to: target)
        XCTAssertEqual(try String(contentsOf: target, encoding: .utf8), "second")

        struct Summary: Encodable { let zeta: Int; let alpha: [Double]; let path: String }
        let json = folder.appendingPathComponent("summary.json")
        try AtomicFile.writeJSON(Summary(zeta: 1, alpha: [0.5], path: "a/b"), to: json)
        XCTAssertEqual(try String(contentsOf: json, encoding: .utf8),
                       "{\n  \"alpha\" : [\n    0.5\n  ],\n  \"path\" : \"a/b\",\n  \"zeta\" : 1\n}\n")

        // Renaming over a folder fails: the error names the target and the temporary file goes.
        let occupied = folder.appendingPathComponent("occupied")
        try FileManager.default.createDirectory(at: occupied, withIntermediateDirectories: false)
        XCTAssertTrue(errorMessage { try AtomicFile.writeText("x", to: occupied) }.hasPrefix("cannot write \(occupied.path): "))

        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        XCTAssertEqual(names, ["notes.txt", "occupied", "summary.json"])
    }

    func testReadingAMissingFileNamesThePath() {
        let url = folder.appendingPathComponent("nothing.npz")
        XCTAssertEqual(errorMessage { _ = try NPZArchive.read(from: url) },
                       "cannot read \(url.path): No such file or directory")
        XCTAssertEqual(errorMessage { _ = try NPZArchive.read(from: folder) },
                       "cannot read \(folder.path): Is a directory")
    }
}
