import CircuitFitCore

/// The model's learned numbers: ONE contiguous Float32 vector laid out by `ParameterLayout`
/// (J [H,H], B [H,I], b [H], C [K,H], d [K], h0 [H], and for the linear mapping D [M,H], e [M]),
/// so the optimiser sees a single vector. Units: h, J·r, B·u are dimensionless currents.
public struct RNNParameters: Sendable, Equatable {
    public let layout: ParameterLayout
    public var values: [Float]

    /// All-zero parameters.
    public init(layout: ParameterLayout) {
        self.layout = layout
        values = [Float](repeating: 0, count: layout.count)
    }

    public init(layout: ParameterLayout, values: [Float]) throws {
        guard values.count == layout.count else {
            throw CircuitFitError("parameters: \(values.count) values for a layout of \(layout.count)")
        }
        self.layout = layout
        self.values = values
    }

    /// Parameters from named blocks (e.g. the arrays of a saved model.npz), each row-major with
    /// the layout's size; every block of the layout must be given. A saved `J` is the effective
    /// one: reload it into a spec without Dale's law or mask to re-simulate the same model.
    public init(layout: ParameterLayout, blocks: [ParameterBlock: [Float]]) throws {
        self.init(layout: layout)
        for block in layout.blocks {
            guard let v = blocks[block] else { throw CircuitFitError("parameters: block \(block.rawValue) is missing") }
            guard v.count == layout.range(block).count else {
                throw CircuitFitError("parameters: block \(block.rawValue) has \(v.count) values, expected shape \(layout.shape(block))")
            }
            self[block] = v[...]
        }
    }

    /// One block's values, row-major.
    public subscript(block: ParameterBlock) -> ArraySlice<Float> {
        get { values[layout.range(block)] }
        set {
            precondition(newValue.count == layout.range(block).count, "parameters: wrong size for block \(block)")
            values.replaceSubrange(layout.range(block), with: newValue)
        }
    }

    /// One block as an array, row-major.
    public func block(_ block: ParameterBlock) -> [Float] { Array(self[block]) }

    /// The recurrent weights the model actually uses, [H·H] row-major (row = postsynaptic):
    /// mask ⊙ |W| ⊙ sign(presynaptic type) under Dale's law, mask ⊙ W otherwise.
    /// This is the `J` to save in model.npz.
    public func effectiveJ(spec: RNNSpec) -> [Float] {
        let H = layout.hidden
        var j = block(.J)
        if let exc = spec.excitatory {
            for i in 0..<H { for k in 0..<H { j[i * H + k] = abs(j[i * H + k]) * (exc[k] ? 1 : -1) } }
        }
        if let mask = spec.connectivityMask {
            for i in 0..<(H * H) { j[i] *= mask[i] }
        }
        return j
    }

    /// True if every value is finite.
    public var isFinite: Bool { values.allSatisfy { $0.isFinite } }

    /// The arrays of model.npz that come from the model (docs/files.md#modelnpz): `J` (effective), `B`,
    /// `b`, `C`, `d`, `h0`, scalar `alpha`, `recorded_units` (identity mapping), and `D`, `e`
    /// (linear mapping). The caller adds `recorded_neurons`, `neuron_offset`, `neuron_scale`.
    public func modelArrays(spec: RNNSpec) -> [NamedArray] {
        var out: [NamedArray] = [
            NamedArray("J", shape: layout.shape(.J), effectiveJ(spec: spec).map(Double.init)),
        ]
        for b in [ParameterBlock.B, .b, .C, .d, .h0] {
            out.append(NamedArray(b.rawValue, shape: layout.shape(b), self[b].map(Double.init)))
        }
        out.append(NamedArray("alpha", shape: [], [spec.alpha]))
        let units = spec.mapping == .identity ? spec.recordedUnits : []
        out.append(NamedArray("recorded_units", shape: [units.count], units.map(Double.init)))
        if layout.mapping == .linear {
            for b in [ParameterBlock.D, .e] {
                out.append(NamedArray(b.rawValue, shape: layout.shape(b), self[b].map(Double.init)))
            }
        }
        return out
    }
}

/// A named n-D array (row-major values, shape [] for a scalar), for handing results to writers.
public struct NamedArray: Sendable, Equatable {
    public var name: String
    public var shape: [Int]
    public var values: [Double]

    public init(_ name: String, shape: [Int], _ values: [Double]) {
        precondition(shape.reduce(1, *) == values.count, "NamedArray \(name): \(values.count) values for shape \(shape)")
        self.name = name
        self.shape = shape
        self.values = values
    }
}
