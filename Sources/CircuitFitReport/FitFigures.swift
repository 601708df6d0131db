import Foundation
import CircuitFitCore

/// The figures of the report of one fit: loss curves, example neurons, the outputs of every
/// condition, the canonical correlations one by one.
enum FitFigures {
    // MARK: Losses

    /// Every loss of `history.csv` against the iteration, on a log y axis (losses span decades).
    static func losses(_ curves: LossCurves) -> ReportFigure? {
        let drawn = curves.series.filter { $0.values.contains { $0.isFinite && $0 > 0 } }
        guard !drawn.isEmpty, curves.iterations.count > 1 else { return nil }
        let xAxis = PlotAxis.linear(label: "iteration", covering: curves.iterations, maxTicks: 7)
        let yAxis = PlotAxis.log(label: "loss (each term as in the objective)", covering: drawn.flatMap(\.values))
        var skipped = 0
        let marks = drawn.enumerated().map { i, series -> PlotMark in
            var style = ColorPalette.seriesStyle(i)
            style.marker = .none
            skipped += series.values.filter { !($0.isFinite && $0 > 0) }.count
            return .line(x: curves.iterations, y: series.values, style: style, markers: false)
        }
        let panel = PlotPanel(x: xAxis, y: yAxis, marks: marks, width: 760, height: 460)
        let legend = drawn.enumerated().map { i, s -> LegendEntry in
            var style = ColorPalette.seriesStyle(i)
            style.marker = .none
            return LegendEntry(s.label, .series(style, band: false))
        }
        var caption = "The losses recorded in history.csv at every iteration (log y axis): "
        caption += drawn.map(\.label).joined(separator: ", ") + "."
        if skipped > 0 { caption += " \(skipped) values not drawn (not finite or not positive)." }
        let svg = SVGFigure(title: "Loss curves", panels: [panel], columns: 1, legend: legend)
        return ReportFigure(figure: svg, caption: caption, numbersTable: nil)
    }

    // MARK: Neurons

    /// Example neurons, one panel each: the data of every condition shown (solid) and the
    /// model's prediction (dashed), coloured by reach angle; R² and the noise ceiling in the title.
    static func neurons(_ examples: [NeuronExample]) -> ReportFigure? {
        guard !examples.isEmpty else { return nil }
        let columns = min(3, examples.count)
        let width = (FigureLayout.figureWidth / Double(max(2, columns))).rounded(.down)
        var skipped = SkippedValues()
        let panels = examples.map { example -> PlotPanel in
            let values = example.conditions.flatMap { $0.data + $0.model }
            for (c, condition) in example.conditions.enumerated() where condition.model.contains(where: { !$0.isFinite }) {
                skipped.add("\(example.title), condition \(c + 1)")
            }
            let xAxis = PlotAxis.linear(label: "time (ms)", covering: example.timesMs + (example.goTimeMs.map { [$0] } ?? []), maxTicks: 8)
            let yAxis = PlotAxis.linear(label: "rate (\(example.unit))", covering: values, maxTicks: 6)
            var marks: [PlotMark] = []
            if let go = example.goTimeMs { marks.append(.verticalRule(x: go, color: "#444444", dash: "2 3", label: nil)) }
            for condition in example.conditions {
                let color = condition.angle.isFinite ? ColorPalette.cyclic(angle: condition.angle) : ColorPalette.grey
                marks.append(.line(x: example.timesMs, y: condition.data, style: SeriesStyle(color: color, marker: .none, lineWidth: 2.6), markers: false))
                marks.append(.line(x: example.timesMs, y: condition.model, style: SeriesStyle(color: color, dash: "7 4", marker: .none, lineWidth: 2.2), markers: false))
            }
            var title = example.title
            if let r2 = example.r2 { title += ": R² \(ReportFormat.figureNumber(r2, decimals: 2))" }
            if let ceiling = example.ceiling { title += ", ceiling \(ReportFormat.figureNumber(ceiling, decimals: 2))" }
            return PlotPanel(title: title, x: xAxis, y: yAxis, marks: marks, width: width, height: 400)
        }
        let legend = [
            LegendEntry("reach angle θ", .angleWheel),
            LegendEntry("data (trial average)", .series(SeriesStyle(color: "#555555", marker: .none, lineWidth: 2.6), band: false)),
            LegendEntry("model's prediction", .series(SeriesStyle(color: "#555555", dash: "7 4", marker: .none, lineWidth: 2.2), band: false)),
        ]
        var caption = "Example neurons, each against the model's prediction on every condition shown (colour: reach angle). "
        caption += "Held-out neurons (never fitted) are predicted by the ridge map from the model's rates fitted on the training conditions and shown on the held-out conditions; "
        caption += "recorded neurons are the fitted units' rates mapped back to Hz, on the training conditions. Best, median and worst by R². "
        caption += "The ceiling is the neuron's split-half reliability on those conditions: the R² a model predicting the true rates exactly would expect, given the trial-to-trial noise of the data."
        caption += skipped.sentence()
        let svg = SVGFigure(title: "Example neurons", panels: panels, columns: columns, legend: legend)
        return ReportFigure(figure: svg, caption: caption, numbersTable: nil)
    }

    // MARK: Outputs

    /// One panel per condition with every output channel: the target thick and light, the
    /// model thin and dark, in the channel's colour; held-out conditions tinted. Shared axes.
    static func outputs(_ conditions: [ConditionOutputs]) -> ReportFigure? {
        guard let first = conditions.first, !first.channels.isEmpty else { return nil }
        let columns = min(4, conditions.count)
        let width = (FigureLayout.figureWidth / Double(max(2, columns))).rounded(.down)
        let xAxis = PlotAxis.linear(label: "time (ms)", covering: conditions.flatMap { $0.timesMs }, maxTicks: 8)
        let yAxis = PlotAxis.linear(label: first.valueLabel, covering: conditions.flatMap { $0.channels.flatMap { $0.target + $0.outputs.flatMap(\.values) } }, maxTicks: 5)
        let channels = first.channels.map(\.name)
        func color(_ k: Int) -> String { ColorPalette.okabeIto[k % ColorPalette.okabeIto.count] }
        let panels = conditions.map { condition -> PlotPanel in
            var marks: [PlotMark] = []
            if let go = condition.goTimeMs { marks.append(.verticalRule(x: go, color: "#444444", dash: "2 3", label: nil)) }
            for (k, channel) in condition.channels.enumerated() {
                marks.append(.line(x: condition.timesMs, y: channel.target, style: SeriesStyle(color: color(k), marker: .none, lineWidth: 5.5), markers: false))
            }
            for (k, channel) in condition.channels.enumerated() {
                for output in channel.outputs {
                    marks.append(.line(x: condition.timesMs, y: output.values, style: SeriesStyle(color: ColorPalette.darker(color(k)), marker: .none, lineWidth: 1.8), markers: false))
                }
            }
            return PlotPanel(title: condition.condition + (condition.heldOut ? " (held out)" : ""), x: xAxis, y: yAxis, marks: marks,
                             width: width, height: 300, tint: condition.heldOut ? "#FFF3E0" : nil)
        }
        var legend = channels.enumerated().map { k, name in
            LegendEntry("\(name): target", .series(SeriesStyle(color: color(k), marker: .none, lineWidth: 5.5), band: false))
        }
        legend.append(LegendEntry("model output (darker)", .series(SeriesStyle(color: "#333333", marker: .none, lineWidth: 1.8), band: false)))
        legend.append(LegendEntry("held-out condition", .band(color: "#F5A623", dash: nil)))
        let held = conditions.filter(\.heldOut).count
        var caption = "Outputs on every condition (\(conditions.count): \(conditions.count - held) training, \(held) held out, tinted): "
        caption += "each channel's target (thick, light) and the model's output (thin, darker, same colour). All panels share their axes; dotted line: go cue."
        let svg = SVGFigure(title: "Outputs on every condition", panels: panels, columns: columns, legend: legend)
        return ReportFigure(figure: svg, caption: caption, numbersTable: nil)
    }

    // MARK: Canonical correlations

    static func canonicalCorrelations(_ cc: CanonicalCorrelations) -> ReportFigure? {
        guard !cc.model.isEmpty else { return nil }
        let index = (1...cc.model.count).map(Double.init)
        let xAxis = PlotAxis.linear(label: "canonical correlation (ordered)", covering: [1, Double(cc.model.count)], maxTicks: cc.model.count)
        let yAxis = PlotAxis(label: "correlation", scale: .linear, lower: 0, upper: 1, ticks: stride(from: 0.0, through: 1.0, by: 0.2).map { AxisTick($0, ReportFormat.fixed($0, decimals: 1)) })
        var marks: [PlotMark] = []
        let modelStyle = SeriesStyle(color: ColorPalette.okabeIto[0], marker: .circle)
        if let untrained = cc.untrained, !untrained.isEmpty {
            let u = SeriesStyle(color: ColorPalette.grey, dash: "5 4", marker: .square)
            marks.append(.line(x: Array(index.prefix(untrained.count)), y: untrained, style: u, markers: true))
        }
        marks.append(.line(x: index, y: cc.model, style: modelStyle, markers: true))
        let panel = PlotPanel(x: xAxis, y: yAxis, marks: marks, width: 640, height: 420)
        var legend = [LegendEntry("fitted model", .series(modelStyle, band: false))]
        if cc.untrained != nil { legend.append(LegendEntry("untrained network (same seed)", .series(SeriesStyle(color: ColorPalette.grey, dash: "5 4", marker: .square), band: false))) }
        var caption = "Canonical correlations between the model's rates and the \(cc.population), one by one (top 10 PCs of each). "
        caption += "The leading ones are near 1 for any network driven by the same inputs; the differences live in the last ones."
        if let untrained = cc.untrained, let last = untrained.last, let model = cc.model.last {
            caption += " Last: \(ReportFormat.fixed(model, decimals: 2)) (model) vs \(ReportFormat.fixed(last, decimals: 2)) (untrained)."
        }
        let svg = SVGFigure(title: "Canonical correlations", panels: [panel], columns: 1, legend: legend)
        return ReportFigure(figure: svg, caption: caption, numbersTable: nil)
    }
}
