import Foundation
import CircuitFitCore
import CircuitFitReport

extension ExperimentReport {
    /// A report filled with synthetic numbers shaped like the expected results (seeded, so always
    /// the same): for tests and for checking the page by eye. Not results of any fit.
    public static func sample() -> ExperimentReport {
        var random = SeededRandom(seed: 2020)
        let ms = [0, 2, 5, 10, 20, 50, 100, 200]
        let seeds = 10

        // (metric, plain λ=0 level, priors λ=0 level, total gain with the neural term, M scale,
        //  IQR half-width at M = 0), gain signed in the metric's "better" direction.
        let shapes: [(String, Double, Double, Double, Double, Double)] = [
            ("CCA mean (top 10)", 0.72, 0.78, 0.22, 15, 0.035),
            ("Procrustes angular distance (rad)", 0.95, 0.85, -0.6, 20, 0.06),
            ("held-out-neuron R²", 0.45, 0.52, 0.42, 18, 0.05),
            ("output NMSE, held-out conditions", 0.061, 0.048, -0.012, 10, 0.012),
        ]
        var curves: [SimilarityCurve] = []
        var taskOnly: [String: [TaskOnlyReference]] = [:]
        for arm in ["plain", "priors"] {
            for lambda in [0.0, 1.0] {
                for (metric, plainLevel, priorsLevel, gain, scale, spread) in shapes {
                    let base = arm == "plain" ? plainLevel : priorsLevel
                    // The priors arm gets less from the neural term on the output error (claim 3 fails there).
                    let effect = arm == "priors" ? gain * (metric.hasPrefix("output") ? 0.1 : 0.8) : gain
                    let points = ms.map { m -> CurvePoint in
                        let rise = lambda == 0 ? 0 : 1 - exp(-Double(m) / scale)
                        let median = base + effect * rise + 0.15 * spread * random.normal()
                        let half = spread * (0.5 + 0.5 * exp(-Double(m) / 50)) * random.uniform(0.8, 1.2)
                        let values = (0..<seeds).map { _ in median + half * 1.4 * random.normal() }
                        return CurvePoint(
                            recorded: m, median: median, lowerQuartile: median - half * random.uniform(0.7, 1.1),
                            upperQuartile: median + half * random.uniform(0.7, 1.1), seeds: seeds, values: values)
                    }
                    if lambda == 0 {
                        // Task-only fits do not depend on M: one reference over all of them.
                        let medians = points.map(\.median).sorted()
                        taskOnly[metric, default: []].append(TaskOnlyReference(
                            arm: arm, median: medians[medians.count / 2], lowerQuartile: medians[1] - spread, upperQuartile: medians[medians.count - 2] + spread,
                            fits: seeds * ms.count))
                    } else {
                        curves.append(SimilarityCurve(arm: arm, lambda: lambda, metric: metric, points: points))
                    }
                }
            }
        }
        let metrics = [
            MetricInfo(metric: "CCA mean (top 10)", armFloors: [ArmFloor(arm: "plain", value: 0.55), ArmFloor(arm: "priors", value: 0.62)], direction: .higherIsBetter, taskOnly: taskOnly["CCA mean (top 10)"] ?? []),
            MetricInfo(metric: "Procrustes angular distance (rad)", untrainedFloor: 1.25, direction: .lowerIsBetter, taskOnly: taskOnly["Procrustes angular distance (rad)"] ?? []),
            MetricInfo(metric: "held-out-neuron R²", untrainedFloor: 0.15, direction: .higherIsBetter, taskOnly: taskOnly["held-out-neuron R²"] ?? []),
            MetricInfo(metric: "output NMSE, held-out conditions", untrainedFloor: 4.7, direction: .lowerIsBetter, taskOnly: taskOnly["output NMSE, held-out conditions"] ?? []),
        ]

        let claims = [
            ClaimResult(id: "1 plain", statement: "Standard training (λ = 0) fits the outputs, but its dynamics similarity to the circuit is lower than with the neural term.",
                        numbers: "CCA mean 0.72 (λ = 0) vs 0.92 (λ = 1) at M = 20; training NMSE 0.011 (λ = 0)",
                        medianIQR: "Δ = 0.20 [0.17, 0.23]", testStatistic: "Wilcoxon signed-rank, one-sided, W+ = 55, n = 10 (exact)", pValue: 0.000977, holds: true),
            ClaimResult(id: "2 plain", statement: "With the neural term, similarity is already high for a few percent of N and rises with M.",
                        numbers: "CCA mean 0.86 at M = 10 (5% of N), 0.94 at M = 200",
                        medianIQR: "Δ(200 − 10) = 0.08 [0.06, 0.10]", testStatistic: "Wilcoxon signed-rank, one-sided, W+ = 53, n = 10 (exact)", pValue: 0.00293, holds: true),
            ClaimResult(id: "3 plain", statement: "The neural term lowers the output error on held-out conditions.",
                        numbers: "held-out NMSE 0.061 (λ = 0) vs 0.049 (λ = 1) at M = 20",
                        medianIQR: "Δ = −0.011 [−0.019, −0.004]", testStatistic: "Wilcoxon signed-rank, one-sided, W+ = 49, n = 10 (exact)", pValue: 0.0137, holds: true),
            ClaimResult(id: "1 priors", statement: "Claim 1 within the arm with biological priors.",
                        numbers: "CCA mean 0.78 (λ = 0) vs 0.95 (λ = 1) at M = 20",
                        medianIQR: "Δ = 0.17 [0.14, 0.20]", testStatistic: "Wilcoxon signed-rank, one-sided, W+ = 55, n = 10 (exact)", pValue: 0.000977, holds: true),
            ClaimResult(id: "3 priors", statement: "Claim 3 within the arm with biological priors.",
                        numbers: "held-out NMSE 0.048 (λ = 0) vs 0.047 (λ = 1) at M = 20",
                        medianIQR: "Δ = −0.001 [−0.006, 0.004]", testStatistic: "Wilcoxon signed-rank, one-sided, W+ = 33, n = 10 (exact)", pValue: 0.38, holds: false),
            ClaimResult(id: "across arms", statement: "Priors with M = 10 recorded neurons beat plain task-only training in similarity.",
                        numbers: "CCA mean 0.90 (priors, λ = 1, M = 10) vs 0.72 (plain, λ = 0)",
                        medianIQR: "Δ = 0.18 [0.15, 0.21]", testStatistic: "Wilcoxon signed-rank, one-sided, W+ = 55, n = 10 (exact)", pValue: 0.000977, holds: true),
        ]

        let report = ExperimentReport(
            title: "CircuitFit experiment: sparse neural data constrain RNN dynamics (synthetic sample)",
            version: CircuitFitVersion.string, created: "2026-01-15T10:42:00Z", wallTimeSeconds: 7384,
            configuration: [
                ConfigurationEntry("seeds", "10"),
                ConfigurationEntry("circuit.neurons", "200"),
                ConfigurationEntry("circuit.tau_ms", "200"),
                ConfigurationEntry("record", "0, 2, 5, 10, 20, 50, 100, 200"),
                ConfigurationEntry("lambda", "0, 1"),
                ConfigurationEntry("mapping", "identity"),
                ConfigurationEntry("model.units", "200"),
                ConfigurationEntry("model.tau_ms", "50"),
                ConfigurationEntry("model.dtMs", "5"),
                ConfigurationEntry("optimizer", "Adam, learning rate 2e-3, gradient-norm clip 1"),
                ConfigurationEntry("iterations", "3000"),
                ConfigurationEntry("arms", "plain; priors (β_r = 1e-2, weight L2 = 1e-4, Dale's law)"),
            ],
            commandLine: "circuitfit experiment --out runs/paper --seeds 10 --record 0,2,5,10,20,50,100,200 --lambda 0,1 --iterations 3000 --jobs 2",
            curves: curves, metrics: metrics, claims: claims,
            traces: [sampleTraces(&random, angle: 22.5), sampleTraces(&random, angle: 67.5)], overlays: sampleOverlays(&random),
            spectra: sampleSpectra(&random),
            notes: [
                "Synthetic sample data for checking the layout of the report: these are not results.",
                "Claim 3 does not hold in the arm with biological priors in these numbers (p = 0.38).",
            ])
        return report
    }

    private static func sampleTraces(_ random: inout SeededRandom, angle: Double) -> OutputTraces {
        let times = stride(from: -100.0, through: 500.0, by: 5.0).map { $0 }
        func bump(_ t: Double, _ centre: Double, _ width: Double) -> Double { exp(-0.5 * pow((t - centre) / width, 2)) }
        let shapes: [[(Double, Double, Double)]] = [
            [(90, 40, 1.0), (230, 60, -0.6)],
            [(60, 30, 0.7), (160, 45, 0.9), (320, 70, -0.4)],
            [(140, 50, -0.8), (280, 60, 0.6)],
        ]
        let muscles = shapes.enumerated().map { k, bumps -> MuscleTrace in
            let target = times.map { t in t < 0 ? 0.1 : 0.1 + bumps.reduce(0) { $0 + $1.2 * bump(t, $1.0, $1.1) } }
            let phase = random.uniform(0, 6.28), phase2 = random.uniform(0, 6.28)
            let taskOnly = zip(times, target).map { t, y in y + 0.09 * sin(t / 70 + phase) * (t < 0 ? 0.2 : 1) }
            let withNeural = zip(times, target).map { t, y in y + 0.04 * sin(t / 55 + phase2) * (t < 0 ? 0.2 : 1) }
            return MuscleTrace(name: "muscle \(k + 1)", target: target, outputs: [
                LabelledSeries(label: "λ = 0, M = 20", values: taskOnly),
                LabelledSeries(label: "λ = 1, M = 20", values: withNeural),
            ])
        }
        return OutputTraces(condition: "θ = \(angle)°", timesMs: times, goTimeMs: 0,
                            valueLabel: "muscle output (a.u.)", muscles: muscles)
    }

    /// The model's trajectories as an alignment would leave them: the circuit's, slightly warped.
    private static func sampleOverlays(_ random: inout SeededRandom) -> [TrajectoryOverlay] {
        let sets = sampleTrajectories(&random)
        let circuit = sets[0]
        return [(0.35, "model, λ = 0 (task only)", 0.62, 0.41), (0.1, "model, λ = 1, M = 20", 0.91, 0.83)].map { warp, label, r2, heldR2 in
            TrajectoryOverlay(
                label: label, reference: "circuit (200 neurons)", unit: "Hz",
                alignment: "rotation and one scale from the model's top 10 PCs to the circuit's, fitted on the training conditions",
                alignedR2Train: r2, alignedR2HeldOut: heldR2, varianceExplained: circuit.varianceExplained,
                conditions: circuit.conditions.map { condition in
                    OverlayCondition(angle: condition.angle, heldOut: condition.heldOut, reference: condition.points, model: condition.points.enumerated().map { t, p in
                        PCPoint(p.pc1 * (1 + warp * sin(Double(t) / 17)), p.pc2 * (1 - warp * 0.5), p.pc3 + 30 * warp * cos(Double(t) / 23))
                    })
                })
        }
    }

    private static func sampleTrajectories(_ random: inout SeededRandom) -> [TrajectorySet] {
        func system(label: String, unit: String, scale: Double, warp: Double, explained: [Double], _ random: inout SeededRandom) -> TrajectorySet {
            let conditions = (0..<16).map { c -> ConditionTrajectory in
                let heldOut = c % 2 == 1
                let angle = 2 * Double.pi * Double(c) / 16
                var points: [PCPoint] = []
                for step in 0..<120 {
                    let t = max(0, Double(step - 20)) * 5  // ms after the go cue; 100 ms preparation
                    let amplitude = 1 + 2.2 * (t / 180) * exp(1 - t / 180)
                    let phase = angle + t / 160
                    let pc1 = scale * amplitude * cos(phase) * (1 + warp * cos(2 * angle))
                    let pc2 = scale * amplitude * sin(phase)
                    let pc3 = scale * 0.45 * (amplitude - 1) * cos(phase - angle + warp)
                    points.append(PCPoint(pc1, pc2, pc3))
                }
                return ConditionTrajectory(angle: angle, heldOut: heldOut, points: points)
            }
            return TrajectorySet(label: label, unit: unit, varianceExplained: explained, conditions: conditions)
        }
        return [
            system(label: "circuit", unit: "Hz", scale: 40, warp: 0, explained: [0.41, 0.33, 0.11], &random),
            system(label: "model, λ = 1, M = 20", unit: "a.u.", scale: 2.5, warp: 0.15, explained: [0.44, 0.30, 0.09], &random),
        ]
    }

    private static func sampleSpectra(_ random: inout SeededRandom) -> [EigenvalueSpectrum] {
        var circuit: [ComplexValue] = []
        for _ in 0..<100 {
            let re = -0.9 - abs(random.normal(mean: 0, sd: 2.2))
            let im = random.normal(mean: 0, sd: 1.8)
            circuit += [ComplexValue(re, im), ComplexValue(re, -im)]
        }
        var model: [ComplexValue] = []
        for _ in 0..<100 {
            let radius = 1.2 * random.uniform().squareRoot(), angle = random.uniform(0, Double.pi)
            model += [ComplexValue(-1 + radius * cos(angle), radius * sin(angle)), ComplexValue(-1 + radius * cos(angle), -radius * sin(angle))]
        }
        return [
            EigenvalueSpectrum(label: "circuit: W − I", unit: "1/τ", eigenvalues: circuit),
            EigenvalueSpectrum(label: "model, λ = 1, M = 20: J·diag(φ′) − I", unit: "1/τ_model", eigenvalues: model),
        ]
    }
}
