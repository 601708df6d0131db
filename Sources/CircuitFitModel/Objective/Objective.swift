import CircuitFitCore

/// The training objective's weights (docs/method.md#the-objective):
/// L = L_task + λ·L_neural + β_J‖J‖² + β_in‖B‖² + β_out‖C‖² + β_r·mean(r²),
/// and which parameter blocks are trained (frozen blocks get zero gradient).
/// ‖J‖² is taken over the effective J (after Dale's law and the mask); mean(r²) over all
/// T·C·H rates. All weights are dimensionless.
public struct Objective: Sendable, Equatable, Codable {
    /// λ, weight of L_neural (≥ 0; 0 = task-only "standard" training). Default 1.
    public var lambda: Double
    /// β_J, β_in, β_out: L2 penalties on J, B, C. Default 0.
    public var betaJ: Double
    public var betaIn: Double
    public var betaOut: Double
    /// β_r: penalty on the mean squared rate. Default 0.
    public var betaRate: Double
    /// Blocks the optimiser changes. Default: all but h0 (h_0 = 0 fixed; a choice, see
    /// docs/method.md#the-model-rnn).
    public var trainable: Set<ParameterBlock>

    public static let defaultTrainable: Set<ParameterBlock> = [.J, .B, .b, .C, .d, .D, .e]

    public init(
        lambda: Double = 1, betaJ: Double = 0, betaIn: Double = 0, betaOut: Double = 0,
        betaRate: Double = 0, trainable: Set<ParameterBlock> = Objective.defaultTrainable
    ) {
        self.lambda = lambda
        self.betaJ = betaJ
        self.betaIn = betaIn
        self.betaOut = betaOut
        self.betaRate = betaRate
        self.trainable = trainable
    }

    /// Throws a one-line `CircuitFitError` for a negative or non-finite weight.
    public func validate() throws {
        for (name, v) in [("lambda", lambda), ("beta_J", betaJ), ("beta_in", betaIn), ("beta_out", betaOut), ("beta_r", betaRate)] {
            guard v.isFinite && v >= 0 else { throw CircuitFitError("objective: \(name) must be finite and ≥ 0, got \(v)") }
        }
    }
}

/// The parts of one loss evaluation (dimensionless, on normalised recordings).
public struct LossParts: Sendable, Equatable {
    /// L, the total objective.
    public var total: Double
    /// L_task, output mean squared error.
    public var task: Double
    /// L_neural, mean squared error over present recording samples (0 without recordings).
    public var neural: Double
    /// β_J‖J‖² + β_in‖B‖² + β_out‖C‖² + β_r·mean(r²).
    public var penalty: Double
}

extension RNNWorkspace {

    /// The loss at parameters p (forward pass only; fills the forward caches).
    func loss(_ p: UnsafePointer<Scalar>, _ objective: Objective) -> LossParts {
        effectiveWeightsForward(p + layout.offset(.J))
        recurrenceForward(p)
        readoutForward(p)
        neuralForward(p)
        let task = taskLossForward()
        let neural = neuralLossForward()
        let penalty = penaltiesForward(p, objective)
        return LossParts(total: task + objective.lambda * neural + penalty, task: task, neural: neural, penalty: penalty)
    }

    /// The loss at p and its exact gradient into g (same layout as p; frozen blocks get 0).
    func lossAndGradient(_ p: UnsafePointer<Scalar>, _ objective: Objective, _ g: UnsafeMutablePointer<Scalar>) -> LossParts {
        let parts = loss(p, objective)
        let trainable = objective.trainable
        g.update(repeating: 0, count: layout.count)
        // ∂L/∂r from the readouts and the rate penalty
        taskLossBackward()
        readoutBackward(p, g, trainable: trainable)
        neuralLossBackward(p, g, lambda: Scalar(objective.lambda), trainable: trainable)
        ratePenaltyBackward(Scalar(objective.betaRate))
        // through time
        recurrenceBackward(g, trainable: trainable)
        // weight penalties, then from the effective J to the stored block
        weightPenaltiesBackward(p, g, objective)
        if trainable.contains(.J) { effectiveWeightsBackward(p + layout.offset(.J), g + layout.offset(.J)) }
        return parts
    }
}
