import CircuitFitCore

/// Example outputs against targets: one panel per muscle, the target solid black, each model
/// output a dashed colour, the go cue a dotted vertical line.
enum TraceFigure {
    static let targetStyle = SeriesStyle(color: ColorPalette.black, marker: .none, lineWidth: 3.2)

    static func outputStyle(_ i: Int) -> SeriesStyle {
        var style = ColorPalette.seriesStyle(i)
        style.dash = ["6 3", "2 2.5", "9 3 2 3", "4 2"][i % 4]
        style.marker = .none
        return style
    }

    static func figure(_ traces: OutputTraces) -> ReportFigure? {
        guard !traces.muscles.isEmpty, !traces.timesMs.isEmpty else { return nil }
        var skipped = SkippedValues()
        let times = traces.timesMs
        let labels = unique(traces.muscles.flatMap { $0.outputs.map(\.label) })
        let columns = min(3, traces.muscles.count)
        let width = (FigureLayout.figureWidth / Double(max(2, columns))).rounded(.down)
        var lengthNotes: [String] = []
        var timeValues = times
        if let go = traces.goTimeMs { timeValues.append(go) }
        let xAxis = PlotAxis.linear(label: "time (ms)", covering: timeValues, maxTicks: 8)
        let panels = traces.muscles.map { muscle -> PlotPanel in
            var series: [(String, [Double])] = [("target", muscle.target)]
            series += muscle.outputs.map { ($0.label, $0.values) }
            for (label, values) in series {
                if values.count != times.count {
                    lengthNotes.append("\(muscle.name), \(label): \(values.count) values for \(times.count) times")
                }
                for (i, v) in values.prefix(times.count).enumerated() where !v.isFinite || !times[i].isFinite {
                    skipped.add("\(muscle.name), \(label), t = \(ReportFormat.plain(times[i])) ms")
                }
            }
            let yAxis = PlotAxis.linear(label: traces.valueLabel, covering: series.flatMap { $0.1.prefix(times.count) }, maxTicks: 6)
            var marks: [PlotMark] = []
            if let go = traces.goTimeMs, go.isFinite {
                marks.append(.verticalRule(x: go, color: "#444444", dash: "2 3", label: "go"))
            }
            marks.append(.line(x: times, y: Array(muscle.target.prefix(times.count)), style: targetStyle, markers: false))
            for output in muscle.outputs {
                let k = labels.firstIndex(of: output.label) ?? 0
                marks.append(.line(x: times, y: Array(output.values.prefix(times.count)), style: outputStyle(k), markers: false))
            }
            return PlotPanel(title: muscle.name, x: xAxis, y: yAxis, marks: marks, width: width, height: 360)
        }
        var legend = [LegendEntry("target", .series(targetStyle, band: false))]
        legend += labels.enumerated().map { LegendEntry($0.element, .series(outputStyle($0.offset), band: false)) }
        if traces.goTimeMs != nil { legend.append(LegendEntry("go cue", .rule(color: "#444444", dash: "2 3"))) }

        var caption = "Muscle outputs on \(traces.condition): the target (solid black) and the output of "
        caption += labels.count == 1 ? "one model (dashed)" : "\(labels.count) models (dashed, one colour each)"
        caption += ", one panel per muscle."
        if let go = traces.goTimeMs { caption += " Dotted vertical line: go cue at \(ReportFormat.plain(go)) ms." }
        if !lengthNotes.isEmpty {
            caption += " Series of the wrong length, drawn up to the shorter one: " + lengthNotes.joined(separator: "; ") + "."
        }
        caption += skipped.sentence()
        let svg = SVGFigure(title: "Muscle outputs, \(traces.condition)", panels: panels, columns: columns, legend: legend)
        return ReportFigure(figure: svg, caption: caption, numbersTable: nil)
    }

    /// Several conditions at once: one row per condition, one column per muscle; every panel of
    /// a column shares its y axis and every panel the time axis.
    static func grid(_ traces: [OutputTraces], heading: String) -> ReportFigure? {
        let traces = traces.filter { !$0.muscles.isEmpty && !$0.timesMs.isEmpty }
        guard let first = traces.first else { return nil }
        var skipped = SkippedValues()
        let muscles = first.muscles.count
        let labels = unique(traces.flatMap { $0.muscles.flatMap { $0.outputs.map(\.label) } })
        let columns = max(1, muscles)
        let width = (FigureLayout.figureWidth / Double(max(2, columns))).rounded(.down)
        let xAxis = PlotAxis.linear(label: "time (ms)", covering: traces.flatMap { $0.timesMs + ($0.goTimeMs.map { [$0] } ?? []) }, maxTicks: 7)
        let yAxes = (0..<muscles).map { k in
            PlotAxis.linear(label: first.valueLabel, covering: traces.flatMap { t -> [Double] in
                guard k < t.muscles.count else { return [] }
                return t.muscles[k].target + t.muscles[k].outputs.flatMap(\.values)
            }, maxTicks: 5)
        }
        var panels: [PlotPanel] = []
        for trace in traces {
            for (k, muscle) in trace.muscles.prefix(muscles).enumerated() {
                let times = trace.timesMs
                var marks: [PlotMark] = []
                if let go = trace.goTimeMs, go.isFinite { marks.append(.verticalRule(x: go, color: "#444444", dash: "2 3", label: nil)) }
                marks.append(.line(x: times, y: Array(muscle.target.prefix(times.count)), style: targetStyle, markers: false))
                for output in muscle.outputs {
                    for (i, v) in output.values.prefix(times.count).enumerated() where !v.isFinite { skipped.add("\(trace.condition), \(muscle.name), \(output.label), t = \(ReportFormat.plain(times[i])) ms") }
                    marks.append(.line(x: times, y: Array(output.values.prefix(times.count)), style: outputStyle(labels.firstIndex(of: output.label) ?? 0), markers: false))
                }
                // Many rows: lower panels, so the figure stays within a page (8 rows ≈ 250 mm).
                let height = max(200, min(300, (1500 / Double(traces.count)).rounded()))
                panels.append(PlotPanel(title: "\(trace.condition): \(muscle.name)", x: xAxis, y: yAxes[k], marks: marks, width: width, height: height))
            }
        }
        var legend = [LegendEntry("target", .series(targetStyle, band: false))]
        legend += labels.enumerated().map { LegendEntry($0.element, .series(outputStyle($0.offset), band: false)) }
        if first.goTimeMs != nil { legend.append(LegendEntry("go cue", .rule(color: "#444444", dash: "2 3"))) }
        var caption = "Muscle outputs on \(heading): one row per condition (\(traces.count)), one column per muscle; the target (solid black) and "
        caption += labels.count == 1 ? "the model's output (dashed)." : "the outputs of \(labels.count) models (dashed, one colour each)."
        caption += " Each column shares its y axis; every panel shares the time axis."
        if let go = first.goTimeMs { caption += " Dotted vertical line: go cue at \(ReportFormat.plain(go)) ms." }
        caption += skipped.sentence()
        let svg = SVGFigure(title: "Muscle outputs, \(heading)", panels: panels, columns: columns, legend: legend)
        return ReportFigure(figure: svg, caption: caption, numbersTable: nil)
    }
}
