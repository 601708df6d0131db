import Foundation
import CircuitFitCore
import CircuitFitAnalysis

/// Every setting of the mechanism audit, recorded in its output (docs/method.md § Mechanism audit).
public struct AuditSettings: Codable, Equatable, Sendable {
    public var fixedPoints = FixedPointSearchSettings()
    /// Starting states of the fixed-point search sampled along the movement epoch (input off).
    public var movementStarts: Int = 32
    /// Starting states per condition along its preparatory epoch (input on).
    public var preparatoryStartsPerCondition: Int = 2
    /// Principal components of a system's movement-epoch states its Jacobian is restricted to.
    public var projectionComponents: Int = 10
    /// Slowest eigenvalues of the full spectra compared in the second spectrum distance.
    public var slowestModes: Int = 10
    public var dsa = DSASettings()
    /// jPCA components (Churchland et al. 2012 use 6).
    public var rotationComponents: Int = 6
    public var perturbation = PerturbationSettings()

    public init() {}

    enum CodingKeys: String, CodingKey {
        case fixedPoints = "fixed_points"
        case movementStarts = "movement_starts"
        case preparatoryStartsPerCondition = "preparatory_starts_per_condition"
        case projectionComponents = "projection_components"
        case slowestModes = "slowest_modes"
        case dsa
        case rotationComponents = "rotation_components"
        case perturbation
    }
}

/// One fixed or slow point as reported.
public struct FixedPointRecord: Codable, Equatable, Sendable {
    /// -1 for the movement epoch (input off), else the condition whose preparatory input was on.
    public var condition: Int
    public var stability: FixedPointStability
    /// ‖dx/dt‖ at the point relative to the median speed along the movement trajectories.
    public var relativeSpeed: Double
    public var unstableDimensions: Int
    /// Largest real part of the Jacobian's eigenvalues, 1/s.
    public var spectralAbscissaPerS: Double
    /// Coordinates on the system's own top-2 movement-epoch principal components.
    public var pc1: Double
    public var pc2: Double
    /// Starting states that ended at this point.
    public var basinCount: Int

    enum CodingKeys: String, CodingKey {
        case condition, stability, pc1, pc2
        case relativeSpeed = "relative_speed"
        case unstableDimensions = "unstable_dimensions"
        case spectralAbscissaPerS = "spectral_abscissa_per_s"
        case basinCount = "basin_count"
    }
}

/// Counts of the fixed points of one epoch.
public struct EpochFixedPoints: Codable, Equatable, Sendable {
    public var stable: Int
    public var saddles: Int
    public var unstable: Int
    public var slowPoints: Int
    public var points: [FixedPointRecord]

    enum CodingKeys: String, CodingKey {
        case stable, saddles, unstable, points
        case slowPoints = "slow_points"
    }

    init(_ records: [FixedPointRecord]) {
        points = records
        stable = records.filter { $0.stability == .stable }.count
        saddles = records.filter { $0.stability == .saddle }.count
        unstable = records.filter { $0.stability == .unstable }.count
        slowPoints = records.filter { $0.stability == .slowPoint }.count
    }
}

/// The linearisation at a system's baseline (its movement-epoch attractor), physical units.
public struct BaselineLinearization: Codable, Equatable, Sendable {
    public var spectralAbscissaPerS: Double
    public var slowestTimeConstantsS: [Double]
    public var dominantRotationHz: Double
    /// Eigenvalues of the Jacobian restricted to the top PCs, 1/s.
    public var projectedEigenReal: [Double]
    public var projectedEigenImaginary: [Double]
    public var gramianTopEnergiesS: [Double]?
    public var gramianTopEnergiesRelative: [Double]?
    public var peakPropagatorNorm: Double?
    public var peakPropagatorS: Double?

    enum CodingKeys: String, CodingKey {
        case spectralAbscissaPerS = "spectral_abscissa_per_s"
        case slowestTimeConstantsS = "slowest_time_constants_s"
        case dominantRotationHz = "dominant_rotation_hz"
        case projectedEigenReal = "projected_eigen_real"
        case projectedEigenImaginary = "projected_eigen_imaginary"
        case gramianTopEnergiesS = "gramian_top_energies_s"
        case gramianTopEnergiesRelative = "gramian_top_energies_relative"
        case peakPropagatorNorm = "peak_propagator_norm"
        case peakPropagatorS = "peak_propagator_s"
    }
}

/// The audit of one system (the model or the circuit).
public struct SystemAudit: Codable, Equatable, Sendable {
    public var movement: EpochFixedPoints
    public var preparatory: EpochFixedPoints
    /// nil when the movement epoch has no fixed point.
    public var baseline: BaselineLinearization?
    /// Mean over conditions of max_t ‖r(t) − r*‖ / ‖r(go) − r*‖ along the movement epoch
    /// (r* = the baseline's rates): the transient amplification the trajectories show.
    public var peakNormRatio: Double
    public var rotation: RotationalDynamics

    enum CodingKeys: String, CodingKey {
        case movement, preparatory, baseline, rotation
        case peakNormRatio = "peak_norm_ratio"
    }
}

/// The mechanism audit of a fitted model against the ground-truth circuit (`audit.json`,
/// `evaluate --json`'s "audit"); every quantity in physical units (docs/files.md § audit).
public struct MechanismAudit: Codable, Equatable, Sendable {
    public var settings: AuditSettings
    public var model: SystemAudit
    public var circuit: SystemAudit
    /// Stable fixed points of the model in the movement epoch beyond the circuit's number.
    public var spuriousAttractors: Int
    /// The RMS distance (1/s) between the two systems' Jacobians restricted to their top PCs
    /// (best one-to-one matching of eigenvalues), and relative to the circuit's RMS |λ| there.
    public var spectrumDistancePerS: Double?
    public var spectrumDistanceRelative: Double?
    /// The same between the slowest `slowestModes` eigenvalues of the full spectra, 1/s.
    public var slowestModesDistancePerS: Double?
    /// DSA angular distance between the movement-epoch rates, radians (0 = same dynamics).
    public var dsaAngularDistance: Double
    public var perturbation: PerturbationAudit
    /// Wall time of the audit, s.
    public var seconds: Double
    /// The dataset's own perturbation sets (its perturbation table) as the model predicts them,
    /// the numbers `evaluate` gives (docs/method.md#predicting-perturbations); nil (absent from
    /// JSON) when the dataset has no table.
    public var datasetPerturbations: [PerturbationPrediction]? = nil

    enum CodingKeys: String, CodingKey {
        case settings, model, circuit, perturbation, seconds
        case datasetPerturbations = "dataset_perturbations"
        case spuriousAttractors = "spurious_attractors"
        case spectrumDistancePerS = "spectrum_distance_per_s"
        case spectrumDistanceRelative = "spectrum_distance_relative"
        case slowestModesDistancePerS = "slowest_modes_distance_per_s"
        case dsaAngularDistance = "dsa_angular_distance"
    }
}

/// What the audit runs on besides the two systems: the dataset's inputs and time grid, the
/// circuit's rates and E/I types, and the conditions to use (the fit's training conditions).
public struct AuditData: Sendable {
    public var inputs: Array3<Double>
    public var rates: Array3<Double>
    public var excitatory: [Bool]
    public var conditions: [Int]
    public var goIndex: Int
    public var dtMs: Double
    public init(inputs: Array3<Double>, rates: Array3<Double>, excitatory: [Bool], conditions: [Int], goIndex: Int, dtMs: Double) {
        self.inputs = inputs; self.rates = rates; self.excitatory = excitatory
        self.conditions = conditions; self.goIndex = goIndex; self.dtMs = dtMs
    }
}

/// Audits `model` against `circuit` (docs/method.md § Mechanism audit): fixed and slow points
/// with the input on and off, linearisations at baseline, transient amplification, DSA,
/// perturbations, rotations. `tiedUnitsFitted` is false for fits whose tied units were not
/// fitted (M = 0 or λ = 0): the perturbations then go to random units (the control).
public func auditMechanism(
    model: AuditSubject, circuit: AuditSubject, data: AuditData, tiedUnitsFitted: Bool,
    settings: AuditSettings = AuditSettings()
) throws -> MechanismAudit {
    let started = Date()
    let steps = data.inputs.d1
    guard data.goIndex >= 1, data.goIndex < steps - 2 else {
        throw CircuitFitError("audit: go_index \(data.goIndex) leaves no preparatory or movement epoch in \(steps) steps")
    }
    guard !data.conditions.isEmpty else { throw CircuitFitError("audit: no conditions to audit") }
    let none = SubjectPerturbation(units: [], values: [], kind: .silence)
    let modelRun = try model.simulate([none], conditions: data.conditions, inputs: data.inputs, goIndex: data.goIndex, steps: steps, dtMs: data.dtMs)[0]
    let circuitRun = try circuit.simulate([none], conditions: data.conditions, inputs: data.inputs, goIndex: data.goIndex, steps: steps, dtMs: data.dtMs)[0]
    let m = try auditSystem(model, run: modelRun, data: data, settings: settings)
    let c = try auditSystem(circuit, run: circuitRun, data: data, settings: settings)

    var spectrum: Double? = nil, relative: Double? = nil, slowest: Double? = nil
    if let a = m.linearization, let b = c.linearization {
        spectrum = spectrumDistance(a.projectedReal, a.projectedImaginary, b.projectedReal, b.projectedImaginary)
        let scale = (zip(b.projectedReal, b.projectedImaginary).reduce(0) { $0 + $1.0 * $1.0 + $1.1 * $1.1 } / Double(max(1, b.projectedReal.count))).squareRoot()
        relative = scale > 0 ? spectrum! / scale : nil
        let k = settings.slowestModes
        slowest = spectrumDistance(Array(a.eigenReal.prefix(k)), Array(a.eigenImaginary.prefix(k)), Array(b.eigenReal.prefix(k)), Array(b.eigenImaginary.prefix(k)))
    }
    let dsa = try DynamicalSimilarity(settings: settings.dsa).distance(
        movementEpoch(modelRun.rates, from: data.goIndex), movementEpoch(circuitRun.rates, from: data.goIndex))
    let perturbation = try perturbationAudit(
        model: model, circuit: circuit, circuitExcitatory: data.excitatory, rates: data.rates, inputs: data.inputs,
        conditions: data.conditions, goIndex: data.goIndex, dtMs: data.dtMs, tiedUnitsFitted: tiedUnitsFitted,
        settings: settings.perturbation, baselines: (modelRun, circuitRun))
    return MechanismAudit(
        settings: settings, model: m.audit, circuit: c.audit,
        spuriousAttractors: max(0, m.audit.movement.stable - c.audit.movement.stable),
        spectrumDistancePerS: spectrum, spectrumDistanceRelative: relative, slowestModesDistancePerS: slowest,
        dsaAngularDistance: dsa, perturbation: perturbation, seconds: Date().timeIntervalSince(started))
}

/// The steps from `from` on of [C, T, X].
func movementEpoch(_ a: Array3<Double>, from: Int) -> Array3<Double> {
    let t = a.d1 - from
    var out = Array3<Double>(a.d0, t, a.d2, repeating: 0)
    for c in 0..<a.d0 { for s in 0..<t { for j in 0..<a.d2 { out[c, s, j] = a[c, from + s, j] } } }
    return out
}

/// Fixed points, baseline linearisation, transient amplification and rotations of one system.
func auditSystem(
    _ subject: AuditSubject, run: SubjectRun, data: AuditData, settings: AuditSettings
) throws -> (audit: SystemAudit, linearization: LinearizationSummary?) {
    let network = subject.network
    let n = subject.size, nC = data.conditions.count, steps = data.inputs.d1, go = data.goIndex
    let moveSteps = steps - go
    // movement-epoch states [C·T_move, n]: spread, PCs, speed
    var states = Matrix<Double>(rows: nC * moveSteps, cols: n)
    for c in 0..<nC { for s in 0..<moveSteps { for j in 0..<n { states[c * moveSteps + s, j] = run.states[c, go + s, j] } } }
    let rest = subject.restingDrive
    var restDrive = Matrix<Double>(rows: states.rows, cols: n)
    for r in 0..<states.rows { for j in 0..<n { restDrive[r, j] = rest[j] } }
    let residuals = network.residual(states, drive: restDrive).g
    let speeds = (0..<states.rows).map { r in norm(residuals.row(r)) / network.tauSeconds }
    let medianSpeed = speeds.sorted()[speeds.count / 2]
    let mean = (0..<n).map { j in (0..<states.rows).reduce(0.0) { $0 + states[$1, j] } / Double(states.rows) }
    var spread = 0.0
    for r in 0..<states.rows { for j in 0..<n { spread += pow(states[r, j] - mean[j], 2) } }
    spread = (spread / Double(states.rows)).squareRoot()
    let pca = try PCA(components: min(settings.projectionComponents, n, states.rows - 1)).fit(states)

    // starting states and drives: movement (group 0), then each condition's preparatory epoch
    var startRows: [[Double]] = [], driveRows: [[Double]] = [], groups: [Int] = []
    let total = nC * moveSteps
    for i in 0..<min(settings.movementStarts, total) {
        startRows.append(states.row(i * total / min(settings.movementStarts, total)))
        driveRows.append(rest); groups.append(0)
    }
    for (ci, c) in data.conditions.enumerated() {
        let drive = subject.preparatoryDrive(condition: c, inputs: data.inputs, goIndex: go)
        let k = max(1, settings.preparatoryStartsPerCondition)
        for i in 0..<k {
            let t = go - 1 - i * (go - 1) / max(1, k)
            startRows.append((0..<n).map { run.states[ci, max(0, t), $0] })
            driveRows.append(drive); groups.append(ci + 1)
        }
    }
    let found = try findFixedPoints(
        network: network, starts: Matrix(startRows), drives: Matrix(driveRows), groups: groups,
        scale: spread, medianSpeed: medianSpeed, flowStepSeconds: subject.ownStepSeconds, settings: settings.fixedPoints)
    let groupIDs = Array(Set(groups)).sorted()
    func records(_ points: [FixedPoint], condition: Int) throws -> [FixedPointRecord] {
        try points.map { p in
            let pc = try pca.transform(Matrix(rows: 1, cols: n, data: p.state))
            return FixedPointRecord(
                condition: condition, stability: p.stability, relativeSpeed: p.speed / max(medianSpeed, .leastNonzeroMagnitude),
                unstableDimensions: p.unstableDimensions, spectralAbscissaPerS: p.eigenReal.max() ?? .nan,
                pc1: pc[0, 0], pc2: pc.cols > 1 ? pc[0, 1] : 0, basinCount: p.basinCount)
        }
    }
    var movementPoints: [FixedPoint] = [], prepRecords: [FixedPointRecord] = []
    for (g, points) in zip(groupIDs, found) {
        if g == 0 { movementPoints = points } else { prepRecords += try records(points, condition: data.conditions[g - 1]) }
    }
    // the baseline: the movement attractor most starts ended at (else the most visited fixed point)
    let fixed = movementPoints.filter(\.isFixed)
    let baselinePoint = fixed.filter { $0.stability == .stable }.max { $0.basinCount < $1.basinCount } ?? fixed.max { $0.basinCount < $1.basinCount }
    var summary: LinearizationSummary? = nil, baseline: BaselineLinearization? = nil
    if let b = baselinePoint {
        let s = try summarizeLinearization(network.jacobian(at: b.state), tauSeconds: network.tauSeconds, pcs: pca.components)
        summary = s
        baseline = BaselineLinearization(
            spectralAbscissaPerS: s.eigenReal.first ?? .nan, slowestTimeConstantsS: s.slowestTimeConstants,
            dominantRotationHz: s.dominantRotationHz, projectedEigenReal: s.projectedReal, projectedEigenImaginary: s.projectedImaginary,
            gramianTopEnergiesS: s.gramianEnergies, gramianTopEnergiesRelative: s.gramianEnergiesRelative,
            peakPropagatorNorm: s.peakPropagatorNorm, peakPropagatorS: s.peakPropagatorSeconds)
    }
    // transient amplification along the movement epoch, rates relative to the baseline's rates
    let restRates = (baselinePoint?.state ?? [Double](repeating: 0, count: n)).map { network.nonlinearity.value($0) }
    var ratio = 0.0
    for ci in 0..<nC {
        func dist(_ t: Int) -> Double { (0..<n).reduce(0.0) { $0 + pow(run.rates[ci, t, $1] - restRates[$1], 2) }.squareRoot() }
        let initial = dist(go - 1)
        var peak = 0.0
        for t in go..<steps { peak = max(peak, dist(t)) }
        ratio += (initial > 0 ? peak / initial : .nan) / Double(nC)
    }
    let rotation = try rotationalDynamics(movementEpoch(run.rates, from: go), dtSeconds: data.dtMs / 1000, components: settings.rotationComponents)
    let audit = SystemAudit(
        movement: EpochFixedPoints(try records(movementPoints, condition: -1)), preparatory: EpochFixedPoints(prepRecords),
        baseline: baseline, peakNormRatio: ratio, rotation: rotation)
    return (audit, summary)
}

/// Non-finite numbers are written as null and read back as NaN (nil where optional).
extension FixedPointRecord {
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(condition, forKey: .condition)
        try c.encode(stability, forKey: .stability)
        try c.encodeFinite(relativeSpeed, forKey: .relativeSpeed)
        try c.encode(unstableDimensions, forKey: .unstableDimensions)
        try c.encodeFinite(spectralAbscissaPerS, forKey: .spectralAbscissaPerS)
        try c.encodeFinite(pc1, forKey: .pc1)
        try c.encodeFinite(pc2, forKey: .pc2)
        try c.encode(basinCount, forKey: .basinCount)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        condition = try c.decode(Int.self, forKey: .condition)
        stability = try c.decode(FixedPointStability.self, forKey: .stability)
        relativeSpeed = try c.decodeFinite(.relativeSpeed)
        unstableDimensions = try c.decode(Int.self, forKey: .unstableDimensions)
        spectralAbscissaPerS = try c.decodeFinite(.spectralAbscissaPerS)
        pc1 = try c.decodeFinite(.pc1)
        pc2 = try c.decodeFinite(.pc2)
        basinCount = try c.decode(Int.self, forKey: .basinCount)
    }
}

/// Non-finite numbers are written as null and read back as NaN (nil where optional).
extension BaselineLinearization {
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeFinite(spectralAbscissaPerS, forKey: .spectralAbscissaPerS)
        try c.encodeFinite(slowestTimeConstantsS, forKey: .slowestTimeConstantsS)
        try c.encodeFinite(dominantRotationHz, forKey: .dominantRotationHz)
        try c.encodeFinite(projectedEigenReal, forKey: .projectedEigenReal)
        try c.encodeFinite(projectedEigenImaginary, forKey: .projectedEigenImaginary)
        if let gramianTopEnergiesS { try c.encodeFinite(gramianTopEnergiesS, forKey: .gramianTopEnergiesS) }
        if let gramianTopEnergiesRelative { try c.encodeFinite(gramianTopEnergiesRelative, forKey: .gramianTopEnergiesRelative) }
        if let peakPropagatorNorm { try c.encodeFinite(peakPropagatorNorm, forKey: .peakPropagatorNorm) }
        if let peakPropagatorS { try c.encodeFinite(peakPropagatorS, forKey: .peakPropagatorS) }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        spectralAbscissaPerS = try c.decodeFinite(.spectralAbscissaPerS)
        slowestTimeConstantsS = try c.decodeFiniteList(.slowestTimeConstantsS)
        dominantRotationHz = try c.decodeFinite(.dominantRotationHz)
        projectedEigenReal = try c.decodeFiniteList(.projectedEigenReal)
        projectedEigenImaginary = try c.decodeFiniteList(.projectedEigenImaginary)
        gramianTopEnergiesS = try c.decodeIfPresent([Double?].self, forKey: .gramianTopEnergiesS).map { $0.map { $0 ?? .nan } }
        gramianTopEnergiesRelative = try c.decodeIfPresent([Double?].self, forKey: .gramianTopEnergiesRelative).map { $0.map { $0 ?? .nan } }
        peakPropagatorNorm = try c.decodeFiniteIfPresent(.peakPropagatorNorm)
        peakPropagatorS = try c.decodeFiniteIfPresent(.peakPropagatorS)
    }
}

/// Non-finite numbers are written as null and read back as NaN (nil where optional).
extension SystemAudit {
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(movement, forKey: .movement)
        try c.encode(preparatory, forKey: .preparatory)
        try c.encodeIfPresent(baseline, forKey: .baseline)
        try c.encodeFinite(peakNormRatio, forKey: .peakNormRatio)
        try c.encode(rotation, forKey: .rotation)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        movement = try c.decode(EpochFixedPoints.self, forKey: .movement)
        preparatory = try c.decode(EpochFixedPoints.self, forKey: .preparatory)
        baseline = try c.decodeIfPresent(BaselineLinearization.self, forKey: .baseline)
        peakNormRatio = try c.decodeFinite(.peakNormRatio)
        rotation = try c.decode(RotationalDynamics.self, forKey: .rotation)
    }
}

/// Non-finite numbers are written as null and read back as NaN (nil where optional).
extension MechanismAudit {
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(settings, forKey: .settings)
        try c.encode(model, forKey: .model)
        try c.encode(circuit, forKey: .circuit)
        try c.encode(spuriousAttractors, forKey: .spuriousAttractors)
        try c.encodeFinite(spectrumDistancePerS, forKey: .spectrumDistancePerS)
        try c.encodeFinite(spectrumDistanceRelative, forKey: .spectrumDistanceRelative)
        try c.encodeFinite(slowestModesDistancePerS, forKey: .slowestModesDistancePerS)
        try c.encodeFinite(dsaAngularDistance, forKey: .dsaAngularDistance)
        try c.encode(perturbation, forKey: .perturbation)
        try c.encodeFinite(seconds, forKey: .seconds)
        try c.encodeIfPresent(datasetPerturbations, forKey: .datasetPerturbations)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        settings = try c.decode(AuditSettings.self, forKey: .settings)
        model = try c.decode(SystemAudit.self, forKey: .model)
        circuit = try c.decode(SystemAudit.self, forKey: .circuit)
        spuriousAttractors = try c.decode(Int.self, forKey: .spuriousAttractors)
        spectrumDistancePerS = try c.decodeFiniteIfPresent(.spectrumDistancePerS)
        spectrumDistanceRelative = try c.decodeFiniteIfPresent(.spectrumDistanceRelative)
        slowestModesDistancePerS = try c.decodeFiniteIfPresent(.slowestModesDistancePerS)
        dsaAngularDistance = try c.decodeFinite(.dsaAngularDistance)
        perturbation = try c.decode(PerturbationAudit.self, forKey: .perturbation)
        seconds = try c.decodeFinite(.seconds)
        datasetPerturbations = try c.decodeIfPresent([PerturbationPrediction].self, forKey: .datasetPerturbations)
    }
}
