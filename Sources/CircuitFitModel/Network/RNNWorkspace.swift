import CircuitFitCore

/// Preallocated buffers for fitting one model (`RNNSpec`) to one set of conditions
/// (`TrainingData`): the data, the forward caches and the gradients, all time-major
/// ([T, C, ·], so step t of every condition is one contiguous [C, ·] block).
///
/// Allocated once; the forward and backward passes (Recurrence.swift, Readout.swift and
/// Training/*Loss.swift) only read and write these buffers, never allocate. Generic so that the
/// same code runs in Float32 (training) and Float64 (finite-difference gradient checks).
final class RNNWorkspace<Scalar: RNNScalar> {
    typealias Pointer = UnsafeMutablePointer<Scalar>

    // sizes: steps, conditions, units, inputs, outputs, recorded neurons
    let T: Int, C: Int, H: Int, I: Int, K: Int, M: Int
    let alpha: Scalar
    let layout: ParameterLayout
    let mapping: NeuralMapping
    /// identity mapping: model unit of recorded neuron m, [M]
    let units: [Int]

    // fixed structure
    let sign: Pointer?          // [H] Dale's law: +1 excitatory, −1 inhibitory presynaptic unit
    let mask: Pointer?          // [H, H] connectivity mask

    // data
    let u: Pointer              // u[t, c, :]   [T, C, I]
    let zStar: Pointer          // z*[t, c, :]  [T, C, K]
    let yStar: Pointer          // y*[t, c, :]  [T, C, M], NaN = missing sample
    let w: Pointer              // w[t]         [T] time weights of the task loss
    let driven: [Bool]          // [T−1] some input of step t is non-zero (else B u[t] = 0: xin[t] = b)
    let taskWeight: Pointer     // [K] 1 / (K · C · Σ_t w_t · var_k): L_task = Σ w_t taskWeight_k (z − z*)²
    let neuralWeight: Pointer   // [M] 1 / (M' · P_m · var_m), 0 for a neuron without samples
    let outputVariance: [Double] // [K] var_k, also the scale of the readout penalty
    let neuralCount: Int        // present samples of y*
    let perturbation: PerturbationSchedule<Scalar>  // clamps and currents of perturbation trials (empty: none)

    // noise
    let noiseSD: Double
    let noise: Pointer?         // α σ ξ[t, c, :]  [T−1, C, H]

    // forward caches
    let J: Pointer              // effective J [H, H]
    let JT: Pointer             // Jᵀ [H, H], so the forward step is a plain (NN) gemm
    let xin: Pointer            // B u[t, c, :] + b  [T−1, C, H]
    let h: Pointer              // h[t, c, :]  [T, C, H]
    let r: Pointer              // r[t, c, :] = tanh(h[t, c, :])  [T, C, H]
    let z: Pointer              // z[t, c, :] = C r + d  [T, C, K]
    let y: Pointer              // y[t, c, :] = D r + e  [T, C, M] (linear mapping)

    // backward
    let dz: Pointer             // [T, C, K]
    let dy: Pointer             // [T, C, M]
    let dr: Pointer             // [T, C, H]
    let dh: Pointer             // [T, C, H]
    let dJ: Pointer             // ∂L/∂(effective J) [H, H]

    // tangents along a parameter direction v (Gauss-Newton products, GaussNewton.swift)
    let JDot: Pointer           // J̇, effective [H, H]
    let hDot: Pointer           // ḣ[t, c, :]  [T, C, H]
    let rDot: Pointer           // ṙ[t, c, :] = (1 − r²) ḣ  [T, C, H]
    let zDot: Pointer           // ż  [T, C, K]
    let yDot: Pointer           // ẏ  [T, C, M] (linear mapping)

    private var owned: [(Pointer, Int)] = []

    init(spec: RNNSpec, data: TrainingData) throws {
        try spec.validate()
        try data.check(against: spec)
        T = data.steps; C = data.conditions.count; H = spec.hidden
        I = spec.inputs; K = spec.outputs; M = spec.recorded
        alpha = Scalar(spec.alpha)
        layout = spec.layout
        mapping = spec.mapping
        units = spec.recordedUnits
        noiseSD = spec.noiseSD

        var owned: [(Pointer, Int)] = []
        func buffer(_ count: Int) -> Pointer {
            let p = Pointer.allocate(capacity: max(count, 1))
            p.initialize(repeating: 0, count: max(count, 1))
            owned.append((p, max(count, 1)))
            return p
        }
        func buffer(_ values: [Float]) -> Pointer {
            let p = buffer(values.count)
            for i in 0..<values.count { p[i] = Scalar(values[i]) }
            return p
        }
        let (T, C, H, K, M) = (self.T, self.C, self.H, self.K, self.M)
        sign = spec.excitatory.map { exc in buffer(exc.map { $0 ? 1 : -1 }) }
        mask = spec.connectivityMask.map { buffer($0) }
        u = buffer(data.inputs)
        zStar = buffer(data.targets)
        yStar = buffer(data.neural)
        w = buffer(data.timeMask)
        let I = spec.inputs
        driven = (0..<max(T - 1, 0)).map { t in (0..<(C * I)).contains { data.inputs[t * C * I + $0] != 0 } }
        let steps = data.timeMask.reduce(0) { $0 + Double($1) }
        outputVariance = data.outputVariance
        taskWeight = buffer(data.outputVariance.map { Float(1 / (Double(K * C) * steps * $0)) })
        // present samples per neuron, P_m; M' = neurons with at least one
        var present = [Int](repeating: 0, count: M)
        for (i, v) in data.neural.enumerated() where !v.isNaN { present[i % M] += 1 }
        let neuronsWithSamples = Double(present.filter { $0 > 0 }.count)
        neuralWeight = buffer((0..<M).map { m in
            present[m] == 0 ? 0 : Float(1 / (neuronsWithSamples * Double(present[m]) * data.neuralVariance[m]))
        })
        neuralCount = present.reduce(0, +)
        perturbation = PerturbationSchedule(data.perturbations, hidden: H, alpha: Scalar(spec.alpha))
        noise = spec.noiseSD > 0 ? buffer((T - 1) * C * H) : nil
        J = buffer(H * H)
        JT = buffer(H * H)
        xin = buffer((T - 1) * C * H)
        h = buffer(T * C * H)
        r = buffer(T * C * H)
        z = buffer(T * C * K)
        y = buffer(T * C * M)
        dz = buffer(T * C * K)
        dy = buffer(T * C * M)
        dr = buffer(T * C * H)
        dh = buffer(T * C * H)
        dJ = buffer(H * H)
        JDot = buffer(H * H)
        hDot = buffer(T * C * H)
        rDot = buffer(T * C * H)
        zDot = buffer(T * C * K)
        yDot = buffer(T * C * M)
        self.owned = owned
    }

    deinit {
        for (p, n) in owned {
            p.deinitialize(count: n)
            p.deallocate()
        }
    }

    /// Draws fresh recurrent noise α σ ξ[t, c, :] (ξ ~ N(0, 1)) for the next forward passes;
    /// does nothing when the noise is off. The forward pass never draws: evaluations between two
    /// draws see the same noise (finite differences rely on this).
    func drawNoise(_ rng: inout SeededRandom) {
        guard let noise else { return }
        let s = Double(alpha) * noiseSD
        let ziggurat = Ziggurat.shared
        for i in 0..<((T - 1) * C * H) { noise[i] = Scalar(s * ziggurat.normal(&rng)) }
    }

    /// Sets the noise to zero (deterministic evaluation).
    func clearNoise() {
        guard let noise else { return }
        noise.update(repeating: 0, count: max((T - 1) * C * H, 1))
    }
}
