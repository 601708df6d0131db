import Foundation
import CircuitFitCore
import CircuitFitCircuit
import CircuitFitModel

/// The ground-truth circuit as `generate` saves it (circuit.npz, and config.json's integration
/// step when present): τ dx/dt = −x + W f(x) + input, x = rate deviation from baseline (Hz).
public struct GroundTruthCircuit: Sendable {
    /// W [N, N], row = postsynaptic.
    public var weights: Matrix<Double>
    /// true for excitatory neurons [N].
    public var excitatory: [Bool]
    /// Preparatory states x0 [C, N], Hz.
    public var preparatoryStates: Matrix<Double>
    /// Muscle readout [K, N] of the rates f(x) and its bias [K].
    public var readout: Matrix<Double>
    public var readoutBias: [Double]
    public var tauMs: Double
    public var f: RateNonlinearity
    /// RK4 step, ms (1 unless config.json says otherwise).
    public var integrationStepMs: Double
    /// The data step the circuit was binned to, ms, when config.json says (nil otherwise).
    public var dtMs: Double?

    public init(weights: Matrix<Double>, excitatory: [Bool], preparatoryStates: Matrix<Double>, readout: Matrix<Double>,
                readoutBias: [Double], tauMs: Double, f: RateNonlinearity, integrationStepMs: Double = 1) {
        self.weights = weights; self.excitatory = excitatory; self.preparatoryStates = preparatoryStates
        self.readout = readout; self.readoutBias = readoutBias; self.tauMs = tauMs; self.f = f
        self.integrationStepMs = integrationStepMs
    }

    public var neurons: Int { weights.rows }

    /// Validates the arrays of a circuit.npz.
    public init(archive a: NPZArchive, integrationStepMs: Double = 1) throws {
        let file = a.fileName
        let w = try a.matrix("W", dims: "[N,N]")
        let n = w.rows
        guard w.cols == n else { throw CircuitFitError("\(file): array 'W' has shape [\(w.rows), \(w.cols)] but must be square [N,N]") }
        let exc = try a.intVector("excitatory", count: n, dims: "[N]").map { $0 != 0 }
        let x0 = try a.matrix("x0", cols: n, dims: "[C,N]")
        let readout = try a.matrix("readout", cols: n, dims: "[K,N]")
        let bias = try a.vector("readout_bias", count: readout.rows, dims: "[K]")
        let tau = try a.scalar("tau_ms"), r0 = try a.scalar("r0_hz"), rmax = try a.scalar("rmax_hz")
        guard tau > 0, r0 > 0, rmax > r0 else {
            throw CircuitFitError("\(file): need tau_ms > 0 and 0 < r0_hz < rmax_hz, got \(tau), \(r0), \(rmax)")
        }
        guard integrationStepMs > 0 else { throw CircuitFitError("\(file): integration step must be > 0 ms, got \(integrationStepMs)") }
        for (name, m) in [("W", w), ("x0", x0), ("readout", readout)] where !m.data.allSatisfy({ $0.isFinite }) {
            throw CircuitFitError("\(file): array '\(name)' contains NaN or Inf")
        }
        self.init(weights: w, excitatory: exc, preparatoryStates: x0, readout: readout, readoutBias: bias,
                  tauMs: tau, f: RateNonlinearity(r0Hz: r0, rmaxHz: rmax), integrationStepMs: integrationStepMs)
    }

    /// Reads `folder/circuit.npz` (from `generate`, or an experiment's circuits/seed-s folder),
    /// taking the RK4 step from `folder/config.json` when it is there.
    public static func read(folder: URL) throws -> GroundTruthCircuit {
        let url = folder.appendingPathComponent("circuit.npz")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw CircuitFitError("\(folder.path): no circuit.npz (the ground truth); expected a folder written by `circuitfit generate` or an experiment's circuits/seed-S folder")
        }
        var step = 1.0, dt: Double? = nil
        let configURL = folder.appendingPathComponent("config.json")
        if let data = try? Data(contentsOf: configURL),
           let record = try? JSONDecoder().decode(RunRecord<CircuitConfig>.self, from: data) {
            step = record.config.integrationStepMs
            dt = record.config.dtMs
        }
        var circuit = try GroundTruthCircuit(archive: NPZArchive.read(from: url), integrationStepMs: step)
        circuit.dtMs = dt
        return circuit
    }

    /// The rate dynamics as a `RateNetwork` (τ in seconds).
    public var network: RateNetwork {
        RateNetwork(weights: weights, nonlinearity: .circuit(f), tauSeconds: tauMs / 1000)
    }

    /// The input that holds condition c at x0 during the preparatory epoch: x0 − W f(x0).
    public func holdingInput(condition c: Int) -> [Double] {
        let x0 = preparatoryStates.row(c)
        let r = x0.map { f($0) }
        let wr = matvec(weights, r)
        return zip(x0, wr).map { $0 - $1 }
    }
}

/// A perturbation of circuit neurons during the bins [`startBin`, `endBin`) (nil: from the go
/// cue, to the end): clamped neurons are held at `clampStates` (Hz; 0 = baseline), stimulated
/// neurons receive a constant input `inputsHz`.
public struct CircuitPerturbation: Sendable, Equatable {
    public var clampedNeurons: [Int] = []
    public var clampStates: [Double] = []
    public var stimulatedNeurons: [Int] = []
    public var inputsHz: [Double] = []
    public var startBin: Int? = nil
    public var endBin: Int? = nil
    public init(clampedNeurons: [Int] = [], clampStates: [Double] = [], stimulatedNeurons: [Int] = [], inputsHz: [Double] = [],
                startBin: Int? = nil, endBin: Int? = nil) {
        self.clampedNeurons = clampedNeurons; self.clampStates = clampStates
        self.stimulatedNeurons = stimulatedNeurons; self.inputsHz = inputsHz
        self.startBin = startBin; self.endBin = endBin
    }
}

extension GroundTruthCircuit {
    /// Simulates `conditions` once per perturbation as `generate` does (held at x0 for
    /// `preparatoryBins`, then RK4 with `integrationStepMs` for `movementBins` bins of `binMs`,
    /// rates averaged over each bin's step end points; f through the Float32 tanh, so the rates
    /// agree with generate's to ~10⁻⁵ Hz), with every perturbation acting in its window (default
    /// from the go cue on; it starts at a bin boundary at or after the go cue): a clamped
    /// neuron's x is set to its clamp state when the window opens and its dx/dt is 0 until it
    /// closes; a stimulated neuron's input is `inputsHz` inside the window. All runs are batched (one
    /// gemm per RK4 stage). Returns per perturbation the rates f(x) [C, T, N], Hz, and the
    /// states x at the end of each bin [C, T, N].
    public func simulate(
        conditions: [Int], perturbations: [CircuitPerturbation], preparatoryBins: Int, movementBins: Int, binMs: Double
    ) throws -> [(rates: Array3<Double>, states: Array3<Double>)] {
        let n = neurons, nC = conditions.count, P = perturbations.count, R = P * nC
        let stepsPerBin = Int((binMs / integrationStepMs).rounded())
        guard stepsPerBin >= 1, abs(Double(stepsPerBin) * integrationStepMs - binMs) < 1e-9 else {
            throw CircuitFitError("circuit simulation: the data step \(binMs) ms is not a whole number of RK4 steps of \(integrationStepMs) ms")
        }
        if let bad = conditions.first(where: { $0 < 0 || $0 >= preparatoryStates.rows }) {
            throw CircuitFitError("circuit simulation: condition \(bad) outside the circuit's \(preparatoryStates.rows) preparatory states")
        }
        var drive = Matrix<Double>(rows: R, cols: n)
        var frozen = [Bool](repeating: false, count: R * n)
        var x = Matrix<Double>(rows: R, cols: n)
        let bins = preparatoryBins + movementBins
        let windows = perturbations.map { ($0.startBin ?? preparatoryBins)..<max($0.endBin ?? Int.max, $0.startBin ?? preparatoryBins) }
        if let bad = windows.first(where: { $0.lowerBound < preparatoryBins }) {
            throw CircuitFitError("circuit perturbation: window starts at bin \(bad.lowerBound), before the go cue (bin \(preparatoryBins))")
        }
        for (pi, p) in perturbations.enumerated() {
            guard p.clampedNeurons.count == p.clampStates.count, p.stimulatedNeurons.count == p.inputsHz.count else {
                throw CircuitFitError("circuit perturbation: neuron and value lists differ in length")
            }
            if let bad = (p.clampedNeurons + p.stimulatedNeurons).first(where: { $0 < 0 || $0 >= n }) {
                throw CircuitFitError("circuit perturbation: neuron \(bad) outside 0..<\(n)")
            }
            for (ci, c) in conditions.enumerated() {
                for j in 0..<n { x[pi * nC + ci, j] = preparatoryStates[c, j] }
            }
        }
        var anyFrozen = false
        /// Opens (at its first bin) or closes (at its end bin) the windows that change at `bin`.
        func updateWindows(bin: Int, states xs: inout [Double]) {
            for (pi, p) in perturbations.enumerated() where windows[pi].lowerBound == bin || windows[pi].upperBound == bin {
                let open = windows[pi].contains(bin)
                for ci in 0..<nC {
                    let row = pi * nC + ci
                    for (j, v) in zip(p.clampedNeurons, p.clampStates) {
                        frozen[row * n + j] = open
                        if open { xs[row * n + j] = v }
                    }
                    for (j, s) in zip(p.stimulatedNeurons, p.inputsHz) { drive[row, j] += open ? s : -s }
                }
            }
            anyFrozen = frozen.contains(true)
        }
        let count = R * n
        let w = weights.data
        var r = [Double](repeating: 0, count: count), stage = r, k1 = r, k2 = r, k3 = r, k4 = r, sum = r
        // f for all rows at once through the vectorised Float32 tanh (relative error ≤ 3·10⁻⁷,
        // see RNNScalar): libm's Double tanh was a quarter of the audit's time
        var scaled = [Float](repeating: 0, count: count), squashed = scaled
        let negative = f.r0Hz, positive = f.rmaxHz - f.r0Hz
        func applyF(_ x: [Double], into y: inout [Double]) {
            for i in 0..<count { scaled[i] = Float(x[i] / (x[i] < 0 ? negative : positive)) }
            scaled.withUnsafeBufferPointer { sp in squashed.withUnsafeMutableBufferPointer { tp in Float.tanh(sp.baseAddress!, tp.baseAddress!, count: count) } }
            for i in 0..<count { y[i] = (x[i] < 0 ? negative : positive) * Double(squashed[i]) }
        }
        // d = (W f(state) − state + drive)/τ, one gemm for all rows; frozen entries 0
        func derivative(_ state: [Double], into d: inout [Double], ratesReady: Bool = false) {
            if !ratesReady { applyF(state, into: &r) }
            r.withUnsafeBufferPointer { rp in
                w.withUnsafeBufferPointer { wp in
                    d.withUnsafeMutableBufferPointer { dp in
                        Double.gemm(transA: false, transB: true, m: R, n: n, k: n, alpha: 1, a: rp.baseAddress!, lda: n,
                                    b: wp.baseAddress!, ldb: n, beta: 0, c: dp.baseAddress!, ldc: n)
                    }
                }
            }
            for i in 0..<count { d[i] = (d[i] - state[i] + drive.data[i]) / tauMs }
            if anyFrozen { for i in 0..<count where frozen[i] { d[i] = 0 } }
        }
        var rates = [Array3<Double>](repeating: Array3<Double>(nC, bins, n, repeating: 0), count: P)
        var states = rates
        for pi in 0..<P {
            for (ci, c) in conditions.enumerated() {
                for t in 0..<preparatoryBins {
                    for j in 0..<n {
                        rates[pi][ci, t, j] = f(preparatoryStates[c, j])
                        states[pi][ci, t, j] = preparatoryStates[c, j]
                    }
                }
            }
        }
        let h = integrationStepMs
        var xs = x.data
        var endRates = xs
        updateWindows(bin: preparatoryBins, states: &xs)
        applyF(xs, into: &endRates)           // f(x) at the current step end, reused by the next k1
        for bin in 0..<movementBins {
            if bin > 0 && windows.contains(where: { $0.lowerBound == preparatoryBins + bin || $0.upperBound == preparatoryBins + bin }) {
                updateWindows(bin: preparatoryBins + bin, states: &xs)
                applyF(xs, into: &endRates)
            }
            for i in 0..<count { sum[i] = 0 }
            for _ in 0..<stepsPerBin {
                r = endRates
                derivative(xs, into: &k1, ratesReady: true)
                for i in 0..<count { stage[i] = xs[i] + (h / 2) * k1[i] }
                derivative(stage, into: &k2)
                for i in 0..<count { stage[i] = xs[i] + (h / 2) * k2[i] }
                derivative(stage, into: &k3)
                for i in 0..<count { stage[i] = xs[i] + h * k3[i] }
                derivative(stage, into: &k4)
                for i in 0..<count { xs[i] += h / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]) }
                // bin average of f(x) over the step end points of this bin
                applyF(xs, into: &endRates)
                for i in 0..<count { sum[i] += endRates[i] }
            }
            let t = preparatoryBins + bin
            for pi in 0..<P {
                for ci in 0..<nC {
                    let row = (pi * nC + ci) * n
                    for j in 0..<n {
                        rates[pi][ci, t, j] = sum[row + j] / Double(stepsPerBin)
                        states[pi][ci, t, j] = xs[row + j]
                    }
                }
            }
        }
        x.data = xs
        guard x.data.allSatisfy({ $0.isFinite }) else { throw CircuitFitError("circuit simulation produced NaN/Inf rates") }
        return (0..<P).map { (rates[$0], states[$0]) }
    }

    /// Muscle outputs readout·r + bias [C, T, K] of rates [C, T, N].
    public func outputs(_ rates: Array3<Double>) -> Array3<Double> {
        let r = Matrix(rows: rates.d0 * rates.d1, cols: rates.d2, data: rates.data)
        var z = matmul(r, readout, transposeB: true)
        for i in 0..<z.rows { for k in 0..<readout.rows { z[i, k] += readoutBias[k] } }
        return Array3(rates.d0, rates.d1, readout.rows, data: z.data)
    }
}
