import CircuitFitCore

/// The held-out perturbations' prediction against the number of training perturbation sets P:
/// one panel per arm (shared y axis), one line per M (median and IQR over seeds), every seed's
/// value as a small point. P = 0 stands left of the axis break, P > 0 on a log scale.
enum PerturbationGainFigure {
    static func figure(_ curves: [PerturbationGainCurve]) -> ReportFigure? {
        let curves = curves.filter { !$0.points.isEmpty }
        guard !curves.isEmpty else { return nil }
        var skipped = SkippedValues()
        let ps = curves.flatMap { $0.points.map { Double($0.sets) } }
        let xAxis: PlotAxis = ps.contains(0)
            ? .logWithZero(label: "training perturbation sets P", covering: ps)
            : .log(label: "training perturbation sets P", covering: ps)
        let yValues = curves.flatMap { $0.points.flatMap { [$0.median, $0.lowerQuartile, $0.upperQuartile] + $0.values } }.filter(\.isFinite)
        let yAxis = PlotAxis.linear(label: "held-out perturbation output R²", covering: yValues + [0], maxTicks: 7)
        let arms = unique(curves.map(\.arm))
        let ms = unique(curves.map(\.recorded)).sorted()
        let width = (FigureLayout.figureWidth / Double(max(2, arms.count))).rounded(.down)
        let panels = arms.map { arm -> PlotPanel in
            var marks: [PlotMark] = [.horizontalRule(y: 0, color: ColorPalette.grey, dash: "5 4", label: nil)]
            let armCurves = curves.filter { $0.arm == arm }
            for (k, curve) in armCurves.enumerated() {
                let rank = ms.firstIndex(of: curve.recorded) ?? 0
                let style = CurveFigure.style(rank: rank)
                let dodge = armCurves.count > 1 ? (Double(k) - Double(armCurves.count - 1) / 2) * 8 : 0
                let points = curve.points.sorted { $0.sets < $1.sets }
                var seedX: [Double] = [], seedY: [Double] = [], offsets: [Double] = []
                for p in points {
                    for v in p.values where !v.isFinite { skipped.add("\(arm), M = \(curve.recorded), P = \(p.sets): \(v)") }
                    let values = p.values.filter(\.isFinite)
                    seedX += Array(repeating: Double(p.sets), count: values.count)
                    seedY += values
                    offsets += CurveFigure.spread(values.count, around: dodge)
                }
                if !seedY.isEmpty { marks.append(.scatter(x: seedX, y: seedY, style: CurveFigure.seedStyle(style), offsets: offsets)) }
                let shown = points.filter { $0.median.isFinite }
                marks.append(.summary(SummarySeries(
                    x: shown.map { Double($0.sets) }, median: shown.map(\.median),
                    lower: shown.map(\.lowerQuartile), upper: shown.map(\.upperQuartile), style: style, dodge: dodge)))
            }
            return PlotPanel(title: arm, x: xAxis, y: yAxis, marks: marks, width: width, height: 430)
        }
        let legend = ms.enumerated().map { LegendEntry("M = \($0.element): median, IQR, seeds", .series(CurveFigure.style(rank: $0.offset), band: true)) }
            + [LegendEntry("R² = 0 (no better than predicting no change)", .rule(color: ColorPalette.grey, dash: "5 4"))]
        let lambdas = unique(curves.map(\.lambda)).map { ReportFormat.plain($0) }.joined(separator: ", ")
        var caption = "Prediction of perturbations no fit trained on, against the number of training perturbation sets P (λ = \(lambdas)): y is the R² of the predicted against the true change in the outputs, averaged over the dataset's held-out sets, for each fit (small translucent points: one per seed); lines: the median over seeds, one per number of recorded neurons M; bands or error bars: the interquartile range."
        if arms.count > 1 { caption += " One panel per training arm, shared y axis." }
        if xAxis.scale == .logWithZero { caption += " P = 0 (no perturbation trials) stands left of the axis break; P > 0 on a log scale." }
        caption += " Higher is better (docs/method.md#predicting-perturbations)."
        caption += skipped.sentence(reason: "not finite")
        let svg = SVGFigure(title: "Held-out perturbations against the number of training sets", panels: panels, columns: max(2, panels.count), legend: legend)
        return ReportFigure(figure: svg, caption: caption, numbersTable: table(curves, arms: arms, ms: ms))
    }

    /// One row per P, one column per (arm, M): "median [Q1, Q3] (n)".
    private static func table(_ curves: [PerturbationGainCurve], arms: [String], ms: [Int]) -> String {
        let columns = arms.flatMap { arm in ms.filter { m in curves.contains { $0.arm == arm && $0.recorded == m } }.map { (arm, $0) } }
        var html = "<table class=\"numbers\"><thead><tr><th>P</th>"
        for (arm, m) in columns { html += "<th>\(Escaping.html(arm)), M = \(m)</th>" }
        html += "</tr></thead><tbody>"
        for p in unique(curves.flatMap { $0.points.map(\.sets) }).sorted() {
            html += "<tr><td>\(p)</td>"
            for (arm, m) in columns {
                if let q = curves.first(where: { $0.arm == arm && $0.recorded == m })?.points.first(where: { $0.sets == p }) {
                    html += "<td>\(number(q.median)) [\(number(q.lowerQuartile)), \(number(q.upperQuartile))] (n = \(q.seeds))</td>"
                } else {
                    html += "<td>—</td>"
                }
            }
            html += "</tr>"
        }
        return html + "</tbody></table>"
    }

    private static func number(_ v: Double) -> String { Escaping.html(ReportFormat.significant(v, digits: 3)) }
}
