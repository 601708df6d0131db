import CircuitFitCore

/// The model RNN's architecture: sizes, time step, recurrent noise and its fixed structure
/// (Dale's law, connectivity mask, the tie between recorded neurons and model units).
/// Its learned numbers live in `RNNParameters`.
///
/// Dynamics (docs/method.md#the-model-rnn): h_{t+1} = (1−α) h_t + α (J r_t + B u_t + b + σ ξ_t),
/// r_t = tanh(h_t), z_t = C r_t + d, for t = 0…T−1, h_0 = h0, α = dt/τ, ξ_t ~ N(0, 1) per unit,
/// condition and step (so the noise added to h is α·σ·ξ_t).
public struct RNNSpec: Sendable, Equatable, Codable {
    /// H, the number of model units.
    public var hidden: Int
    /// I, the number of input channels.
    public var inputs: Int
    /// K, the number of outputs (muscles).
    public var outputs: Int
    /// M, the number of recorded neurons the model is fitted to (0 = task-only).
    public var recorded: Int
    /// How recorded neurons are predicted from the rates.
    public var mapping: NeuralMapping
    /// Identity mapping: the model unit tied to each recorded neuron, [M], distinct, in 0..<H.
    /// Ignored by the linear mapping.
    public var recordedUnits: [Int]
    /// Integration step, milliseconds (default 5).
    public var dtMs: Double
    /// Model time constant τ, milliseconds (default 50).
    public var tauMs: Double
    /// σ, the standard deviation of the recurrent noise in units of the input current
    /// (0 = off, the default); the state receives α·σ·ξ_t.
    public var noiseSD: Double
    /// Dale's law: the fixed type of every unit, [H], true = excitatory; nil = no sign constraint.
    /// The model then uses J_ij = |W_ij|·s_j with s_j = +1 for an excitatory presynaptic unit j and
    /// −1 for an inhibitory one; W is the stored J block. Gradient: ∂L/∂W_ij = ∂L/∂J_ij·s_j·sgn(W_ij)
    /// (sgn(0) = 0, so a weight that reaches exactly 0 stays a zero-gradient silent synapse).
    public var excitatory: [Bool]?
    /// Fixed 0/1 connectivity mask on J, [H·H] row-major (row = postsynaptic); nil = all-to-all.
    /// The model uses mask ⊙ J; masked weights get zero gradient. E.g. `RNNSpec.noAutapses(H)`.
    public var connectivityMask: [Float]?

    public init(
        hidden: Int = 200, inputs: Int, outputs: Int, recorded: Int = 0,
        mapping: NeuralMapping = .identity, recordedUnits: [Int]? = nil,
        dtMs: Double = 5, tauMs: Double = 50, noiseSD: Double = 0,
        excitatory: [Bool]? = nil, connectivityMask: [Float]? = nil
    ) {
        self.hidden = hidden
        self.inputs = inputs
        self.outputs = outputs
        self.recorded = recorded
        self.mapping = mapping
        self.recordedUnits = recordedUnits ?? (mapping == .identity ? Array(0..<min(recorded, hidden)) : [])
        self.dtMs = dtMs
        self.tauMs = tauMs
        self.noiseSD = noiseSD
        self.excitatory = excitatory
        self.connectivityMask = connectivityMask
    }

    /// α = dt/τ.
    public var alpha: Double { dtMs / tauMs }

    /// The layout of this model's parameter vector.
    public var layout: ParameterLayout {
        ParameterLayout(hidden: hidden, inputs: inputs, outputs: outputs, recorded: recorded, mapping: mapping)
    }

    /// A mask with ones everywhere except the diagonal (no self-connections), [H·H].
    public static func noAutapses(_ hidden: Int) -> [Float] {
        var m = [Float](repeating: 1, count: hidden * hidden)
        for i in 0..<hidden { m[i * hidden + i] = 0 }
        return m
    }

    /// Throws a one-line `CircuitFitError` if the sizes or the fixed structure are inconsistent.
    public func validate() throws {
        guard hidden >= 1 else { throw CircuitFitError("model: hidden units must be ≥ 1, got \(hidden)") }
        guard inputs >= 0 else { throw CircuitFitError("model: inputs must be ≥ 0, got \(inputs)") }
        guard outputs >= 1 else { throw CircuitFitError("model: outputs must be ≥ 1, got \(outputs)") }
        guard recorded >= 0 else { throw CircuitFitError("model: recorded neurons must be ≥ 0, got \(recorded)") }
        guard dtMs > 0, tauMs > 0, dtMs.isFinite, tauMs.isFinite else {
            throw CircuitFitError("model: dt_ms and tau_ms must be positive, got \(dtMs) and \(tauMs)")
        }
        guard alpha <= 1 else { throw CircuitFitError("model: dt_ms/tau_ms must be ≤ 1, got \(alpha)") }
        guard noiseSD >= 0, noiseSD.isFinite else { throw CircuitFitError("model: noise sd must be ≥ 0, got \(noiseSD)") }
        if mapping == .identity {
            guard recordedUnits.count == recorded else {
                throw CircuitFitError("model: identity mapping needs one unit per recorded neuron: \(recordedUnits.count) units for \(recorded) neurons")
            }
            guard recorded <= hidden else {
                throw CircuitFitError("model: identity mapping needs M ≤ H, got M = \(recorded) recorded neurons for H = \(hidden) units")
            }
            if let bad = recordedUnits.first(where: { $0 < 0 || $0 >= hidden }) {
                throw CircuitFitError("model: recorded unit \(bad) out of range 0..<\(hidden)")
            }
            guard Set(recordedUnits).count == recorded else {
                throw CircuitFitError("model: recorded units must be distinct, got duplicates in \(recordedUnits)")
            }
        }
        if let e = excitatory, e.count != hidden {
            throw CircuitFitError("model: Dale's law needs one type per unit: excitatory has \(e.count) entries for \(hidden) units")
        }
        if let m = connectivityMask {
            guard m.count == hidden * hidden else {
                throw CircuitFitError("model: connectivity mask has \(m.count) entries, expected H·H = \(hidden * hidden)")
            }
            guard m.allSatisfy({ $0 == 0 || $0 == 1 }) else {
                throw CircuitFitError("model: connectivity mask entries must be 0 or 1")
            }
        }
    }
}
