import CircuitFitCore

/// How recorded neurons are predicted from the model's rates r = tanh(h)
/// (docs/method.md#recorded-neurons-and-condition-splits).
public enum NeuralMapping: String, Sendable, Codable, CaseIterable {
    /// Recorded neuron m is model unit `recordedUnits[m]`: prediction r[u_m].
    case identity
    /// A learned readout predicts the recordings: D r + e, with D [M,H] and e [M].
    case linear
}

/// A named block of the model's parameter vector, named after the symbols of
/// docs/method.md#the-model-rnn.
public enum ParameterBlock: String, Sendable, Codable, CaseIterable {
    /// Recurrent weights [H,H], row = postsynaptic unit. Under Dale's law this block holds the
    /// raw weights W; the weights the model uses are `RNNParameters.effectiveJ(spec:)`.
    case J
    /// Input weights [H,I].
    case B
    /// Recurrent bias [H].
    case b
    /// Output readout [K,H].
    case C
    /// Output bias [K].
    case d
    /// Initial state [H], shared by all conditions.
    case h0
    /// Neural readout [M,H] (linear mapping only; empty otherwise).
    case D
    /// Neural readout bias [M] (linear mapping only; empty otherwise).
    case e

    /// Position in the parameter vector's block order (J, B, b, C, d, h0, D, e).
    var index: Int {
        switch self {
        case .J: 0
        case .B: 1
        case .b: 2
        case .C: 3
        case .d: 4
        case .h0: 5
        case .D: 6
        case .e: 7
        }
    }
}

/// Where each block lives in the one contiguous parameter vector (and in the gradient vector,
/// which has the same layout). Order: J, B, b, C, d, h0, D, e; blocks are row-major.
public struct ParameterLayout: Sendable, Equatable, Codable {
    public let hidden: Int
    public let inputs: Int
    public let outputs: Int
    public let recorded: Int
    public let mapping: NeuralMapping
    /// Start of each block, in `ParameterBlock.allCases` order, then the total count.
    private let starts: [Int]

    public init(hidden: Int, inputs: Int, outputs: Int, recorded: Int, mapping: NeuralMapping) {
        self.hidden = hidden
        self.inputs = inputs
        self.outputs = outputs
        self.recorded = recorded
        self.mapping = mapping
        var s = [0]
        for block in ParameterBlock.allCases {
            let size = ParameterLayout.shape(block, hidden, inputs, outputs, recorded, mapping).reduce(1, *)
            s.append(s.last! + size)
        }
        starts = s
    }

    private static func shape(
        _ block: ParameterBlock, _ H: Int, _ I: Int, _ K: Int, _ M: Int, _ mapping: NeuralMapping
    ) -> [Int] {
        let linear = mapping == .linear
        switch block {
        case .J: return [H, H]
        case .B: return [H, I]
        case .b: return [H]
        case .C: return [K, H]
        case .d: return [K]
        case .h0: return [H]
        case .D: return [linear ? M : 0, H]
        case .e: return [linear ? M : 0]
        }
    }

    /// The block's shape, e.g. [H, H] for J.
    public func shape(_ block: ParameterBlock) -> [Int] {
        ParameterLayout.shape(block, hidden, inputs, outputs, recorded, mapping)
    }

    /// The block's index range in the parameter vector.
    public func range(_ block: ParameterBlock) -> Range<Int> {
        let i = block.index
        return starts[i]..<starts[i + 1]
    }

    /// The block's first index in the parameter vector.
    public func offset(_ block: ParameterBlock) -> Int { range(block).lowerBound }

    /// Length of the parameter vector.
    public var count: Int { starts.last! }

    /// The blocks this layout holds (D and e only for the linear mapping).
    public var blocks: [ParameterBlock] {
        mapping == .linear ? ParameterBlock.allCases : ParameterBlock.allCases.filter { $0 != .D && $0 != .e }
    }
}
