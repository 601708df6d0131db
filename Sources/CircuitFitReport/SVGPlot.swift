import CircuitFitCore

/// A marker drawn at each data point.
public enum MarkerShape: Sendable, Equatable { case circle, square, triangle, diamond, none }

/// How one series looks: colour, dash pattern, marker.
public struct SeriesStyle: Sendable, Equatable {
    public var color: String
    /// SVG stroke-dasharray (nil = solid).
    public var dash: String?
    public var marker: MarkerShape
    public var lineWidth: Double
    public var markerRadius: Double
    /// Marker fill (nil = `color`).
    public var markerFill: String?
    /// Marker outline: white by default, so touching markers stay apart.
    public var outline: String
    public var outlineWidth: Double
    public init(
        color: String, dash: String? = nil, marker: MarkerShape = .circle, lineWidth: Double = 1.8,
        markerRadius: Double = 3.6, markerFill: String? = nil, outline: String = "#FFFFFF", outlineWidth: Double = 0.8
    ) {
        self.color = color; self.dash = dash; self.marker = marker; self.lineWidth = lineWidth
        self.markerRadius = markerRadius; self.markerFill = markerFill; self.outline = outline
        self.outlineWidth = outlineWidth
    }
}

/// Medians with their interquartile range at a set of x values (equal-length arrays).
public struct SummarySeries: Sendable, Equatable {
    public var x: [Double]
    public var median: [Double]
    public var lower: [Double]
    public var upper: [Double]
    public var style: SeriesStyle
    /// Horizontal shift in pixels, so error bars of series that share x values do not overlap.
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
    /// Markers only.
    case scatter(x: [Double], y: [Double], style: SeriesStyle)
    /// A full-width horizontal reference line (e.g. an untrained-network floor).
    case horizontalRule(y: Double, color: String, dash: String?, label: String?)
    /// A full-height vertical reference line (e.g. the go cue, or Re = 0), label at its top.
    case verticalRule(x: Double, color: String, dash: String?, label: String?)
}

/// The plot area of a panel in the panel's own coordinates (y grows downwards).
public struct PlotFrame: Sendable, Equatable {
    public var left: Double, top: Double, right: Double, bottom: Double
    public var width: Double { right - left }
    public var height: Double { bottom - top }
}

/// One chart: two axes, marks, an optional title. Axes are drawn offset a few pixels outside the
/// plot area (the "despined" style of many journals), with light horizontal grid lines at the y
/// ticks. The axis domain ends exactly at the plot frame: a point at the x axis minimum has
/// cx = frame.left.
public struct PlotPanel: Sendable, Equatable {
    public var title: String?
    public var x: PlotAxis
    public var y: PlotAxis
    public var marks: [PlotMark]
    /// Whole panel size, margins included (pixels).
    public var width: Double
    public var height: Double

    public init(title: String? = nil, x: PlotAxis, y: PlotAxis, marks: [PlotMark], width: Double = 420, height: Double = 300) {
        self.title = title; self.x = x; self.y = y; self.marks = marks; self.width = width; self.height = height
    }

    // Type sizes and spacing, pixels.
    static let tickFont = 11.0
    static let labelFont = 12.5
    static let titleFont = 13.0
    static let spineOffset = 9.0
    static let tickLength = 4.0

    /// The plot area: margins leave room for tick labels, axis labels (wrapped to fit) and title.
    public var frame: PlotFrame {
        let yTickWidth = y.ticks.map { SVG.textWidth($0.label, size: Self.tickFont) }.max() ?? 0
        let left = 6 + Double(yLabelLines.count) * Self.labelFont * 1.2 + 6 + yTickWidth + 3 + Self.tickLength + Self.spineOffset
        let lastX = x.ticks.last.map { SVG.textWidth($0.label, size: Self.tickFont) / 2 } ?? 0
        let right = width - max(10, lastX + 2)
        let top = title == nil ? 10 : 10 + Self.titleFont * 1.5
        let bottom = height - (Self.spineOffset + Self.tickLength + 4 + Self.tickFont + 6
            + Double(xLabelLines.count) * Self.labelFont * 1.2 + 2)
        return PlotFrame(left: left, top: top, right: right, bottom: bottom)
    }

    private var yLabelLines: [String] {
        // Wrapped to the plot height, estimated without the frame to avoid a cycle.
        let available = height - (title == nil ? 10 : 30) - 60
        return SVG.wrap(y.label, width: max(60, available), size: Self.labelFont)
    }

    private var xLabelLines: [String] {
        SVG.wrap(x.label, width: max(60, width - 90), size: Self.labelFont)
    }

    /// Pixel position of a data point, or nil when it cannot be drawn.
    public func position(_ xValue: Double, _ yValue: Double) -> (Double, Double)? {
        position(xValue, yValue, in: frame)
    }

    private func position(_ xValue: Double, _ yValue: Double, in f: PlotFrame) -> (Double, Double)? {
        guard let fx = x.fraction(xValue), let fy = y.fraction(yValue) else { return nil }
        let px = f.left + fx * f.width, py = f.bottom - fy * f.height
        guard px.isFinite && py.isFinite else { return nil }
        return (px, py)
    }

    /// The panel as an SVG group in its own coordinates (origin at its top-left corner).
    public func renderGroup(letter: String? = nil) -> String {
        var out: [String] = []
        let f = frame
        // Grid lines at the y ticks.
        for tick in y.ticks {
            guard let fy = y.fraction(tick.value) else { continue }
            let py = f.bottom - fy * f.height
            out.append(SVG.line(f.left, py, f.right, py, stroke: ColorPalette.lightGrey, width: 0.8))
        }
        // Bands first, so every line and marker lies on top of every band.
        for mark in marks { if case .summary(let s) = mark { out += bands(s, f) } }
        for mark in marks {
            switch mark {
            case .horizontalRule(let value, let color, let dash, let label):
                guard let fy = y.fraction(value), fy.isFinite else { continue }
                let py = f.bottom - fy * f.height
                out.append(SVG.line(f.left, py, f.right, py, stroke: color, width: 1.4, dash: dash))
                if let label {
                    out.append(SVG.text(label, x: f.right - 2, y: py - 4, size: 10, anchor: "end", fill: color))
                }
            case .verticalRule(let value, let color, let dash, let label):
                guard let fx = x.fraction(value), fx.isFinite else { continue }
                let px = f.left + fx * f.width
                out.append(SVG.line(px, f.top, px, f.bottom, stroke: color, width: 1.2, dash: dash))
                if let label {
                    out.append(SVG.text(label, x: px + 3, y: f.top + 10, size: 10, fill: color))
                }
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
            case .scatter(let xs, let ys, let style):
                out += markers(x: xs, y: ys, style: style, dodge: 0, f)
            default:
                continue
            }
        }
        out += axes(f)
        if let title {
            var tx = f.left - Self.spineOffset
            if let letter {
                out.append(SVG.text(letter, x: tx, y: 10 + Self.titleFont, size: Self.titleFont + 2, weight: "bold"))
                tx += SVG.textWidth(letter, size: Self.titleFont + 2) + 8
            }
            out.append(SVG.text(title, x: tx, y: 10 + Self.titleFont, size: Self.titleFont))
        }
        return out.joined(separator: "\n")
    }

    /// The panel alone as a complete SVG document.
    public func svg() -> String {
        "<svg xmlns=\"\(SVG.namespace)\" width=\"\(SVG.n(width))\" height=\"\(SVG.n(height))\" viewBox=\"0 0 \(SVG.n(width)) \(SVG.n(height))\" font-family=\"\(SVG.fontFamily)\">\n"
            + renderGroup() + "\n</svg>"
    }

    // MARK: marks

    /// Drawable pixel positions of (x[i], y[i]) (nil where not drawable), shifted by `dodge`.
    private func pixels(_ xs: [Double], _ ys: [Double], dodge: Double, _ f: PlotFrame) -> [(Double, Double)?] {
        (0..<min(xs.count, ys.count)).map { i in position(xs[i], ys[i], in: f).map { ($0.0 + dodge, $0.1) } }
    }

    /// True when the segment from point i to point i+1 crosses the break of a log-with-zero axis.
    private func crossesBreak(_ xs: [Double], _ i: Int) -> Bool {
        x.scale == .logWithZero && (xs[i] == 0) != (xs[i + 1] == 0)
    }

    private func lines(x xs: [Double], y ys: [Double], style: SeriesStyle, dodge: Double, _ f: PlotFrame) -> [String] {
        let p = pixels(xs, ys, dodge: dodge, f)
        var out: [String] = []
        var run: [(Double, Double)] = []
        func flush() { if run.count >= 2 { out.append(SVG.polyline(run, style: style)) }; run = [] }
        for i in p.indices {
            guard let point = p[i] else { flush(); continue }
            if i > 0, p[i - 1] != nil, crossesBreak(xs, i - 1) {
                flush()
                // Across the axis break the slope means nothing: a thin dotted join.
                var thin = style
                thin.lineWidth = max(1, style.lineWidth * 0.6)
                out.append(SVG.polyline([p[i - 1]!, point], style: thin, dash: "1.5 3"))
            }
            run.append(point)
        }
        flush()
        return out
    }

    private func markers(x xs: [Double], y ys: [Double], style: SeriesStyle, dodge: Double, _ f: PlotFrame) -> [String] {
        pixels(xs, ys, dodge: dodge, f).compactMap { $0 }.map { SVG.marker(style.marker, x: $0.0, y: $0.1, style: style) }
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

    private func bands(_ s: SummarySeries, _ f: PlotFrame) -> [String] {
        intervalRuns(s, f).filter { $0.count >= 2 }.map { run in
            let upper = run.map { ($0.1, $0.3) }
            let lower = run.reversed().map { ($0.1, $0.2) }
            return "<path d=\"\(SVG.pathData(upper + lower, closed: true))\" fill=\"\(s.style.color)\" fill-opacity=\"0.18\" stroke=\"none\"/>"
        }
    }

    private func errorBars(_ s: SummarySeries, _ f: PlotFrame) -> [String] {
        intervalRuns(s, f).filter { $0.count == 1 }.map { run in
            let (_, px, low, high) = run[0]
            let cap = 4.0
            let d = SVG.pathData([(px, low), (px, high)]) + " " + SVG.pathData([(px - cap, low), (px + cap, low)])
                + " " + SVG.pathData([(px - cap, high), (px + cap, high)])
            return "<path d=\"\(d)\" fill=\"none\" stroke=\"\(s.style.color)\" stroke-width=\"1.3\"/>"
        }
    }

    // MARK: axes

    private func axes(_ f: PlotFrame) -> [String] {
        var out: [String] = []
        let ink = "#222222"
        // x axis: spine below the frame, ticks, labels, axis label.
        let xSpine = f.bottom + Self.spineOffset
        if x.scale == .logWithZero {
            // A break between the tick at 0 and the log part, marked by two slashes.
            let gap = f.left + PlotAxis.zeroGap * 0.5 * f.width
            out.append(SVG.line(f.left - 3, xSpine, gap - 3, xSpine, stroke: ink, width: 1))
            out.append(SVG.line(gap + 3, xSpine, f.right, xSpine, stroke: ink, width: 1))
            for dx in [-3.0, 3.0] {
                out.append(SVG.line(gap + dx - 2, xSpine + 4, gap + dx + 2, xSpine - 4, stroke: ink, width: 1))
            }
        } else {
            out.append(SVG.line(f.left, xSpine, f.right, xSpine, stroke: ink, width: 1))
        }
        for tick in x.ticks {
            guard let fx = x.fraction(tick.value) else { continue }
            let px = f.left + fx * f.width
            out.append(SVG.line(px, xSpine, px, xSpine + Self.tickLength, stroke: ink, width: 1))
            out.append(SVG.text(tick.label, x: px, y: xSpine + Self.tickLength + 3 + Self.tickFont * 0.85, size: Self.tickFont, anchor: "middle"))
        }
        var labelY = xSpine + Self.tickLength + 4 + Self.tickFont + 6 + Self.labelFont * 0.85
        for line in xLabelLines {
            out.append(SVG.text(line, x: (f.left + f.right) / 2, y: labelY, size: Self.labelFont, anchor: "middle"))
            labelY += Self.labelFont * 1.2
        }
        // y axis: spine left of the frame.
        let ySpine = f.left - Self.spineOffset
        out.append(SVG.line(ySpine, f.top, ySpine, f.bottom, stroke: ink, width: 1))
        for tick in y.ticks {
            guard let fy = y.fraction(tick.value) else { continue }
            let py = f.bottom - fy * f.height
            out.append(SVG.line(ySpine - Self.tickLength, py, ySpine, py, stroke: ink, width: 1))
            out.append(SVG.text(tick.label, x: ySpine - Self.tickLength - 3, y: py + Self.tickFont * 0.35, size: Self.tickFont, anchor: "end"))
        }
        var labelX = 6 + Self.labelFont * 0.85
        for line in yLabelLines {
            out.append(SVG.text(line, x: labelX, y: (f.top + f.bottom) / 2, size: Self.labelFont, anchor: "middle", rotate: -90))
            labelX += Self.labelFont * 1.2
        }
        return out
    }
}
