import CircuitFitCore

/// Model trajectories aligned to the reference population's and drawn over them: one row per
/// model, columns PC1–PC2 and PC1–PC3 of the training conditions and PC1–PC2 of the held-out
/// conditions. The reference (circuit, or the recorded neurons) is solid, the aligned model
/// dashed in the same colour (the condition's reach angle, cyclic map); a circle marks each
/// start. All panels of one projection share their axes, so rows compare directly.
enum OverlayFigure {
    static func figure(_ overlays: [TrajectoryOverlay]) -> ReportFigure? {
        let overlays = overlays.filter { !$0.conditions.isEmpty }
        guard !overlays.isEmpty else { return nil }
        var skipped = SkippedValues()
        let anyHeldOut = overlays.contains { $0.conditions.contains(where: \.heldOut) }
        let views: [(String, KeyPath<PCPoint, Double>, KeyPath<PCPoint, Double>, String, String, Bool)] = [
            ("training conditions", \.pc1, \.pc2, "PC1", "PC2", false),
            ("training conditions", \.pc1, \.pc3, "PC1", "PC3", false),
        ] + (anyHeldOut ? [("held-out conditions", \PCPoint.pc1, \PCPoint.pc2, "PC1", "PC2", true)] : [])
        let columns = views.count
        let size = (FigureLayout.figureWidth / Double(columns)).rounded(.down)
        // Shared axes per view, over every overlay (reference and model).
        let axes = views.map { view -> (PlotAxis, PlotAxis) in
            var xs: [Double] = [], ys: [Double] = []
            for overlay in overlays {
                for condition in overlay.conditions where condition.heldOut == view.5 {
                    for p in condition.reference + condition.model { xs.append(p[keyPath: view.1]); ys.append(p[keyPath: view.2]) }
                }
            }
            let unit = overlays[0].unit
            return (PlotAxis.linear(label: "\(label(view.3, overlays[0])) (\(unit))", covering: xs, maxTicks: 6),
                    PlotAxis.linear(label: "\(label(view.4, overlays[0])) (\(unit))", covering: ys, maxTicks: 6))
        }
        var panels: [PlotPanel] = []
        for overlay in overlays {
            for (c, condition) in overlay.conditions.enumerated() {
                for (t, p) in (condition.reference + condition.model).enumerated() where !(p.pc1.isFinite && p.pc2.isFinite && p.pc3.isFinite) {
                    skipped.add("\(overlay.label), condition \(c + 1), point \(t)")
                }
            }
            for (v, view) in views.enumerated() {
                var marks: [PlotMark] = []
                for condition in overlay.conditions where condition.heldOut == view.5 {
                    let color = condition.angle.isFinite ? ColorPalette.cyclic(angle: condition.angle) : ColorPalette.grey
                    let reference = SeriesStyle(color: color, marker: .none, lineWidth: 3.2)
                    let model = SeriesStyle(color: color, dash: "7 4", marker: .none, lineWidth: 2.2)
                    marks.append(.line(x: condition.reference.map { $0[keyPath: view.1] }, y: condition.reference.map { $0[keyPath: view.2] }, style: reference, markers: false))
                    marks.append(.line(x: condition.model.map { $0[keyPath: view.1] }, y: condition.model.map { $0[keyPath: view.2] }, style: model, markers: false))
                    if let start = condition.reference.first {
                        marks.append(.scatter(x: [start[keyPath: view.1]], y: [start[keyPath: view.2]], style: TrajectoryFigure.startStyle(color)))
                    }
                }
                var title = "\(overlay.label), \(view.5 ? "held out" : "training")"
                let r2 = view.5 ? overlay.alignedR2HeldOut : overlay.alignedR2Train
                if let r2, r2.isFinite { title += ": R² \(ReportFormat.figureNumber(r2, decimals: 2))" }
                panels.append(PlotPanel(title: title, x: axes[v].0, y: axes[v].1, marks: marks, width: size, height: size))
            }
        }
        let legend = [
            LegendEntry("reach angle θ", .angleWheel),
            LegendEntry(overlays[0].reference, .series(SeriesStyle(color: "#555555", marker: .none, lineWidth: 3.2), band: false)),
            LegendEntry("model, aligned", .series(SeriesStyle(color: "#555555", dash: "7 4", marker: .none, lineWidth: 2.2), band: false)),
            LegendEntry("start (preparatory state)", .marker(TrajectoryFigure.startStyle("#FFFFFF"))),
        ]
        var caption = "Population trajectories of the models drawn over those of the \(overlays[0].reference), in the \(overlays[0].reference)'s top principal components (PCs): "
        caption += overlays.enumerated().map { i, o in
            "\(CurveFigure.letter(columns * i))–\(CurveFigure.letter(columns * i + columns - 1)), \(o.label)"
        }.joined(separator: "; ") + "."
        caption += " Solid: \(overlays[0].reference); dashed: the model after alignment (\(overlays[0].alignment)). Colour: reach angle (cyclic colour map, legend); circle: start of the reference's trajectory."
        caption += " Columns: training conditions in PC1–PC2 and PC1–PC3, held-out conditions in PC1–PC2; panels of one column share their axes. R² in the titles: the fraction of the reference's variance in its top PCs that the aligned model explains (it can be negative: the scale is matched, not fitted)"
        caption += anyHeldOut ? " (the alignment is fitted on the training conditions only, so the held-out column tests it)." : "."
        caption += skipped.sentence()
        let svg = SVGFigure(title: "Aligned population trajectories", panels: panels, columns: columns, legend: legend)
        return ReportFigure(figure: svg, caption: caption, numbersTable: nil)
    }

    /// "PC1, 42% var." from the reference's explained variance.
    private static func label(_ name: String, _ overlay: TrajectoryOverlay) -> String {
        guard let index = Int(name.dropFirst(2)).map({ $0 - 1 }), let explained = overlay.varianceExplained,
              index < explained.count, explained[index].isFinite else { return name }
        return name + ", " + ReportFormat.fixed(100 * explained[index], decimals: 0) + "% var."
    }
}
