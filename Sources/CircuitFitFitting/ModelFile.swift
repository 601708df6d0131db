import Foundation
import CircuitFitCore
import CircuitFitModel
import CircuitFitAnalysis

/// A model read back from `model.npz` (docs/files.md#modelnpz): enough to re-simulate and score it.
/// Under Dale's law the file holds the effective signed J, so the loaded spec has no sign
/// constraint: it simulates exactly the saved network.
public struct SavedModel: Sendable {
    public var spec: RNNSpec
    public var parameters: RNNParameters
    /// Indices of the recorded neurons into the dataset's neurons [M].
    public var recordedNeurons: [Int]
    public var neuronOffset: [Double]
    public var neuronScale: [Double]
    /// Conditions the fit minimised its loss on, and those it set aside (see ConditionSplit).
    public var split: ConditionSplit?
}

extension FittedModel {
    /// `model.npz`: the parameters (effective J), α, the recorded neurons, their units and
    /// normalisation, and the condition split.
    public func archive() -> NPZArchive {
        var a = NPZArchive(fileName: "model.npz")
        for named in parameters.modelArrays(spec: spec) {
            a.set(named.name, NPYArray(named.values, shape: named.shape))
        }
        a.set("recorded_neurons", NPYArray(neural?.neurons ?? []))
        a.set("neuron_offset", NPYArray(neural?.offset ?? []))
        a.set("neuron_scale", NPYArray(neural?.scale ?? []))
        a.set("fit_conditions", NPYArray(split.fit))
        a.set("validation_conditions", NPYArray(split.validation))
        a.set("excluded_conditions", NPYArray(split.excluded))
        a.set("heldout_conditions", NPYArray(split.heldOut))
        a.set("tau_ms", NPYArray(scalar: spec.tauMs))
        a.set("dt_ms", NPYArray(scalar: spec.dtMs))
        if let e = spec.excitatory { a.set("excitatory_units", NPYArray(e.map { $0 ? 1 : 0 })) }
        return a
    }
}

extension SavedModel {
    public static func read(from url: URL) throws -> SavedModel {
        try SavedModel(archive: NPZArchive.read(from: url))
    }

    /// Validates the arrays of a `model.npz` and rebuilds the model.
    public init(archive a: NPZArchive) throws {
        let file = a.fileName
        let j = try a.matrix("J", dims: "[H,H]")
        let h = j.rows
        guard j.cols == h else { throw CircuitFitError("\(file): array 'J' has shape [\(j.rows), \(j.cols)] but must be square [H,H]") }
        let b = try a.matrix("B", rows: h, dims: "[H,I]")
        let c = try a.matrix("C", cols: h, dims: "[K,H]")
        let bias = try a.vector("b", count: h, dims: "[H]")
        let d = try a.vector("d", count: c.rows, dims: "[K]")
        let h0 = try a.vector("h0", count: h, dims: "[H]")
        let alpha = try a.scalar("alpha")
        guard alpha > 0 && alpha <= 1 else { throw CircuitFitError("\(file): alpha must be in (0, 1], got \(alpha)") }
        let neurons = try a.intVector("recorded_neurons", dims: "[M]")
        let m = neurons.count
        let offset = try a.vector("neuron_offset", count: m, dims: "[M]")
        let scale = try a.vector("neuron_scale", count: m, dims: "[M]")
        let linear = a["D"] != nil
        var blocks: [ParameterBlock: [Float]] = [
            .J: j.data.map(Float.init), .B: b.data.map(Float.init), .b: bias.map(Float.init),
            .C: c.data.map(Float.init), .d: d.map(Float.init), .h0: h0.map(Float.init),
        ]
        var units: [Int] = []
        if linear {
            blocks[.D] = try a.matrix("D", rows: m, cols: h, dims: "[M,H]").data.map(Float.init)
            blocks[.e] = try a.vector("e", count: m, dims: "[M]").map(Float.init)
        } else {
            units = try a.intVector("recorded_units", count: m, dims: "[M]")
            if let bad = units.first(where: { $0 < 0 || $0 >= h }) {
                throw CircuitFitError("\(file): recorded_units holds unit \(bad), outside 0..<\(h)")
            }
        }
        let dt = a["dt_ms"] == nil ? 5 : try a.scalar("dt_ms")
        spec = RNNSpec(
            hidden: h, inputs: b.cols, outputs: c.rows, recorded: m, mapping: linear ? .linear : .identity,
            recordedUnits: linear ? nil : units, dtMs: dt, tauMs: dt / alpha)
        try spec.validate()
        parameters = try RNNParameters(layout: spec.layout, blocks: blocks)
        recordedNeurons = neurons
        neuronOffset = offset
        neuronScale = scale
        if a["fit_conditions"] != nil {
            split = ConditionSplit(
                fit: try a.intVector("fit_conditions"), validation: try a.intVector("validation_conditions"),
                excluded: try a.intVector("excluded_conditions"), heldOut: try a.intVector("heldout_conditions"))
        } else {
            split = nil
        }
    }
}
