import CircuitFitCore

/// A marker drawn at each data point.
public enum MarkerShape: Sendable, Equatable { case circle, square, triangle, diamond, none }

/// How one series looks: colour, dash pattern, marker. Sizes are layout units
/// (`FigureLayout`: 1 unit ≈ 0.44 pt in print).
public struct SeriesStyle: Sendable, Equatable {
    public var color: String
    /// SVG stroke-dasharray (nil = solid).
    public var dash: String?
    public var marker: MarkerShape
    public var lineWidth: Double
    public var markerRadius: Double
    /// Marker fill (nil = `color`) and its opacity (nil = opaque).
    public var markerFill: String?
    public var markerOpacity: Double?
    /// Marker outline: white by default, so touching markers stay apart.
    public var outline: String
    public var outlineWidth: Double
    public init(
        color: String, dash: String? = nil, marker: MarkerShape = .circle, lineWidth: Double = FigureLayout.dataLine,
        markerRadius: Double = FigureLayout.markerRadius, markerFill: String? = nil, markerOpacity: Double? = nil,
        outline: String = "#FFFFFF", outlineWidth: Double = 1.2
    ) {
        self.color = color; self.dash = dash; self.marker = marker; self.lineWidth = lineWidth
        self.markerRadius = markerRadius; self.markerFill = markerFill; self.markerOpacity = markerOpacity
        self.outline = outline; self.outlineWidth = outlineWidth
    }
}

/// Medians with their interquartile range at a set of x values (equal-length arrays).
public struct SummarySeries: Sendable, Equatable {
    public var x: [Double]
    public var median: [Double]
    public var lower: [Double]
    public var upper: [Double]
    public var style: SeriesStyle
    /// Horizontal shift in layout units, so error bars of series that share x values do not overlap.
    public var dodge: Double
    public init(x: [Double], median: [Double], lower: [Double], upper: [Double], style: SeriesStyle, dodge: Double = 0) {
        self.x = x; self.median = median; self.lower = lower; self.upper = upper; self.style = style; self.dodge = dodge
    }
}

/// What a panel draws.
public enum PlotMark: Sendable, Equatable {
    /// Medians as a line with markers; the IQR as a translucent band over runs of two or more
    /// consecutive drawable points, and as an error bar at an isolated point.
    case summary(SummarySeries)
    /// A line through (x[i], y[i]), broken where a point cannot be drawn; optional markers.
    case line(x: [Double], y: [Double], style: SeriesStyle, markers: Bool)
    /// Markers only; `offsets` (layout units, one per point) shift each sideways, e.g. to spread
    /// the per-seed values at one M.
    case scatter(x: [Double], y: [Double], style: SeriesStyle, offsets: [Double]? = nil)
    /// A full-width horizontal reference line (e.g. an untrained-network floor).
    case horizontalRule(y: Double, color: String, dash: String?, label: String?)
    /// A full-height vertical reference line (e.g. the go cue, or Re = 0), label at its top.
    case verticalRule(x: Double, color: String, dash: String?, label: String?)
    /// A full-width horizontal band from `lower` to `upper` with a line at `middle` (e.g. the
    /// task-only reference: median and IQR over all λ = 0 fits).
    case horizontalBand(lower: Double, upper: Double, middle: Double?, color: String, dash: String?)
    /// A value outside the y axis, noted at the top (or bottom) edge with an arrow.
    case edgeNote(text: String, top: Bool, color: String)
}

/// The plot area of a panel in the panel's own coordinates (y grows downwards).
public struct PlotFrame: Sendable, Equatable {
    public var left: Double, top: Double, right: Double, bottom: Double
    public var width: Double { right - left }
    public var height: Double { bottom - top }
}

/// One chart: two axes, marks, an optional title. Axes are drawn offset a little outside the
/// plot area (the "despined" style of many journals), with light horizontal grid lines at the y
/// ticks. The axis domain ends exactly at the plot frame: a point at the x axis minimum has
/// cx = frame.left. Sizes are layout units; type sizes are `FigureLayout`'s (≥ 7 pt in print).
public struct PlotPanel: Sendable, Equatable {
    public var title: String?
    public var x: PlotAxis
    public var y: PlotAxis
    public var marks: [PlotMark]
    /// Whole panel size, margins included (layout units).
    public var width: Double
    public var height: Double
    /// A light background tint (e.g. for held-out conditions), nil = none.
    public var tint: String?
    /// Title lines to reserve (a figure sets the most of its row, so frames line up).
    public var reservedTitleLines: Int?

    public init(title: String? = nil, x: PlotAxis, y: PlotAxis, marks: [PlotMark], width: Double = 560, height: Double = 400, tint: String? = nil) {
        self.title = title; self.x = x; self.y = y; self.marks = marks; self.width = width; self.height = height; self.tint = tint
    }

    // Type sizes and spacing, layout units.
    static var tickFont: Double { FigureLayout.tickFont }
    static var labelFont: Double { FigureLayout.labelFont }
    static var titleFont: Double { FigureLayout.titleFont }
    static let spineOffset = 12.0
    static let tickLength = 7.0

    /// The plot area: margins leave room for tick labels, axis labels (wrapped to fit) and title.
    public var frame: PlotFrame {
        let yTickWidth = y.ticks.map { Draw.textWidth($0.label, size: Self.tickFont) }.max() ?? 0
        let left = 6 + Double(yLabelLines.count) * Self.labelFont * 1.2 + 8 + yTickWidth + 4 + Self.tickLength + Self.spineOffset
        let lastX = x.ticks.last.map { Draw.textWidth($0.label, size: Self.tickFont) / 2 } ?? 0
        let right = width - max(14, lastX + 3)
        let titleLines = Double(max(titleText.count, reservedTitleLines ?? 0))
        let top = title == nil ? 14 : 12 + Self.titleFont * 1.25 * titleLines + 4
        let bottom = height - (Self.spineOffset + Self.tickLength + 5 + Self.tickFont + 8
            + Double(xLabelLines.count) * Self.labelFont * 1.2 + 2)
        return PlotFrame(left: left, top: top, right: right, bottom: bottom)
    }

    private var yLabelLines: [String] {
        // Wrapped to the plot height, estimated without the frame to avoid a cycle.
        let available = height - (title == nil ? 14 : 40) - 80
        return Draw.wrap(y.label, width: max(80, available), size: Self.labelFont)
    }

    private var xLabelLines: [String] {
        Draw.wrap(x.label, width: max(80, width - 120), size: Self.labelFont)
    }

    /// The title, wrapped to at most two lines of the room right of the panel letter.
    var titleText: [String] {
        guard let title else { return [] }
        let room = width - titleLeft - Draw.textWidth("M", size: FigureLayout.letterFont, bold: true) - 24
        return Array(Draw.wrap(title, width: max(80, room), size: Self.titleFont).prefix(2))
    }

    /// Where the title (or the panel letter) starts: above the y axis, computed without the
    /// title (whose wrapping depends on it).
    private var titleLeft: Double {
        let yTickWidth = y.ticks.map { Draw.textWidth($0.label, size: Self.tickFont) }.max() ?? 0
        return 6 + Double(yLabelLines.count) * Self.labelFont * 1.2 + 8 + yTickWidth + 4 + Self.tickLength
    }

    /// Layout position of a data point, or nil when it cannot be drawn.
    public func position(_ xValue: Double, _ yValue: Double) -> (Double, Double)? {
        position(xValue, yValue, in: frame)
    }

    private func position(_ xValue: Double, _ yValue: Double, in f: PlotFrame) -> (Double, Double)? {
        guard let fx = x.fraction(xValue), let fy = y.fraction(yValue) else { return nil }
        let px = f.left + fx * f.width, py = f.bottom - fy * f.height
        guard px.isFinite && py.isFinite else { return nil }
        return (px, py)
    }

    /// The panel's drawing items in its own coordinates (origin at its top-left corner).
    public func items(letter: String? = nil) -> [DrawItem] {
        var out: [DrawItem] = []
        let f = frame
        if let tint {
            out.append(.rect(x: f.left, y: f.top, width: f.width, height: f.height, Paint(fill: tint)))
        }
        // Grid lines at the y ticks.
        for tick in y.ticks {
            guard let fy = y.fraction(tick.value) else { continue }
            let py = f.bottom - fy * f.height
            out.append(Draw.line(f.left, py, f.right, py, stroke: ColorPalette.lightGrey, width: 1.2))
        }
        // Reference bands, then IQR bands, so every line and marker lies on top of every band.
        for mark in marks {
            if case .horizontalBand(let lower, let upper, let middle, let color, let dash) = mark {
                out += horizontalBand(lower, upper, middle, color, dash, f)
            }
        }
        for mark in marks { if case .summary(let s) = mark { out += bands(s, f) } }
        for mark in marks {
            switch mark {
            case .horizontalRule(let value, let color, let dash, let label):
                guard let fy = y.fraction(value), fy.isFinite, fy >= -1e-9, fy <= 1 + 1e-9 else { continue }
                let py = f.bottom - fy * f.height
                out.append(Draw.line(f.left, py, f.right, py, stroke: color, width: 2, dash: dash))
                if let label {
                    out.append(Draw.text(label, x: f.right - 2, y: py - 5, size: FigureLayout.minimumFont, anchor: .end, fill: color))
                }
            case .verticalRule(let value, let color, let dash, let label):
                guard let fx = x.fraction(value), fx.isFinite else { continue }
                let px = f.left + fx * f.width
                out.append(Draw.line(px, f.top, px, f.bottom, stroke: color, width: 1.8, dash: dash))
                if let label {
                    out.append(Draw.text(label, x: px + 4, y: f.top + FigureLayout.minimumFont, size: FigureLayout.minimumFont, fill: color))
                }
            case .edgeNote(let text, let top, let color):
                let py = top ? f.top + 4 : f.bottom - 4
                let tip = top ? py - 2 : py + 2, base = top ? py + 10 : py - 10
                out.append(Draw.polygon([(f.right - 10, tip), (f.right - 4, base), (f.right - 16, base)], fill: color))
                out.append(Draw.text(text, x: f.right - 20, y: top ? base : base + 4, size: FigureLayout.minimumFont, anchor: .end, fill: color))
            default:
                continue
            }
        }
        for mark in marks {
            switch mark {
            case .summary(let s):
                out += lines(x: s.x, y: s.median, style: s.style, dodge: s.dodge, f)
            case .line(let xs, let ys, let style, _):
                out += lines(x: xs, y: ys, style: style, dodge: 0, f)
            default:
                continue
            }
        }
        for mark in marks {
            switch mark {
            case .summary(let s):
                out += errorBars(s, f)
                out += markers(x: s.x, y: s.median, style: s.style, dodge: s.dodge, f)
            case .line(let xs, let ys, let style, let withMarkers):
                if withMarkers { out += markers(x: xs, y: ys, style: style, dodge: 0, f) }
            case .scatter(let xs, let ys, let style, let offsets):
                out += markers(x: xs, y: ys, style: style, dodge: 0, f, offsets: offsets)
            default:
                continue
            }
        }
        out += axes(f)
        var ty = 12 + Self.titleFont
        var tx = f.left - Self.spineOffset
        if let letter {
            out.append(Draw.text(letter, x: tx, y: ty, size: FigureLayout.letterFont, bold: true))
            tx += Draw.textWidth(letter, size: FigureLayout.letterFont, bold: true) + 10
        }
        for line in titleText {
            out.append(Draw.text(line, x: tx, y: ty, size: Self.titleFont))
            ty += Self.titleFont * 1.25
        }
        return out
    }

    /// The panel alone as a complete SVG document.
    public func svg() -> String {
        SVGWriter.svg(Drawing(width: width, height: height, title: title ?? "panel", items: items()))
    }

    // MARK: marks

    /// Drawable positions of (x[i], y[i]) (nil where not drawable), shifted by `dodge`.
    private func pixels(_ xs: [Double], _ ys: [Double], dodge: Double, _ f: PlotFrame) -> [(Double, Double)?] {
        (0..<min(xs.count, ys.count)).map { i in position(xs[i], ys[i], in: f).map { ($0.0 + dodge, $0.1) } }
    }

    /// True when the segment from point i to point i+1 crosses the break of a log-with-zero axis.
    private func crossesBreak(_ xs: [Double], _ i: Int) -> Bool {
        x.scale == .logWithZero && (xs[i] == 0) != (xs[i + 1] == 0)
    }

    private func lines(x xs: [Double], y ys: [Double], style: SeriesStyle, dodge: Double, _ f: PlotFrame) -> [DrawItem] {
        let p = pixels(xs, ys, dodge: dodge, f)
        var out: [DrawItem] = []
        var run: [(Double, Double)] = []
        func flush() { if run.count >= 2 { out.append(Draw.polyline(run, style: style)) }; run = [] }
        for i in p.indices {
            guard let point = p[i] else { flush(); continue }
            if i > 0, p[i - 1] != nil, crossesBreak(xs, i - 1) {
                flush()
                // Across the axis break the slope means nothing: a thin dotted join.
                out.append(Draw.polyline([p[i - 1]!, point], style: style, dash: "2 4", width: max(1.4, style.lineWidth * 0.6)))
            }
            run.append(point)
        }
        flush()
        return out
    }

    private func markers(x xs: [Double], y ys: [Double], style: SeriesStyle, dodge: Double, _ f: PlotFrame, offsets: [Double]? = nil) -> [DrawItem] {
        pixels(xs, ys, dodge: dodge, f).enumerated().compactMap { i, point in
            guard let point else { return nil }
            let shift = offsets.map { i < $0.count ? $0[i] : 0 } ?? 0
            return Draw.marker(style.marker, x: point.0 + shift, y: point.1, style: style)
        }
    }

    /// Points whose median and both quartiles can be drawn, as (index, x, yLow, yHigh).
    private func intervals(_ s: SummarySeries, _ f: PlotFrame) -> [(Int, Double, Double, Double)?] {
        let n = [s.x.count, s.median.count, s.lower.count, s.upper.count].min() ?? 0
        return (0..<n).map { i in
            guard position(s.x[i], s.median[i], in: f) != nil,
                  let lo = position(s.x[i], s.lower[i], in: f), let hi = position(s.x[i], s.upper[i], in: f) else { return nil }
            return (i, lo.0 + s.dodge, lo.1, hi.1)
        }
    }

    /// Runs of consecutive drawable intervals not crossing the axis break.
    private func intervalRuns(_ s: SummarySeries, _ f: PlotFrame) -> [[(Int, Double, Double, Double)]] {
        var runs: [[(Int, Double, Double, Double)]] = []
        var run: [(Int, Double, Double, Double)] = []
        let all = intervals(s, f)
        for (i, item) in all.enumerated() {
            guard let item else { runs.append(run); run = []; continue }
            if i > 0, all[i - 1] != nil, crossesBreak(s.x, i - 1) { runs.append(run); run = [] }
            run.append(item)
        }
        runs.append(run)
        return runs.filter { !$0.isEmpty }
    }

    private func bands(_ s: SummarySeries, _ f: PlotFrame) -> [DrawItem] {
        intervalRuns(s, f).filter { $0.count >= 2 }.map { run in
            let upper = run.map { ($0.1, $0.3) }
            let lower = run.reversed().map { ($0.1, $0.2) }
            return Draw.polygon(upper + lower, fill: s.style.color, opacity: 0.18)
        }
    }

    private func errorBars(_ s: SummarySeries, _ f: PlotFrame) -> [DrawItem] {
        intervalRuns(s, f).filter { $0.count == 1 }.flatMap { run -> [DrawItem] in
            let (_, px, low, high) = run[0]
            let cap = 6.0
            let paint = Paint(stroke: s.style.color, strokeWidth: 1.8)
            return [
                .line(DrawPoint(px, low), DrawPoint(px, high), paint),
                .line(DrawPoint(px - cap, low), DrawPoint(px + cap, low), paint),
                .line(DrawPoint(px - cap, high), DrawPoint(px + cap, high), paint),
            ]
        }
    }

    /// A reference band across the plot, clipped to the frame.
    private func horizontalBand(_ lower: Double, _ upper: Double, _ middle: Double?, _ color: String, _ dash: String?, _ f: PlotFrame) -> [DrawItem] {
        var out: [DrawItem] = []
        if let lo = y.fraction(lower), let hi = y.fraction(upper) {
            let a = f.bottom - min(1, max(0, lo)) * f.height, b = f.bottom - min(1, max(0, hi)) * f.height
            if abs(a - b) > 0.01 {
                out.append(.rect(x: f.left, y: min(a, b), width: f.width, height: abs(a - b), Paint(fill: color, fillOpacity: 0.16)))
            }
        }
        if let middle, let fm = y.fraction(middle), fm >= 0, fm <= 1 {
            let py = f.bottom - fm * f.height
            out.append(Draw.line(f.left, py, f.right, py, stroke: color, width: 2.2, dash: dash))
        }
        return out
    }

    // MARK: axes

    private func axes(_ f: PlotFrame) -> [DrawItem] {
        var out: [DrawItem] = []
        let ink = "#222222", width = FigureLayout.axisLine
        // x axis: spine below the frame, ticks, labels, axis label.
        let xSpine = f.bottom + Self.spineOffset
        if x.scale == .logWithZero {
            // A break between the tick at 0 and the log part, marked by two slashes.
            let gap = f.left + PlotAxis.zeroGap * 0.5 * f.width
            out.append(Draw.line(f.left - 3, xSpine, gap - 4, xSpine, stroke: ink, width: width))
            out.append(Draw.line(gap + 4, xSpine, f.right, xSpine, stroke: ink, width: width))
            for dx in [-4.0, 4.0] {
                out.append(Draw.line(gap + dx - 3, xSpine + 6, gap + dx + 3, xSpine - 6, stroke: ink, width: width))
            }
        } else {
            out.append(Draw.line(f.left, xSpine, f.right, xSpine, stroke: ink, width: width))
        }
        for tick in x.ticks {
            guard let fx = x.fraction(tick.value) else { continue }
            let px = f.left + fx * f.width
            out.append(Draw.line(px, xSpine, px, xSpine + Self.tickLength, stroke: ink, width: width))
            out.append(Draw.text(tick.label, x: px, y: xSpine + Self.tickLength + 4 + Self.tickFont * 0.8, size: Self.tickFont, anchor: .middle))
        }
        var labelY = xSpine + Self.tickLength + 5 + Self.tickFont + 8 + Self.labelFont * 0.8
        for line in xLabelLines {
            out.append(Draw.text(line, x: (f.left + f.right) / 2, y: labelY, size: Self.labelFont, anchor: .middle))
            labelY += Self.labelFont * 1.2
        }
        // y axis: spine left of the frame.
        let ySpine = f.left - Self.spineOffset
        out.append(Draw.line(ySpine, f.top, ySpine, f.bottom, stroke: ink, width: width))
        for tick in y.ticks {
            guard let fy = y.fraction(tick.value) else { continue }
            let py = f.bottom - fy * f.height
            out.append(Draw.line(ySpine - Self.tickLength, py, ySpine, py, stroke: ink, width: width))
            out.append(Draw.text(tick.label, x: ySpine - Self.tickLength - 4, y: py + Self.tickFont * 0.35, size: Self.tickFont, anchor: .end))
        }
        var labelX = 6 + Self.labelFont * 0.85
        for line in yLabelLines {
            out.append(Draw.text(line, x: labelX, y: (f.top + f.bottom) / 2, size: Self.labelFont, anchor: .middle, rotate: -90))
            labelX += Self.labelFont * 1.2
        }
        return out
    }
}
