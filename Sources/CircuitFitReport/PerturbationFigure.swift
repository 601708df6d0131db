import Foundation
import CircuitFitCore

/// The audit's perturbation test as a scatter, one panel per fit: every perturbed set's true
/// change in the circuit's muscles (x) against the model's predicted change (y), both as ‖Δz‖,
/// one marker style per group (silence/stimulate × E/I), the identity line dashed. All panels
/// share their axes (logarithmic: the sizes span decades).
enum PerturbationFigure {
    /// `heldOut`: the dataset's held-out perturbation sets predicted by fits in an experiment
    /// (docs/method.md#predicting-perturbations) rather than the audit's protocol.
    static func figure(_ scatters: [PerturbationScatter], heldOut: Bool = false) -> ReportFigure? {
        let scatters = scatters.filter { !$0.points.isEmpty }
        guard !scatters.isEmpty else { return nil }
        var skipped = SkippedValues()
        let values = scatters.flatMap { $0.points.flatMap { [$0.trueEffect, $0.predictedEffect] } }.filter { $0.isFinite && $0 > 0 }
        guard let low = values.min(), let high = values.max() else { return nil }
        let range = [low, high]
        let xAxis = PlotAxis.log(label: heldOut ? "true output change ‖Δz‖ (dataset)" : "true muscle change ‖Δz‖ (circuit)", covering: range)
        let yAxis = PlotAxis.log(label: heldOut ? "predicted output change ‖Δẑ‖ (model)" : "predicted muscle change ‖Δz‖ (model)", covering: range)
        let groups = unique(scatters.flatMap { $0.points.map(\.group) })
        let columns = min(3, scatters.count)
        let width = (FigureLayout.figureWidth / Double(max(2, columns))).rounded(.down)
        let diagonal = [low, high]
        let panels = scatters.map { scatter -> PlotPanel in
            var marks: [PlotMark] = [.line(x: diagonal, y: diagonal, style: SeriesStyle(color: "#444444", dash: "5 3", marker: .none, lineWidth: 1.4), markers: false)]
            for (g, group) in groups.enumerated() {
                let points = scatter.points.filter { $0.group == group }
                for p in points where !(p.trueEffect.isFinite && p.trueEffect > 0 && p.predictedEffect.isFinite && p.predictedEffect > 0) {
                    skipped.add("\(scatter.label), \(group): \(ReportFormat.significant(p.trueEffect)) → \(ReportFormat.significant(p.predictedEffect))")
                }
                if !points.isEmpty {
                    marks.append(.scatter(x: points.map(\.trueEffect), y: points.map(\.predictedEffect), style: SpectrumFigure.style(g)))
                }
            }
            let r2 = scatter.muscleR2.map { ", \(heldOut ? "output" : "muscle") R² \(ReportFormat.significant($0, digits: 2))" } ?? ""
            return PlotPanel(title: scatter.label + r2, x: xAxis, y: yAxis, marks: marks, width: width, height: 430)
        }
        let legend = groups.enumerated().map { g, group in LegendEntry(group, .marker(SpectrumFigure.style(g))) }
            + [LegendEntry("prediction = truth", .rule(color: "#444444", dash: "5 3"))]
        if heldOut {
            var caption = "Held-out perturbation sets, predicted against true, one panel per fit (the first seed; the same M, one panel per P): each marker is one set of recorded neurons no fit trained on, perturbed as the dataset's table says (silenced: clamped to baseline, or stimulated: a step input) in every fit condition; x the size of the true change in the outputs, y the size of the change the model predicts when its tied units get the same perturbation, both ‖Δz‖ over the fit conditions, from the window's start to the end of the trial, and the outputs."
            caption += " Points on the dashed line have the right size; the R² in each title (mean over the held-out sets) also needs the right shape and sign (docs/method.md#predicting-perturbations). Shared logarithmic axes."
            caption += skipped.sentence(reason: "not positive or not finite")
            let svg = SVGFigure(title: "Held-out perturbation effects, predicted against true", panels: panels, columns: max(2, columns), legend: legend)
            return ReportFigure(figure: svg, caption: caption, numbersTable: nil)
        }
        var caption = "Perturbation effects predicted against true, one panel per fit: each marker is one seeded set of recorded neurons silenced (clamped to baseline) or stimulated (a step input) during the movement epoch, x the size of the circuit's change in its muscles, y the size of the change the model predicts when its tied units (or, for task-only fits, random units of the same type and count) get the same perturbation; both ‖Δz‖ over the training conditions, movement steps and muscles."
        caption += " Points on the dashed line have the right size; the R² in each title also needs the right shape and sign (docs/method.md § Perturbation protocol). Shared logarithmic axes."
        caption += skipped.sentence(reason: "not positive or not finite")
        let svg = SVGFigure(title: "Perturbation effects, predicted against true", panels: panels, columns: max(2, columns), legend: legend)
        return ReportFigure(figure: svg, caption: caption, numbersTable: nil)
    }
}
