import CircuitFitCore

/// The similarity-vs-M figures: one figure per metric, one panel per arm (sharing the y axis so
/// arms compare directly), one line per λ > 0 with its IQR band and every seed's value as a
/// point, the task-only networks (λ = 0, whose training ignores M) as one reference band (median
/// and IQR over all of them), and the untrained floor dashed — or, when it lies far outside the
/// data, noted at the edge so that the axis stays where the finding is.
enum CurveFigure {
    /// Metrics whose title starts with this are the mechanism audit's (their own section).
    static let auditPrefix = "audit: "

    /// The figures of the metrics `include` accepts (by title), in order of appearance.
    static func figures(_ report: ExperimentReport, include: (String) -> Bool = { _ in true }) -> [ReportFigure] {
        let curves = report.curves
        let metrics = unique(curves.map(\.metric) + report.metrics.filter { !$0.taskOnly.isEmpty }.map(\.metric)).filter(include)
        let arms = unique(curves.map(\.arm) + report.metrics.flatMap { $0.taskOnly.map(\.arm) })
        let lambdas = unique(curves.map(\.lambda).filter { !$0.isNaN }).sorted()
        return metrics.map { metric in
            figure(metric: metric, info: report.metrics.first { $0.metric == metric } ?? MetricInfo(metric: metric),
                   curves: curves.filter { $0.metric == metric }, arms: arms, lambdas: lambdas)
        }
    }

    static func lambdaLabel(_ lambda: Double) -> String {
        "λ = " + ReportFormat.plain(lambda) + (lambda == 0 ? " (task only)" : " (task + neural term)")
    }

    static func style(rank: Int) -> SeriesStyle { ColorPalette.seriesStyle(rank) }

    /// Per-seed points: small, translucent, in the series' colour.
    static func seedStyle(_ style: SeriesStyle) -> SeriesStyle {
        SeriesStyle(color: style.color, marker: .circle, markerRadius: 3.4, markerOpacity: 0.45, outline: "none", outlineWidth: 0)
    }

    static let taskOnlyColor = "#555555"

    /// Sideways offsets (layout units) that spread n points at one x over about ±9 units.
    static func spread(_ n: Int, around centre: Double) -> [Double] {
        guard n > 1 else { return [centre] }
        return (0..<n).map { centre + (Double($0) / Double(n - 1) - 0.5) * 18 }
    }

    private static func figure(metric key: String, info: MetricInfo, curves: [SimilarityCurve], arms: [String], lambdas: [Double]) -> ReportFigure {
        let metric = key.hasPrefix(auditPrefix) ? String(key.dropFirst(auditPrefix.count)) : key   // the title as shown
        var skipped = SkippedValues()
        let logY = info.scale == .log
        // Shared axes over every arm of this metric.
        let ms = curves.flatMap { $0.points.map { Double($0.recorded) } }
        let xAxis: PlotAxis = ms.contains(0)
            ? .logWithZero(label: "number of recorded neurons M", covering: ms)
            : .log(label: "number of recorded neurons M", covering: ms)
        var yValues = curves.flatMap { $0.points.flatMap { [$0.median, $0.lowerQuartile, $0.upperQuartile] + ($0.values ?? []) } }
        yValues += info.taskOnly.flatMap { [$0.median, $0.lowerQuartile, $0.upperQuartile] }
        yValues = yValues.filter { $0.isFinite && (!logY || $0 > 0) }
        // A floor joins the axis only when it lies within half the data's span of the data.
        let low = yValues.min() ?? 0, high = yValues.max() ?? 1, span = max(high - low, 1e-12)
        func onAxis(_ value: Double) -> Bool { value >= low - 0.5 * span && value <= high + 0.5 * span }
        let floors = arms.compactMap { floor(info, arm: $0) }.filter { $0.isFinite && (!logY || $0 > 0) }
        yValues += floors.filter(onAxis)
        let yAxis: PlotAxis = logY ? .log(label: metric, covering: yValues) : .linear(label: metric, covering: yValues, maxTicks: 7)

        let panelArms = arms.filter { arm in curves.contains { $0.arm == arm } || info.taskOnly.contains { $0.arm == arm } }
        let width = (FigureLayout.figureWidth / Double(max(2, panelArms.count))).rounded(.down)
        var panels: [PlotPanel] = []
        var anyFloor = false, anyOffAxis = false, anySeeds = false
        for arm in panelArms {
            var marks: [PlotMark] = []
            if let reference = info.taskOnly.first(where: { $0.arm == arm }) {
                marks.append(.horizontalBand(lower: reference.lowerQuartile, upper: reference.upperQuartile, middle: reference.median, color: taskOnlyColor, dash: "9 4"))
            }
            if let value = floor(info, arm: arm) {
                if value.isFinite && (!logY || value > 0) {
                    if onAxis(value) {
                        marks.append(.horizontalRule(y: value, color: ColorPalette.grey, dash: "5 4", label: nil))
                    } else {
                        marks.append(.edgeNote(text: "untrained: " + ReportFormat.significant(value, digits: 3), top: value > high, color: ColorPalette.grey))
                        anyOffAxis = true
                    }
                    anyFloor = true
                } else {
                    skipped.add("\(arm), untrained floor = \(ReportFormat.significant(value))")
                }
            }
            let armCurves = curves.filter { $0.arm == arm }
            let present = lambdas.filter { l in armCurves.contains { $0.lambda == l } }
            for (k, lambda) in present.enumerated() {
                let rank = lambdas.firstIndex(of: lambda) ?? 0
                let points = armCurves.filter { $0.lambda == lambda }.flatMap(\.points).sorted { $0.recorded < $1.recorded }
                for p in points {
                    let name = "\(arm), λ = \(ReportFormat.plain(lambda)), M = \(p.recorded)"
                    if p.recorded < 0 { skipped.add("\(name) (negative M)"); continue }
                    for (what, v) in [("median", p.median), ("lower quartile", p.lowerQuartile), ("upper quartile", p.upperQuartile)]
                    where !v.isFinite || (logY && v <= 0) {
                        skipped.add("\(name) (\(what) \(v.isFinite ? ReportFormat.significant(v) : v.isNaN ? "NaN" : "infinite"))")
                    }
                }
                let dodge = present.count > 1 ? (Double(k) - Double(present.count - 1) / 2) * 8 : 0
                // Every seed's value, spread a little sideways around its M.
                var seedX: [Double] = [], seedY: [Double] = [], offsets: [Double] = []
                for p in points where p.recorded >= 0 {
                    let values = (p.values ?? []).filter { $0.isFinite }
                    seedX += Array(repeating: Double(p.recorded), count: values.count)
                    seedY += values
                    offsets += spread(values.count, around: dodge)
                }
                if !seedY.isEmpty {
                    marks.append(.scatter(x: seedX, y: seedY, style: seedStyle(style(rank: rank)), offsets: offsets))
                    anySeeds = true
                }
                marks.append(.summary(SummarySeries(
                    x: points.map { Double($0.recorded) }, median: points.map(\.median),
                    lower: points.map(\.lowerQuartile), upper: points.map(\.upperQuartile),
                    style: style(rank: rank), dodge: dodge)))
            }
            panels.append(PlotPanel(title: arm, x: xAxis, y: yAxis, marks: marks, width: width, height: 430))
        }
        var legend = lambdas.enumerated()
            .filter { (_, l) in curves.contains { $0.lambda == l } }
            .map { LegendEntry(lambdaLabel($0.element) + ": median, IQR" + (anySeeds ? ", seeds" : ""), .series(style(rank: $0.offset), band: true)) }
        if !info.taskOnly.isEmpty {
            legend.append(LegendEntry("λ = 0 (task only), all M: median, IQR", .band(color: taskOnlyColor, dash: "9 4")))
        }
        if anyFloor { legend.append(LegendEntry("untrained network", .rule(color: ColorPalette.grey, dash: "5 4"))) }

        var caption = "“\(capitalised(metric))” against the number of recorded neurons M"
        if panelArms.count > 1 {
            let letters = panelArms.enumerated().map { "\(letter($0.offset)), \($0.element)" }
            caption += ", one panel per training arm (\(letters.joined(separator: "; ")); shared y axis)"
        }
        caption += ". Lines and markers: median over \(seedText(curves)); shaded band, or error bar where a point stands alone: interquartile range (25th to 75th percentile)"
        caption += anySeeds ? "; small translucent points: each seed's value (spread sideways around its M)." : "."
        if let reference = info.taskOnly.first {
            caption += " Grey band and dashed line: the task-only networks (λ = 0), whose training does not depend on M, as one reference: median and IQR over \(reference.values) values (\(reference.fits) fits, one per seed, each scored at every M)."
        }
        if anyFloor { caption += " Dashed grey line: untrained network" + (anyOffAxis ? "; where it lies far outside the data its value is printed at the panel's edge (arrow), so the axis stays on the data." : ".") }
        if let direction = info.direction {
            caption += direction == .higherIsBetter ? " Higher is better." : " Lower is better."
        }
        if xAxis.scale == .logWithZero {
            caption += " M = 0 (no recorded neurons) stands left of the axis break; positive M are on a log scale, and the dotted segment only joins M = 0 to the first positive M."
        }
        if panels.contains(where: { $0.marks.filter { if case .summary = $0 { true } else { false } }.count > 1 }) {
            caption += " Series are shifted sideways so that their error bars do not overlap."
        }
        caption += logY ? " Logarithmic y axis." : " Linear y axis."
        caption += skipped.sentence(reason: logY ? "not finite, or not positive on the log axis" : "not finite")
        let svg = SVGFigure(title: metric, panels: panels, columns: max(2, panels.count), legend: legend)
        return ReportFigure(figure: svg, caption: caption, numbersTable: table(curves: curves, arms: panelArms, lambdas: lambdas, taskOnly: info.taskOnly))
    }

    /// The untrained-network value of `arm`: its own floor if given, else the metric's floor.
    private static func floor(_ info: MetricInfo, arm: String) -> Double? {
        info.armFloors.first { $0.arm == arm }?.value ?? info.untrainedFloor
    }

    /// "n = 10 seeds per point" or "n = 8–10 seeds per point".
    static func seedText(_ curves: [SimilarityCurve]) -> String {
        let seeds = curves.flatMap { $0.points.map(\.seeds) }
        guard let lo = seeds.min(), let hi = seeds.max() else { return "seeds" }
        let range = lo == hi ? "\(lo)" : "\(lo)–\(hi)"
        return "n = \(range) seed\(hi == 1 ? "" : "s") per point (circuit sampling and model initialisation)"
    }

    /// The plotted numbers: one row per M, one column per (arm, λ): "median [Q1, Q3] (n)".
    private static func table(curves: [SimilarityCurve], arms: [String], lambdas: [Double], taskOnly: [TaskOnlyReference]) -> String {
        let columns = arms.flatMap { arm in lambdas.filter { l in curves.contains { $0.arm == arm && $0.lambda == l } }.map { (arm, $0) } }
        let ms = unique(curves.flatMap { $0.points.map(\.recorded) }).sorted()
        var html = "<table class=\"numbers\"><thead><tr><th>M</th>"
        for (arm, lambda) in columns {
            html += "<th>\(Escaping.html(arm)), λ = \(Escaping.html(ReportFormat.plain(lambda)))</th>"
        }
        html += "</tr></thead><tbody>"
        for m in ms {
            html += "<tr><td>\(m)</td>"
            for (arm, lambda) in columns {
                let point = curves.filter { $0.arm == arm && $0.lambda == lambda }.flatMap(\.points).first { $0.recorded == m }
                if let p = point {
                    html += "<td>\(number(p.median)) [\(number(p.lowerQuartile)), \(number(p.upperQuartile))] (n = \(p.seeds))</td>"
                } else {
                    html += "<td>—</td>"
                }
            }
            html += "</tr>"
        }
        for reference in taskOnly {
            html += "<tr><td colspan=\"\(columns.count + 1)\">\(Escaping.html(reference.arm)), λ = 0 (task only), all M: \(number(reference.median)) [\(number(reference.lowerQuartile)), \(number(reference.upperQuartile))] (\(reference.values) values of \(reference.fits) fits)</td></tr>"
        }
        return html + "</tbody></table>"
    }

    private static func number(_ v: Double) -> String { Escaping.html(ReportFormat.significant(v, digits: 3)) }

    static func capitalised(_ text: String) -> String { text.prefix(1).uppercased() + text.dropFirst() }

    static func letter(_ i: Int) -> String { String(UnicodeScalar(UInt8(65 + i % 26))) }
}

/// The distinct elements of `items` in order of first appearance.
func unique<T: Equatable>(_ items: [T]) -> [T] {
    var out: [T] = []
    for item in items where !out.contains(item) { out.append(item) }
    return out
}
