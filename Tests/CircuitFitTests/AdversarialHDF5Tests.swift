import Foundation
import XCTest
@testable import CircuitFitCore
@testable import CircuitFitImport

/// libhdf5 1.10 segfaults on some damaged files. `import` reads NWB and MAT v7.3 files in a child
/// process, so through the product every damaged file must give a dataset or one clean line —
/// for the known crashing files, "the HDF5 library crashed reading FILE: the file is damaged" —
/// and never a signal or a hang. Also a seeded mutation loop through the binary
/// (CIRCUITFIT_ADVERSARIAL_MUTATIONS per fixture, default 12).
final class AdversarialHDF5Tests: AdversarialTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static let alignmentOptions = ["--condition-column", "condition", "--window-ms", "-100,100", "--bin-ms", "10", "--behavior", "emg"]
    static let reachOptions = ["--condition-column", "target", "--window-ms", "-400,600", "--bin-ms", "20", "--behavior", "EMG", "--behavior", "hand_velocity"]

    func testKnownCrashingFilesGiveOneLine() throws {
        var files: [(String, [String])] = [(Self.fixtures.appendingPathComponent("damaged-hdf5/align_194.nwb").path, Self.alignmentOptions)]
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.fixtures.appendingPathComponent("damaged-hdf5/mutants.json"))) as! [String: Any]
        for mutant in manifest["mutants"] as! [[String: Any]] {
            var bytes = try FileContents.read(Self.fixtures.appendingPathComponent(mutant["base"] as! String))
            bytes[(mutant["offset"] as! NSNumber).intValue] = (mutant["value"] as! NSNumber).uint8Value
            let url = scratch.appendingPathComponent(mutant["name"] as! String)
            try Data(bytes).write(to: url)
            files.append((url.path, Self.reachOptions))
        }
        for (file, options) in files {
            let out = path("out.npz")
            try expectCleanError("hdf5", ["import", file, "--out", out] + options,
                                 mentions: ["the HDF5 library crashed reading \(file): the file is damaged"], out: out, timeout: 60)
        }
    }

    /// Seeded byte mutations of the HDF5 fixtures (NWB ×2, MAT v7.3) through `circuitfit import`:
    /// each gives a dataset or one clean error, never a signal or a hang.
    func testSeededMutationLoopThroughTheBinary() throws {
        let mutations = Int(ProcessInfo.processInfo.environment["CIRCUITFIT_ADVERSARIAL_MUTATIONS"] ?? "") ?? 12
        let cases: [(String, [String])] = [
            ("import/alignment.nwb", Self.alignmentOptions), ("import/reach.nwb", Self.reachOptions), ("import/recording_v73.mat", Self.alignmentOptions),
        ]
        var crashesCaught = 0, datasets = 0
        for (index, (fixture, options)) in cases.enumerated() {
            let original = try FileContents.read(Self.fixtures.appendingPathComponent(fixture))
            for i in 0..<mutations {
                let mutated = ImportMutationTests.mutate(original, fixture: 100 + index, index: i)
                let file = scratch.appendingPathComponent("m\(i)-" + (fixture as NSString).lastPathComponent)
                try Data(mutated).write(to: file)
                let out = path("m.npz")
                let r = try CLI.runBounded(["import", file.path, "--out", out] + options, timeout: 60)
                count("hdf5 mutations") { $0.cases += 1 }
                if r.timedOut {
                    count("hdf5 mutations") { $0.hangs += 1 }
                    XCTFail("\(fixture) mutation \(i): hang: \(r.summary)")
                } else if r.signaled {
                    count("hdf5 mutations") { $0.signals += 1 }
                    XCTFail("\(fixture) mutation \(i): signal \(r.status): \(r.summary)")
                } else if r.status == 0 {
                    count("hdf5 mutations") { $0.handled += 1 }
                    datasets += 1
                    XCTAssertNoThrow(try ReachDataset.read(from: URL(fileURLWithPath: out)), "\(fixture) mutation \(i): exit 0 but no readable dataset")
                } else if r.status == 1 && r.errorLines.count == 1 && r.stderrLines.last == r.errorLines.first {
                    count("hdf5 mutations") { $0.cleanErrors += 1 }
                    if r.stderr.contains("the HDF5 library crashed") { crashesCaught += 1 }
                } else {
                    count("hdf5 mutations") { $0.otherFailures += 1 }
                    XCTFail("\(fixture) mutation \(i): not one clean error: \(r.summary)")
                }
                try? FileManager.default.removeItem(at: file)
                try? FileManager.default.removeItem(atPath: out)
                try? FileManager.default.removeItem(atPath: path("m.provenance.json"))
            }
        }
        print("hdf5 mutation loop: \(cases.count * mutations) mutants, \(datasets) datasets, \(crashesCaught) libhdf5 crashes caught as one line")
    }

    /// The child's hand-over is exact: a recording read through the child process equals the one
    /// read in process, bit for bit (spike times, trial columns, behaviour), for an NWB file and
    /// for a MAT v7.3 struct array of trials (spikes and behaviour stored with each trial).
    func testChildProcessReadIsBitExact() throws {
        let isolation = HDF5Isolation(executable: try CLI.executable(), arguments: ["hdf5-read"], timeoutSeconds: 60)
        var nwb = ImportOptions()
        nwb.behavior = ["EMG", "hand_velocity"]
        var structs = ImportOptions()
        structs.behavior = ["EMG"]
        for (name, options) in [("import/reach.nwb", nwb), ("import/lab_trials_v73.mat", structs)] {
            let url = Self.fixtures.appendingPathComponent(name)
            let direct = try RecordingImporter.readRecording(url: url, options: options)
            let child = try isolation.readRecording(url: url, options: options)
            XCTAssertEqual(child.units, direct.units, name)
            XCTAssertEqual(child.trialSpikes, direct.trialSpikes, name)
            XCTAssertEqual(child.trials.columnNames, direct.trials.columnNames, name)
            for column in direct.trials.columnNames {
                // bit for bit, so a NaN (a trial without the event) must come back as the same NaN
                if case .numbers(let a)? = child.trials.storedColumn(column), case .numbers(let b)? = direct.trials.storedColumn(column) {
                    XCTAssertEqual(a.map(\.bitPattern), b.map(\.bitPattern), "\(name) \(column)")
                } else {
                    XCTAssertEqual(child.trials.storedColumn(column), direct.trials.storedColumn(column), "\(name) \(column)")
                }
            }
            XCTAssertEqual(child.behavior, direct.behavior, name)
            XCTAssertFalse(direct.behavior.isEmpty, name)
            XCTAssertEqual(child.source, direct.source, name)
            XCTAssertEqual(child.format, direct.format, name)
            XCTAssertEqual(child.layout, direct.layout, name)
        }
        let structRecording = try RecordingImporter.readRecording(url: Self.fixtures.appendingPathComponent("import/lab_trials_v73.mat"), options: structs)
        XCTAssertNotNil(structRecording.trialSpikes, "the struct fixture stores spikes with each trial")
    }
}
