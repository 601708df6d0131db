import Foundation
import CircuitFitCore
import CircuitFitModel
import CircuitFitAnalysis
import CircuitFitReport

/// Builds the report of one fit (`circuitfit report FIT_DIR DATASET`, `train --report`) from the
/// fit's folder (model.npz, config.json, history.csv) and its dataset: the scores beside their
/// floor and noise ceiling, the loss curves, example neurons (best, median and worst held-out
/// and recorded ones, against the data), the outputs of every condition, the canonical
/// correlations one by one, and the model's trajectories aligned to the data's
/// (`TrajectoryAlignment`) and drawn over them.
public struct FitReportBuilder {
    /// Where the fit's files are read from.
    public var folder: URL
    /// The fit folder the report names (differs from `folder` while a new fit is staged).
    public var shownFolder: URL
    public var dataset: ReachDataset
    /// The dataset's path, for the configuration table and condition labels (read from
    /// DATASET.provenance.json beside it when there is one).
    public var datasetPath: String

    public init(folder: URL, shownAs shownFolder: URL? = nil, dataset: ReachDataset, datasetPath: String) {
        self.folder = folder; self.shownFolder = shownFolder ?? folder; self.dataset = dataset; self.datasetPath = datasetPath
    }

    public func build(created: String) throws -> FitReport {
        let saved = try SavedModel.read(from: folder.appendingPathComponent("model.npz"))
        let record = try? JSONDecoder().decode(FitRecord.self, from: Data(contentsOf: folder.appendingPathComponent("config.json")))
        let split = saved.split ?? ConditionSplit(fit: dataset.trainingConditions, validation: [], excluded: [], heldOut: dataset.heldOutConditions)
        var untrained: RNNParameters? = nil
        if let record, let prepared = try? prepareFit(dataset: dataset, config: record.config), prepared.initialParameters.layout == saved.parameters.layout {
            var u = prepared.initialParameters
            u[.J] = ArraySlice(u.effectiveJ(spec: prepared.spec))
            untrained = u
        }
        let recording = RecordingInfo(neurons: saved.recordedNeurons, offset: saved.neuronOffset, scale: saved.neuronScale)
        let metrics = try evaluateModel(spec: saved.spec, parameters: saved.parameters, untrained: untrained, dataset: dataset, recording: recording, split: split)
        let sim = try simulate(spec: saved.spec, parameters: saved.parameters, inputs: dataset.inputs)
        let rates = sim.rates.asDouble, outputs = sim.outputs.asDouble
        let labels = conditionLabels()
        let population = dataset.rates != nil ? "circuit (\(dataset.neuralData!.d2) neurons)" : "recorded neurons (\(dataset.neuralData!.d2))"

        var notes: [String] = []
        if let warning = unseenInputWarning(metrics.unseenInputChannels ?? []) {
            notes.append("Warning: " + warning + ".")
        }
        if let ceiling = metrics.noiseCeiling {
            let flagged = ceiling.neurons.filter(\.unreliable)
            if !flagged.isEmpty {
                notes.append("\(flagged.count) of \(ceiling.neurons.count) neurons have a noise ceiling below \(ceiling.unreliableBelow) on the conditions they are scored on (unreliable: their R² can say little): " + flagged.map { "\($0.id.map { "unit \($0)" } ?? "neuron \($0.neuron)") (\($0.role.rawValue))" }.joined(separator: ", ") + ".")
            }
        }
        if let stop = record?.stop, stop != "budget" { notes.append("Training stopped: \(stop).") }

        let timesMs = (0..<dataset.steps).map { (Double($0) + 0.5 - Double(dataset.goIndex)) * dataset.dtMs }
        let report = FitReport(
            title: "CircuitFit fit: \(shownFolder.lastPathComponent) on \(URL(fileURLWithPath: datasetPath).lastPathComponent)",
            created: created, notes: notes, scores: scoreRows(metrics),
            losses: try? lossCurves(), neurons: try exampleNeurons(metrics: metrics, saved: saved, rates: rates, split: split, timesMs: timesMs),
            outputs: conditionOutputs(outputs: outputs, split: split, labels: labels, timesMs: timesMs),
            canonicalCorrelations: CanonicalCorrelations(model: metrics.canonicalCorrelations, untrained: metrics.untrained?.canonicalCorrelations, population: population + ", training conditions"),
            overlays: (try? overlay(rates: rates, split: split, population: population)).map { [$0] } ?? [],
            configuration: configuration(record: record, saved: saved))
        return report
    }

    // MARK: Scores

    func scoreRows(_ m: FitMetrics) -> [ScoreRow] {
        var rows = [
            ScoreRow(metric: "output NMSE, training conditions", model: m.outputNMSETrain),
            ScoreRow(metric: "output NMSE, held-out conditions", model: m.outputNMSEHeldout, untrained: m.untrained?.outputNMSEHeldout),
            ScoreRow(metric: "CCA mean (top 10), training conditions", model: m.ccaMean, untrained: m.untrained?.ccaMean),
            ScoreRow(metric: "Procrustes angular distance (rad)", model: m.procrustesAngularDistance, untrained: m.untrained?.procrustesAngularDistance),
        ]
        let c = m.noiseCeiling
        rows.append(ScoreRow(metric: "held-out-neuron R² (\(m.heldoutNeurons) neurons, held-out conditions)", model: m.heldoutNeuronR2,
                             untrained: m.untrained?.heldoutNeuronR2, ceiling: c?.heldoutNeuronR2Ceiling, normalized: c?.heldoutNeuronR2Normalized))
        rows.append(ScoreRow(metric: "recorded units R² (\(m.recordedNeurons) neurons, training conditions)", model: c?.recordedR2Train ?? m.recordedNMSETrain.map { 1 - $0 },
                             ceiling: c?.recordedR2CeilingTrain, normalized: c?.recordedR2NormalizedTrain))
        return rows
    }

    // MARK: Losses

    /// history.csv's columns as curves (empty columns dropped).
    func lossCurves() throws -> LossCurves {
        let text = try String(contentsOf: folder.appendingPathComponent("history.csv"), encoding: .utf8)
        var lines = text.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        guard let header = lines.first else { throw CircuitFitError("history.csv is empty") }
        lines.removeFirst()
        let column = { (name: String) -> Int? in header.firstIndex(of: name) }
        guard let iteration = column("iteration") else { throw CircuitFitError("history.csv has no iteration column") }
        let iterations = lines.map { Double($0[safe: iteration] ?? "") ?? .nan }
        var series: [LabelledSeries] = []
        for (name, label) in [("loss_total", "total"), ("loss_task", "task term"), ("loss_neural", "neural term"), ("loss_validation", "validation")] {
            guard let index = column(name) else { continue }
            let values = lines.map { Double($0[safe: index] ?? "") ?? .nan }
            if values.contains(where: { $0.isFinite && $0 > 0 }) { series.append(LabelledSeries(label: label, values: values)) }
        }
        return LossCurves(iterations: iterations, series: series)
    }

    // MARK: Neurons

    func exampleNeurons(metrics: FitMetrics, saved: SavedModel, rates: Array3<Double>, split: ConditionSplit, timesMs: [Double]) throws -> [NeuronExample] {
        guard let data = dataset.neuralData else { return [] }
        let go = 0.0
        var examples: [NeuronExample] = []
        let ceilings = Dictionary((metrics.noiseCeiling?.neurons ?? []).map { ("\($0.role.rawValue)-\($0.neuron)", $0) }, uniquingKeysWith: { a, _ in a })
        func name(_ n: Int) -> String { dataset.neuronIDs.map { "unit \($0[n])" } ?? "neuron \(n)" }
        func picks(_ scored: [(Int, Double)]) -> [(String, Int, Double)] {
            let sorted = scored.filter { $0.1.isFinite }.sorted { $0.1 > $1.1 }
            guard !sorted.isEmpty else { return [] }
            var chosen: [(String, Int, Double)] = [("best", sorted[0].0, sorted[0].1)]
            if sorted.count > 2 { chosen.append(("median", sorted[sorted.count / 2].0, sorted[sorted.count / 2].1)) }
            if sorted.count > 1 { chosen.append(("worst", sorted[sorted.count - 1].0, sorted[sorted.count - 1].1)) }
            return chosen
        }
        // Held-out neurons: the ridge map fitted on the training conditions, shown on the held-out ones.
        let recordedSet = Set(saved.recordedNeurons)
        let unrecorded = (0..<data.d2).filter { !recordedSet.contains($0) }
        if !split.heldOut.isEmpty && !unrecorded.isEmpty && !data.data.contains(where: \.isNaN) {
            let readout = try HeldOutNeuronR2().fit(
                rates: stackConditions(rates, conditions: split.fit),
                neurons: stackConditions(data, conditions: split.fit, channels: unrecorded))
            let predicted = try readout.predict(stackConditions(rates, conditions: split.heldOut))
            let scores = try HeldOutNeuronR2().score(modelRates: rates, circuitRates: data, neurons: unrecorded, trainingConditions: split.fit, heldOutConditions: split.heldOut)
            for (label, j, r2) in picks(Array(zip(unrecorded.indices, scores.neuronR2))) {
                let n = unrecorded[j], t = dataset.steps
                let conditions = split.heldOut.enumerated().map { k, c in
                    NeuronCondition(angle: angle(c), data: (0..<t).map { data[c, $0, n] }, model: (0..<t).map { predicted[k * t + $0, j] })
                }
                examples.append(NeuronExample(
                    title: "held-out \(name(n)) (\(label))", r2: r2, ceiling: ceilings["heldout-\(n)"]?.ceiling, unit: "Hz",
                    timesMs: timesMs, goTimeMs: go, conditions: conditions))
            }
        }
        // Recorded neurons: the fitted unit's rate mapped back to Hz, on the training conditions.
        if saved.spec.recorded == saved.recordedNeurons.count && !saved.recordedNeurons.isEmpty {
            let t = dataset.steps
            func prediction(_ m: Int, _ c: Int) -> [Double] {
                (0..<t).map { predictedRecorded(spec: saved.spec, parameters: saved.parameters, rates: rates, c: c, t: $0, m: m) * saved.neuronScale[m] + saved.neuronOffset[m] }
            }
            let scored = saved.recordedNeurons.indices.map { m -> (Int, Double) in
                let n = saved.recordedNeurons[m]
                if let r2 = ceilings["recorded-\(n)"]?.r2 { return (m, r2) }
                var sse = 0.0, values: [Double] = []
                for c in split.fit {
                    let p = prediction(m, c)
                    for s in 0..<t where !data[c, s, n].isNaN { sse += (p[s] - data[c, s, n]) * (p[s] - data[c, s, n]); values.append(data[c, s, n]) }
                }
                let mean = values.reduce(0, +) / Double(max(1, values.count))
                let sst = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
                return (m, sst > 0 ? 1 - sse / sst : .nan)
            }
            for (label, m, r2) in picks(scored) {
                let n = saved.recordedNeurons[m]
                let conditions = split.fit.map { c in NeuronCondition(angle: angle(c), data: (0..<t).map { data[c, $0, n] }, model: prediction(m, c)) }
                examples.append(NeuronExample(
                    title: "recorded \(name(n)) (\(label))", r2: r2, ceiling: ceilings["recorded-\(n)"]?.ceiling, unit: "Hz",
                    timesMs: timesMs, goTimeMs: go, conditions: conditions))
            }
        }
        return examples
    }

    // MARK: Outputs and trajectories

    func conditionOutputs(outputs: Array3<Double>, split: ConditionSplit, labels: [String], timesMs: [Double]) -> [ConditionOutputs] {
        guard dataset.outputCount > 0 else { return [] }
        let held = Set(split.heldOut)
        return (0..<dataset.conditions).map { c in
            ConditionOutputs(
                condition: labels[c], heldOut: held.contains(c), timesMs: timesMs, goTimeMs: 0, valueLabel: "output",
                channels: (0..<dataset.outputCount).map { k in
                    MuscleTrace(name: "channel \(k + 1)", target: (0..<dataset.steps).map { dataset.targets[c, $0, k] },
                                outputs: [LabelledSeries(label: "model", values: (0..<dataset.steps).map { outputs[c, $0, k] })])
                })
        }
    }

    func overlay(rates: Array3<Double>, split: ConditionSplit, population: String) throws -> TrajectoryOverlay {
        guard let data = dataset.neuralData, !data.data.contains(where: \.isNaN) else { throw CircuitFitError("no complete population to align to") }
        let aligned = try TrajectoryAlignment().align(model: rates, reference: data, fit: split.fit, heldOut: split.heldOut)
        let held = Set(split.heldOut)
        let shown = split.fit + split.heldOut
        return TrajectoryOverlay(
            label: "model", reference: population, unit: "Hz",
            alignment: "the model's top \(aligned.components) PC scores scaled to the data's total variance and rotated onto its top \(aligned.components) PC scores (orthogonal Procrustes), fitted on the training conditions",
            alignedR2Train: aligned.r2Fit, alignedR2HeldOut: aligned.r2HeldOut, varianceExplained: aligned.varianceExplained,
            conditions: shown.map { c in
                OverlayCondition(
                    angle: angle(c), heldOut: held.contains(c),
                    reference: (0..<dataset.steps).map { PCPoint(aligned.reference[c, $0, 0], aligned.reference[c, $0, 1], aligned.reference[c, $0, 2]) },
                    model: (0..<dataset.steps).map { PCPoint(aligned.model[c, $0, 0], aligned.model[c, $0, 1], aligned.model[c, $0, 2]) })
            })
    }

    /// The reach angle of condition c, or an even spread when the dataset has none.
    func angle(_ c: Int) -> Double {
        dataset.angles[c].isFinite ? dataset.angles[c] : 2 * .pi * Double(c) / Double(dataset.conditions)
    }

    /// Each condition's name: its label from DATASET.provenance.json when there is one, else its
    /// index and reach angle.
    func conditionLabels() -> [String] {
        let provenance = URL(fileURLWithPath: datasetPath).deletingPathExtension().appendingPathExtension("provenance.json")
        if let data = try? Data(contentsOf: provenance),
           let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
           let inner = object["provenance"] as? [String: Any],
           let labels = inner["conditionLabels"] as? [String], let rows = inner["rowConditions"] as? [Int],
           rows.count == dataset.conditions, rows.allSatisfy({ $0 >= 0 && $0 < labels.count }) {
            return rows.enumerated().map { c, row in
                dataset.angles[c].isFinite && !labels[row].hasSuffix("deg") ? "\(labels[row]) (\(Int((dataset.angles[c] * 180 / .pi).rounded()))°)" : labels[row]
            }
        }
        return (0..<dataset.conditions).map { c in
            dataset.angles[c].isFinite ? "condition \(c) (\(Int((dataset.angles[c] * 180 / .pi).rounded()))°)" : "condition \(c)"
        }
    }

    func configuration(record: FitRecord?, saved: SavedModel) -> [ConfigurationEntry] {
        var out = [ConfigurationEntry("dataset", datasetPath), ConfigurationEntry("fit folder", shownFolder.path),
                   ConfigurationEntry("model", "H = \(saved.spec.hidden), M = \(saved.recordedNeurons.count), \(saved.spec.mapping.rawValue) mapping")]
        if let record, let data = try? JSONEncoder().encode(record.config), let dict = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            for key in dict.keys.sorted() {
                let value = (try? JSONSerialization.data(withJSONObject: dict[key]!, options: [.fragmentsAllowed, .sortedKeys])).map { String(decoding: $0, as: UTF8.self) } ?? "\(dict[key]!)"
                out.append(ConfigurationEntry("config.\(key)", value))
            }
            out.append(ConfigurationEntry("iterations run", "\(record.iterationsRun) (stop: \(record.stop))"))
            out.append(ConfigurationEntry("CircuitFit version of the fit", record.circuitfitVersion))
        }
        out.append(ConfigurationEntry("CircuitFit version of the report", CircuitFitVersion.string))
        return out
    }
}

private extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
