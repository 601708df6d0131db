import CircuitFitCore

/// Example outputs against targets: one panel per muscle, the target solid black, each model
/// output a dashed colour, the go cue a dotted vertical line.
enum TraceFigure {
    static let targetStyle = SeriesStyle(color: ColorPalette.black, marker: .none, lineWidth: 2.4)

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
        let width = (FigureLayout.figureWidth / Double(max(2, columns))).rounded()
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
            return PlotPanel(title: muscle.name, x: xAxis, y: yAxis, marks: marks, width: width, height: 270)
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
}
