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

/// The MAT readers: v5 (scipy.io.savemat) and v7.3 (h5py, MATLAB's layout) give the same arrays,
/// in the orientation scipy.io.loadmat gives; wrong classes are named in the error.
final class ImportMATTests: XCTestCase {
    private let v5 = ImportFixtures.url("recording.mat")
    private let v73 = ImportFixtures.url("recording_v73.mat")

    func testVersionsAreRecognised() throws {
        XCTAssertEqual(try MATReader(url: v5).format, .matV5)
        XCTAssertEqual(try MATReader(url: v73).format, .matV73)
    }

    /// matrix_3x4 = arange(12).reshape(3, 4): MATLAB's A(i, j) is 4i + j (0-based), row-major here.
    func testMatrixOrientationAndClass() throws {
        for url in [v5, v73] {
            let reader = try MATReader(url: url)
            let matrix = try reader.numericArray("matrix_3x4")
            XCTAssertEqual(matrix.dims, [3, 4], url.lastPathComponent)
            XCTAssertEqual(matrix.values, (0..<12).map(Double.init), url.lastPathComponent)
            XCTAssertEqual(matrix.matlabClass, "double")
            let counts = try reader.numericArray("counts_int32")
            XCTAssertEqual(counts.dims, [1, 3])
            XCTAssertEqual(counts.values, [1, -2, 3])
            XCTAssertEqual(counts.matlabClass, "int32")
            let emg = try reader.numericArray("emg")
            XCTAssertEqual(emg.dims, [1750, 2])
            XCTAssertEqual(emg.values[2 * 100], 2 * 100 / 50.0, accuracy: 1e-12, "emg[100, 0] = 2t")
            XCTAssertEqual(emg.values[2 * 100 + 1], 3 - 0.5 * 100 / 50.0, accuracy: 1e-12, "emg[100, 1] = 3 − t/2")
            XCTAssertEqual(try reader.numericArray("emg_rate").values, [50])
        }
    }

    /// Every numeric variable and the spike-time cell are equal between the two versions.
    func testV5AndV73GiveTheSameArrays() throws {
        let a = try MATReader(url: v5), b = try MATReader(url: v73)
        XCTAssertEqual(Set(a.variableNames), Set(b.variableNames))
        var compared = 0
        for name in a.variableNames {
            let left = try a.value(name), right = try b.value(name)
            XCTAssertEqual(left.className, right.className, name)
            if case .numeric = left {
                XCTAssertEqual(left, right, name)
                compared += 1
            }
        }
        XCTAssertGreaterThanOrEqual(compared, 10)
        guard case .cell(let dims, let elements) = try a.value("spike_times"), case .cell(let dims73, let elements73) = try b.value("spike_times") else {
            return XCTFail("spike_times should be a cell in both")
        }
        XCTAssertEqual(dims, [1, 3])
        XCTAssertEqual(dims73, [1, 3])
        XCTAssertEqual(elements, elements73)
        guard case .numeric(let unit7) = elements[0] else { return XCTFail("cell element should be numeric") }
        XCTAssertEqual(unit7.dims, [60, 1])
        XCTAssertEqual(unit7.values.first!, ImportFixtures.alignmentGo[0] - 0.1, accuracy: 1e-12)
        guard case .numeric(let empty) = elements[2] else { return XCTFail("empty cell element should be numeric") }
        XCTAssertEqual(empty.values, [])
    }

    func testWrongClassNamesTheVariableAndItsClass() throws {
        for url in [v5, v73] {
            let reader = try MATReader(url: url)
            let text = importErrorMessage { _ = try reader.numericArray("session_name") }
            XCTAssertTrue(text.contains("'session_name'") && text.contains("char"), text)
            let structure = importErrorMessage { _ = try reader.numericArray("meta") }
            XCTAssertTrue(structure.contains("'meta'") && structure.contains("struct"), structure)
            let cell = importErrorMessage { _ = try reader.numericArray("spike_times") }
            XCTAssertTrue(cell.contains("'spike_times'") && cell.contains("cell"), cell)
            let missing = importErrorMessage { _ = try reader.value("nope") }
            XCTAssertTrue(missing.contains("no variable 'nope'") && missing.contains("matrix_3x4"), missing)
        }
    }

    /// Asked to use a char variable as the condition column, the importer names it and its class.
    func testImporterReportsAWrongTypeTrialsVariable() {
        for url in [v5, v73] {
            var options = ImportFixtures.alignmentOptions
            options.conditionColumn = "subject"
            let message = importErrorMessage { _ = try RecordingImporter.importRecording(url: url, options: options) }
            XCTAssertTrue(message.contains("'trials_subject'") && message.contains("char"), message)
        }
    }

    func testColumnMajorReordering() {
        // MATLAB's 2 × 3 [1 2 3; 4 5 6] is stored 1 4 2 5 3 6.
        XCTAssertEqual(rowMajor(fromColumnMajor: [1, 4, 2, 5, 3, 6], dims: [2, 3]), [1, 2, 3, 4, 5, 6])
        // 2 × 2 × 2: A(i,j,k) = 100i + 10j + k stored with i fastest.
        var stored: [Int] = []
        for k in 0..<2 { for j in 0..<2 { for i in 0..<2 { stored.append(100 * i + 10 * j + k) } } }
        XCTAssertEqual(rowMajor(fromColumnMajor: stored, dims: [2, 2, 2]), [0, 1, 10, 11, 100, 101, 110, 111])
    }
}
