import Foundation
import XCTest
@testable import CircuitFitCore
@testable import CircuitFitImport
@testable import CircuitFitFitting

/// Perturbation trials from `generate` through a lab's files back into a dataset
/// (docs/recordings.md § Perturbation trials): `generate --perturbation-sets 3 --held-out-sets 1`
/// on a 40-neuron circuit; `scripts/perturbed_recording.py` writes Poisson trials of 10 of its
/// neurons (every perturbed one among them) — 6 control trials per condition and 4 per (set,
/// condition) — as NWB (a text column of unit ids, the same as a ragged column, kind and window
/// columns), NWB with an
/// OptogeneticSeries (set 0 only, an opto_tagged units column), flat NPZ, flat MAT v5 and a MAT
/// struct array, plus what NumPy computes from the written spikes. Each import must give NumPy's
/// control and perturbed PSTHs, generate's table (neurons as columns of `recorded`, window, kind,
/// held-out flags) and, where EMG is written, generate's perturbed targets; the control arrays
/// must be bit for bit those of an import that simply drops the perturbation trials; and `train
/// --perturbation-sets` + `evaluate` must use the imported sets.
final class ImportPerturbationRoundTripTests: CLITestCase {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let grid = ["--window-ms", "-100,500", "--bin-ms", "5", "--smooth-ms", "0"]

    func requirePynwb() throws {
        let skip = "skipping the perturbation round trip (scripts/perturbed_recording.py writes its files with pynwb and scipy; scripts/test.sh pip-installs them)"
        guard let r = PythonReference.run(["-c", "import numpy, scipy.io, pynwb"]) else { throw XCTSkip("python3 is not available: \(skip)") }
        if r.status != 0 { throw XCTSkip("python3 cannot import numpy, scipy and pynwb: \(skip) (\(r.err.suffix(200)))") }
    }

    /// generate + the Python writer; returns the circuit and recordings folders.
    func makeRecordings() throws -> (circuit: String, recordings: String) {
        let config = try writeJSON(#"{"neurons": 40, "trainingAngles": 4, "muscles": 2}"#, to: "small.json")
        let circuit = path("circuit"), recordings = path("rec")
        let g = try CLI.run(["generate", "--out", circuit, "--config", config, "--perturbation-sets", "3", "--perturbation-size", "3",
                             "--perturbation-window-ms", "100,300", "--held-out-sets", "1"])
        XCTAssertEqual(g.status, 0, g.summary)
        let script = Self.repository.appendingPathComponent("scripts/perturbed_recording.py").path
        let py = try XCTUnwrap(PythonReference.run([script, circuit, "--out-dir", recordings, "--neurons", "10", "--seed", "3"]))
        XCTAssertEqual(py.status, 0, "perturbed_recording.py failed: \(py.err)")
        guard g.status == 0, py.status == 0 else { throw CLIRunnerError(description: "fixture") }
        return (circuit, recordings)
    }

    func importing(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> ReachDataset {
        let r = try CLI.run(["import"] + arguments + grid)
        XCTAssertEqual(r.status, 0, r.summary, file: file, line: line)
        return try ReachDataset.read(from: URL(fileURLWithPath: arguments[2]))
    }

    func maxDifference(_ a: [Double], _ b: [Double]) -> Double {
        a.count == b.count ? zip(a, b).map { abs($0 - $1) }.max() ?? 0 : .infinity
    }

    func testPerturbationTrialsRoundTripThroughEveryFormat() throws {
        try requirePynwb()
        let (circuit, rec) = try makeRecordings()
        let truth = try ReachDataset.read(from: URL(fileURLWithPath: circuit + "/dataset.npz"))
        let generated = try XCTUnwrap(truth.perturbations)
        let expected = try NPZArchive.read(from: URL(fileURLWithPath: rec + "/expected.npz"))
        let unitIDs = try expected.intVector("unit_ids")
        let columns = try expected.require("set_columns").ints
        let recordedPSTH = try expected.require("recorded").doubles, perturbedPSTH = try expected.require("perturbed").doubles

        let column = ["--perturbation-column", "perturbed_units"]
        let fixed = column + ["--perturbation-window-ms", "100,300", "--held-out-sets", "1"]
        let cases: [(name: String, arguments: [String], emg: Bool)] = [
            ("session.nwb", column + ["--perturbation-kind-column", "perturbation_kind", "--perturbation-start-column", "opto_start",
                                      "--perturbation-stop-column", "opto_stop", "--held-out-sets", "1", "--behavior", "EMG"], true),
            ("session_flat.npz", fixed + ["--behavior", "EMG"], true),
            ("session_flat.mat", fixed, false),
            ("session_trials.mat", fixed, false),
        ]
        var imported: [String: ReachDataset] = [:]
        for (name, arguments, emg) in cases {
            let dataset = try importing([rec + "/" + name, "--out", path(name + ".npz")] + arguments)
            imported[name] = dataset
            let table = try XCTUnwrap(dataset.perturbations, name)
            XCTAssertEqual(dataset.neuronIDs, unitIDs, name)
            XCTAssertLessThan(maxDifference(try XCTUnwrap(dataset.recorded).data, recordedPSTH), 1e-9, "\(name): control PSTHs = NumPy's")
            XCTAssertLessThan(maxDifference(try XCTUnwrap(table.recorded).data, perturbedPSTH), 1e-9, "\(name): perturbed PSTHs = NumPy's")
            XCTAssertEqual(table.sets.count, 3, name)
            for (p, set) in table.sets.enumerated() {
                XCTAssertEqual(set.neurons, columns[(p * 3)..<(p * 3 + 3)].filter { $0 >= 0 }, "\(name) set \(p): generate's neurons as columns")
                XCTAssertEqual(set.neurons.map { unitIDs[$0] }, generated.sets[p].neurons, "\(name) set \(p): the circuit's neurons")
                XCTAssertEqual(set.window, generated.sets[p].window, name)
                XCTAssertEqual(set.kind, generated.sets[p].kind, name)
                XCTAssertEqual(set.isTraining, generated.sets[p].isTraining, name)
                XCTAssertEqual(set.amplitudeHz, generated.sets[p].amplitudeHz, name)
            }
            if emg {
                XCTAssertLessThan(maxDifference(table.targets.data, generated.targets.data), 1e-9, "\(name): perturbed EMG = generate's perturbed targets")
                XCTAssertLessThan(maxDifference(dataset.targets.data, truth.targets.data), 1e-9, name)
            }
        }

        // the units as lists: NWB's ragged column (index=True), a MAT cell of vectors, a struct's vector field
        for name in ["session.nwb", "session_flat.mat", "session_trials.mat"] {
            let lists = try importing([rec + "/" + name, "--out", path(name + ".lists.npz"), "--perturbation-column", "perturbed_list",
                                       "--perturbation-window-ms", "100,300", "--held-out-sets", "1"])
            XCTAssertEqual(lists.perturbations?.sets, imported[name]?.perturbations?.sets, "\(name): lists name the same sets")
            XCTAssertEqual(lists.perturbations?.recorded, imported[name]?.perturbations?.recorded, name)
        }

        // NWB OptogeneticSeries: the window from the light, the units from the units table
        let opto = try importing([rec + "/session_opto.nwb", "--out", path("opto.npz"), "--optogenetic-series", "auto",
                                  "--perturbed-units-column", "opto_tagged", "--behavior", "EMG"])
        let optoTable = try XCTUnwrap(opto.perturbations)
        XCTAssertEqual(optoTable.sets.map(\.neurons), [Array(columns[0..<3])])
        XCTAssertEqual(optoTable.sets.map(\.window), [generated.sets[0].window])
        XCTAssertLessThan(maxDifference(try XCTUnwrap(optoTable.recorded).data, try expected.require("perturbed_opto").doubles), 1e-9)
        XCTAssertLessThan(maxDifference(try XCTUnwrap(opto.recorded).data, recordedPSTH), 1e-9)
        let provenance = try JSONDecoder().decode(ImportRecord.self, from: Data(contentsOf: URL(fileURLWithPath: path("opto.provenance.json")))).provenance
        let record = try XCTUnwrap(provenance.perturbations)
        XCTAssertEqual(record.sets[0].powerW.map { ($0 * 1e6).rounded() / 1e6 }, [0.005, 0.005], "5 mW, recorded as power")
        XCTAssertEqual(record.stimulusIntervals, 32)
        XCTAssertEqual(record.intervalsOutsideTrials, 0)
        XCTAssert(record.source.contains("location M1") && record.source.contains("excitation 594.0 nm"), record.source)
        XCTAssertEqual(provenance.options.perturbation?.perturbedUnitsColumn, "opto_tagged")

        // the controls are exactly those of an import without the perturbation trials
        let dropped = try expected.intVector("trial_ids_perturbed").map(String.init).joined(separator: ",")
        let auto = ["--smooth-ms", "auto"]   // the smoothing chosen from the controls alone, too
        let r1 = try CLI.run(["import", rec + "/session.nwb", "--out", path("plain.npz"), "--behavior", "EMG", "--drop-trials", dropped] + grid + auto)
        let r2 = try CLI.run(["import", rec + "/session.nwb", "--out", path("both.npz"), "--behavior", "EMG"] + fixed + grid + auto)
        XCTAssertEqual(r1.status, 0, r1.summary); XCTAssertEqual(r2.status, 0, r2.summary)
        let plain = try NPZArchive.read(from: URL(fileURLWithPath: path("plain.npz")))
        let both = try NPZArchive.read(from: URL(fileURLWithPath: path("both.npz")))
        XCTAssertEqual(Set(both.names).subtracting(plain.names), ["perturbation_neurons", "perturbation_kind", "perturbation_window",
                                                                  "perturbation_amplitude_hz", "perturbation_train", "perturbed_recorded", "perturbed_targets"])
        for name in plain.names {
            let a = try plain.require(name), b = try both.require(name)
            XCTAssertEqual(a.shape, b.shape, name)
            if a.isNumeric { XCTAssertEqual(a.doubles.map(\.bitPattern), b.doubles.map(\.bitPattern), "\(name): bit for bit") } else { XCTAssertEqual(a, b, name) }
        }
        // an OptogeneticSeries nobody asked for is named, and its trials stay controls
        let unasked = try CLI.run(["import", rec + "/session_opto.nwb", "--out", path("unasked.npz")] + grid)
        XCTAssertEqual(unasked.status, 0, unasked.summary)
        XCTAssert(unasked.stderr.contains("warning: the file has OptogeneticSeries /stimulus/presentation/laser, not used"), unasked.summary)
        let unaskedRecord = try JSONDecoder().decode(ImportRecord.self, from: Data(contentsOf: URL(fileURLWithPath: path("unasked.provenance.json")))).provenance
        XCTAssertEqual(unaskedRecord.optogeneticSeriesNotUsed, ["/stimulus/presentation/laser"])
        XCTAssertEqual(unaskedRecord.trialsPerCondition, [10, 10, 10, 10, 10, 10, 10, 10], "6 controls + 4 lit trials per condition")
        let plainJSON = try String(contentsOfFile: path("plain.provenance.json"), encoding: .utf8)
        XCTAssertFalse(plainJSON.contains("perturbation"), "no perturbation keys without perturbation options")

        // a fit uses the imported sets: the two training sets enter the objective; evaluate scores all three
        let data = path("session_flat.npz.npz")
        let fit = ["train", data, "--record", "10", "--hidden", "24", "--iterations", "30", "--seed", "2"]
        let t0 = try CLI.run(fit + ["--out", path("fit0")]), t2 = try CLI.run(fit + ["--out", path("fit2"), "--perturbation-sets", "2"])
        XCTAssertEqual(t0.status, 0, t0.summary); XCTAssertEqual(t2.status, 0, t2.summary)
        func config(_ folder: String) throws -> [String: Any] {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path(folder) + "/config.json"))) as? [String: Any])
        }
        let c0 = try config("fit0"), c2 = try config("fit2")
        XCTAssertEqual(((c2["config"] as? [String: Any])?["perturbationSets"] as? NSNumber)?.intValue, 2)
        let perturbedColumns = Set(columns.filter { $0 >= 0 }).sorted()
        XCTAssertEqual(Array((try XCTUnwrap(c2["recorded_neurons"] as? [Int])).prefix(perturbedColumns.count)), perturbedColumns, "the sets' neurons are recorded first")
        XCTAssertEqual(c0["recorded_neurons"] as? [Int], c2["recorded_neurons"] as? [Int], "with and without perturbation trials: the same neurons")
        let l0 = try XCTUnwrap((c0["final_loss_total"] as? NSNumber)?.doubleValue), l2 = try XCTUnwrap((c2["final_loss_total"] as? NSNumber)?.doubleValue)
        XCTAssertNotEqual(l0, l2, "the perturbation trials are part of the objective")
        let e = try CLI.run(["evaluate", path("fit2"), data, "--json"])
        XCTAssertEqual(e.status, 0, e.summary)
        let evaluation = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(e.stdout.utf8)) as? [String: Any])
        let predictions = try XCTUnwrap(evaluation["perturbation_predictions"] as? [[String: Any]])
        XCTAssertEqual(predictions.map { $0["held_out"] as? Bool }, [false, false, true])
        XCTAssertEqual(predictions.map { $0["neurons"] as? [Int] }, [0, 1, 2].map { Optional(Array(columns[($0 * 3)..<($0 * 3 + 3)])) })
        XCTAssert(predictions.allSatisfy { (($0["output_r2"] as? NSNumber)?.doubleValue ?? .nan).isFinite })
        let tooMany = try CLI.run(fit + ["--out", path("fit3"), "--perturbation-sets", "3"])
        XCTAssertNotEqual(tooMany.status, 0)
        XCTAssertEqual(tooMany.stderrLines.last, "error: perturbation trials: asked for 3 training sets, the dataset has 2", tooMany.summary)
    }

    /// Bad perturbation options on the command line: one line, nothing written.
    func testBadPerturbationOptionsAreRefused() throws {
        let lab = ImportFixtures.url("lab.nwb").path
        let base = ["import", lab, "--out", path("x.npz"), "--condition-column", "target", "--window-ms", "-200,400"]
        assertOneLineError(try CLI.run(base + ["--perturbation-window-ms", "0,100"]),
                           mentions: ["name the perturbed units' trials column (--perturbation-column) or an OptogeneticSeries (--optogenetic-series)"])
        assertOneLineError(try CLI.run(base + ["--perturbation-column", "outcome", "--perturbation-window-ms", "0"]),
                           mentions: ["--perturbation-window-ms takes START,END"])
        assertOneLineError(try CLI.run(base + ["--perturbation-column", "nothing_here", "--perturbation-window-ms", "0,100"]),
                           mentions: ["has no column 'nothing_here'"])
        assertOneLineError(try CLI.run(base + ["--optogenetic-series", "auto", "--perturbed-units-column", "x"]),
                           mentions: ["--optogenetic-series auto needs exactly one OptogeneticSeries under /acquisition or /stimulus, the file has: none"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("x.npz")))
    }
}
