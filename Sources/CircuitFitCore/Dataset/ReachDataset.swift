/// What `train` reads and `generate`/`import` write (docs/files.md#datasetnpz): per-condition inputs, muscle
/// targets and neural rates on a common time grid.
///
/// All arrays are [C, T, ·] (conditions, time steps, channels). A generated dataset carries the
/// ground-truth `rates` of every circuit neuron; one imported from recordings carries only the
/// `recorded` neurons (with their `neuronIDs`) and no ground truth.
public struct ReachDataset: Sendable {
    /// Task inputs u [C, T, I].
    public var inputs: Array3<Double>
    /// Muscle targets z* [C, T, K].
    public var targets: Array3<Double>
    /// Every circuit neuron's rate, Hz relative to baseline [C, T, N] (generated data only).
    public var rates: Array3<Double>?
    /// Recorded neurons' rates, Hz [C, T, M] (imported data); NaN marks a missing sample.
    public var recorded: Array3<Double>?
    /// Identifiers of the recorded neurons [M].
    public var neuronIDs: [Int]?
    /// Each recorded neuron's split-half reliability [M] (Spearman–Brown corrected correlation
    /// of odd-trial and even-trial PSTHs; imported data; NaN where undefined).
    public var reliability: [Double]?
    /// The PSTHs of each condition's odd trials (1st, 3rd, …) and even trials [C, T, M], Hz,
    /// smoothed like `recorded` (imported condition averages; NaN for a condition with one trial):
    /// the noise ceilings of `evaluate` come from these.
    public var recordedHalfA: Array3<Double>?
    public var recordedHalfB: Array3<Double>?
    /// true for excitatory neurons [N] (generated data; needed for Dale's law in the model).
    public var excitatory: [Bool]?
    /// Numeric condition labels [C] (imported data).
    public var conditionLabels: [Double]?
    /// Reach angle of each condition, radians [C].
    public var angles: [Double]
    /// true = training condition, false = held out [C].
    public var isTraining: [Bool]
    /// Time step, ms.
    public var dtMs: Double
    /// First time step after the go cue.
    public var goIndex: Int
    /// Perturbation trials: the table of sets and each set's perturbed run in every condition
    /// (nil = control trials only, as in every dataset before perturbations).
    public var perturbations: PerturbationTrials?

    public init(
        inputs: Array3<Double>, targets: Array3<Double>, rates: Array3<Double>? = nil,
        recorded: Array3<Double>? = nil, neuronIDs: [Int]? = nil, excitatory: [Bool]? = nil, conditionLabels: [Double]? = nil,
        angles: [Double], isTraining: [Bool], dtMs: Double, goIndex: Int,
        reliability: [Double]? = nil, recordedHalfA: Array3<Double>? = nil, recordedHalfB: Array3<Double>? = nil,
        perturbations: PerturbationTrials? = nil
    ) {
        self.perturbations = perturbations
        self.inputs = inputs; self.targets = targets; self.rates = rates; self.recorded = recorded
        self.reliability = reliability; self.recordedHalfA = recordedHalfA; self.recordedHalfB = recordedHalfB
        self.neuronIDs = neuronIDs; self.excitatory = excitatory; self.conditionLabels = conditionLabels; self.angles = angles
        self.isTraining = isTraining; self.dtMs = dtMs; self.goIndex = goIndex
    }

    public var conditions: Int { inputs.d0 }
    public var steps: Int { inputs.d1 }
    public var inputCount: Int { inputs.d2 }
    public var outputCount: Int { targets.d2 }
    public var trainingConditions: [Int] { (0..<conditions).filter { isTraining[$0] } }
    public var heldOutConditions: [Int] { (0..<conditions).filter { !isTraining[$0] } }
    /// The neural data a fit draws from: ground-truth rates if present, else the recordings.
    public var neuralData: Array3<Double>? { rates ?? recorded }
}
