import Foundation
import XCTest
@testable import CircuitFitCore
@testable import CircuitFitModel
@testable import CircuitFitCircuit
@testable import CircuitFitAudit

/// Perturbation trials in the ground truth: the table and perturbed runs `generate` stores,
/// their round trip through dataset.npz, and the protocol (a silenced neuron sits at 0 Hz in the
/// window, the run before the window is the control run, outputs are the readout of the rates).
final class PerturbationTrialTests: CLITestCase {

    /// A small dataset with two sets (one held out), written and read back: the same table and
    /// arrays; a dataset without the arrays still loads (no table); a broken table is a clear error.
    func testPerturbationTableRoundTripsThroughNPZ() throws {
        let C = 2, T = 6, N = 4, K = 2
        var rng = SeededRandom(seed: 4)
        func random(_ a: Int, _ b: Int, _ c: Int) -> Array3<Double> { Array3(a, b, c, data: (0..<(a * b * c)).map { _ in rng.normal() }) }
        let sets = [
            PerturbationSet(neurons: [0, 2], kind: .silence, window: 2..<5, amplitudeHz: 0, isTraining: true),
            PerturbationSet(neurons: [3], kind: .stimulate, window: 3..<6, amplitudeHz: 7.5, isTraining: false),
        ]
        let trials = PerturbationTrials(sets: sets, rates: random(2 * C, T, N), targets: random(2 * C, T, K))
        let dataset = ReachDataset(
            inputs: random(C, T, 3), targets: random(C, T, K), rates: random(C, T, N), excitatory: [true, true, false, false],
            angles: [0, 1], isTraining: [true, false], dtMs: 5, goIndex: 2, perturbations: trials)
        let bytes = dataset.archive().encoded()
        let archive = try NPZArchive.decode(bytes, fileName: "dataset.npz")
        XCTAssertEqual(archive["perturbation_neurons"]?.shape, [2, 2])
        XCTAssertEqual(archive["perturbed_rates"]?.shape, [2, C, T, N])
        XCTAssertEqual(archive["perturbation_neurons"]?.ints, [0, 2, 3, -1])
        let back = try ReachDataset(archive: archive)
        XCTAssertEqual(back.perturbations, trials)
        XCTAssertEqual(back.perturbations?.trainingSets, [0])
        XCTAssertEqual(back.perturbations?.heldOutSets, [1])

        // an older dataset (no perturbation arrays) loads as before
        var old = dataset
        old.perturbations = nil
        XCTAssertNil(try ReachDataset(archive: NPZArchive.decode(old.archive().encoded(), fileName: "dataset.npz")).perturbations)

        // broken tables name the file, the array and the value
        func error(_ edit: (inout NPZArchive) -> Void) -> String {
            var a = archive
            edit(&a)
            do { _ = try ReachDataset(archive: a); return "no error" } catch { return "\(error)" }
        }
        XCTAssertEqual(error { $0.set("perturbation_window", NPYArray([2, 5, 3, 9], shape: [2, 2])) },
                       "dataset.npz: perturbation set 1 has window [3, 9), need 0 ≤ start < end ≤ 6 steps")
        XCTAssertEqual(error { $0.set("perturbation_kind", NPYArray(strings: ["silence", "zap"])) },
                       "dataset.npz: perturbation set 1 has kind 'zap', expected silence or stimulate")
        XCTAssertEqual(error { $0.set("perturbation_neurons", NPYArray([0, 4, 3, -1], shape: [2, 2])) },
                       "dataset.npz: perturbation set 0 lists neurons [0, 4]: need distinct columns in 0..<4, −1 only as trailing padding")
        XCTAssertEqual(error { $0.set("perturbed_targets", NPYArray([Double](repeating: 0, count: 2 * C * T * 3), shape: [2, C, T, 3])) },
                       "dataset.npz: array 'perturbed_targets' has shape [2, 2, 6, 3], expected [P,C,T,·] = [2, 2, 6, 2]")
        var stray = old.archive()
        stray.set("perturbed_targets", NPYArray([0.0]))
        XCTAssertThrowsError(try ReachDataset(archive: stray)) {
            XCTAssertEqual("\($0)", "dataset.npz: has 'perturbed_targets' but no 'perturbation_neurons' [P,k] (the perturbation table comes whole)")
        }
    }

    /// `generate --perturbation-sets …`: the table as asked (sets of the chosen population, the
    /// window in steps, the last sets held out), read back by `ReachDataset`; silenced neurons
    /// sit at exactly 0 Hz (their baseline) inside the window; before the window every perturbed
    /// run equals the control run; after it the silenced neurons are released; the perturbed
    /// outputs are the circuit's readout of the perturbed rates.
    func testGenerateWritesPerturbationTrials() throws {
        let config = try writeJSON(#"{"neurons": 40, "trainingAngles": 4, "muscles": 2}"#, to: "small.json")
        let out = path("out")
        let r = try CLI.run(["generate", "--out", out, "--config", config, "--perturbation-sets", "3", "--perturbation-size", "4",
                             "--perturbation-type", "I", "--perturbation-kind", "silence", "--perturbation-window-ms", "100,300",
                             "--held-out-sets", "1"])
        XCTAssertEqual(r.status, 0, r.summary)
        XCTAssert(r.stdout.contains("perturbation trials: 3 sets (1 held out)"), r.summary)
        let dataset = try ReachDataset.read(from: URL(fileURLWithPath: out + "/dataset.npz"))
        let circuit = try GroundTruthCircuit.read(folder: URL(fileURLWithPath: out))
        let p = try XCTUnwrap(dataset.perturbations)
        let C = dataset.conditions, T = dataset.steps, go = dataset.goIndex
        XCTAssertEqual(p.sets.count, 3)
        XCTAssertEqual(p.sets.map(\.isTraining), [true, true, false])
        let window = (go + 20)..<(go + 60)     // 100 and 300 ms after the go cue in 5 ms steps
        for s in p.sets {
            XCTAssertEqual(s.kind, .silence)
            XCTAssertEqual(s.window, window)
            XCTAssertEqual(s.neurons.count, 4)
            XCTAssert(s.neurons.allSatisfy { $0 >= 20 && $0 < 40 }, "inhibitory neurons: \(s.neurons)")
        }
        let rates = try XCTUnwrap(p.rates), control = try XCTUnwrap(dataset.rates)
        XCTAssertEqual(rates.d0, 3 * C)
        var before = 0.0, releasedChange = 0.0
        for (si, s) in p.sets.enumerated() {
            let run = PerturbationTrials.rows(rates, set: si, conditions: C)
            let z = circuit.outputs(run), zStored = PerturbationTrials.rows(p.targets, set: si, conditions: C)
            for c in 0..<C {
                for t in 0..<T {
                    for n in s.neurons where window.contains(t) { XCTAssertEqual(run[c, t, n], 0, "set \(si) neuron \(n) at step \(t)") }
                    if t < window.lowerBound { for n in 0..<40 { before = max(before, abs(run[c, t, n] - control[c, t, n])) } }
                    for k in 0..<2 { XCTAssertEqual(z[c, t, k], zStored[c, t, k], accuracy: 1e-9) }
                }
                releasedChange = max(releasedChange, abs(run[c, T - 1, s.neurons[0]] - run[c, window.upperBound - 1, s.neurons[0]]))
            }
        }
        XCTAssertLessThan(before, 1e-4, "before the window a perturbed run is the control run (Hz)")
        XCTAssertGreaterThan(releasedChange, 1e-3, "after the window the silenced neurons move again")
        // and the settings are recorded in config.json
        let record = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/config.json"))) as? [String: Any])
        let trials = try XCTUnwrap((record["config"] as? [String: Any])?["perturbationTrials"] as? [String: Any])
        XCTAssertEqual((trials["sets"] as? NSNumber)?.intValue, 3)
        XCTAssertEqual(trials["population"] as? String, "I")
    }

    /// Bad perturbation settings are refused before any work, with the value named.
    func testBadPerturbationSettingsAreRefused() throws {
        let config = try writeJSON(#"{"neurons": 40, "trainingAngles": 4}"#, to: "small.json")
        let r = try CLI.run(["generate", "--out", path("out"), "--config", config, "--perturbation-sets", "2", "--held-out-sets", "3"])
        assertOneLineError(r, mentions: ["held-out sets must be in 0…2, got 3"])
        assertNothingWritten(path("out"))
        let r2 = try CLI.run(["generate", "--out", path("out"), "--config", config, "--perturbation-sets", "2", "--perturbation-window-ms", "0,600"])
        assertOneLineError(r2, mentions: ["window [0.0, 600.0) ms must lie in the movement epoch [0, 500.0] ms"])
        assertNothingWritten(path("out"))
    }

    /// A stimulation of 0 Hz is no perturbation: the perturbed run equals the dataset's control
    /// run (the audit's batched RK4 against generate's, ~10⁻⁵ Hz); 10 Hz moves the neurons.
    func testZeroStimulusReproducesTheControlRun() throws {
        var cfg = CircuitConfig()
        cfg.neurons = 30; cfg.trainingAngles = 2; cfg.muscles = 2; cfg.movementMs = 200
        var trials = PerturbationTrialConfig()
        trials.sets = 2; trials.size = 3; trials.population = .mixed; trials.kind = .stimulate; trials.stimulusHz = 0
        trials.windowMs = [0, 200]
        var plain = cfg
        cfg.perturbationTrials = trials
        XCTAssertEqual(cfg.memoryEstimate - plain.memoryEstimate, 2 * cfg.conditionCount * (cfg.preparatorySteps + cfg.movementSteps) * 30 * 8 * 5,
                       "the memory estimate counts the perturbed runs")
        plain.perturbationTrials = nil
        let generated = try generateCircuit(cfg)
        let dataset = try addingPerturbationTrials(to: generated)
        let p = try XCTUnwrap(dataset.perturbations)
        let control = try XCTUnwrap(dataset.rates)
        var worst = 0.0
        for si in 0..<2 {
            let run = PerturbationTrials.rows(try XCTUnwrap(p.rates), set: si, conditions: dataset.conditions)
            for i in 0..<run.data.count { worst = max(worst, abs(run.data[i] - control.data[i])) }
        }
        XCTAssertLessThan(worst, 1e-4)
        cfg.perturbationTrials?.stimulusHz = 10
        let driven = try addingPerturbationTrials(to: generateCircuit(cfg)).perturbations!
        let n = driven.sets[0].neurons[0], t = dataset.steps - 1
        XCTAssertGreaterThan(PerturbationTrials.rows(driven.rates!, set: 0, conditions: dataset.conditions)[0, t, n] - control[0, t, n], 1)
    }
}
