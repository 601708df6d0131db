import Foundation
import CircuitFitCore

/// Population trajectories on each system's own top three PCs: for every system two panels,
/// PC1–PC2 and PC1–PC3; one colour per condition from a cyclic map of the reach angle; training
/// conditions solid, held-out conditions dashed; the start of each trajectory marked.
enum TrajectoryFigure {
    static var projections: [(String, String, KeyPath<PCPoint, Double>, KeyPath<PCPoint, Double>, Int, Int)] { [
        ("PC1", "PC2", \.pc1, \.pc2, 0, 1),
        ("PC1", "PC3", \.pc1, \.pc3, 0, 2),
    ] }

    static func figure(_ sets: [TrajectorySet]) -> ReportFigure? {
        let sets = sets.filter { !$0.conditions.isEmpty }
        guard !sets.isEmpty else { return nil }
        var skipped = SkippedValues()
        let columns = sets.count >= 2 ? 4 : 2
        let size = (FigureLayout.figureWidth / Double(columns)).rounded(.down)
        var panels: [PlotPanel] = []
        var anyHeldOut = false
        for set in sets {
            for (c, condition) in set.conditions.enumerated() {
                for (t, p) in condition.points.enumerated() where !(p.pc1.isFinite && p.pc2.isFinite && p.pc3.isFinite) {
                    skipped.add("\(set.label), condition \(c + 1), step \(t)")
                }
                if !condition.angle.isFinite { skipped.add("\(set.label), condition \(c + 1): reach angle not finite (drawn grey)") }
                anyHeldOut = anyHeldOut || condition.heldOut
            }
            for (xName, yName, xPath, yPath, xIndex, yIndex) in projections {
                let xs = set.conditions.flatMap { $0.points.map { $0[keyPath: xPath] } }
                let ys = set.conditions.flatMap { $0.points.map { $0[keyPath: yPath] } }
                let xAxis = PlotAxis.linear(label: axisLabel(xName, xIndex, set), covering: xs, maxTicks: 6)
                let yAxis = PlotAxis.linear(label: axisLabel(yName, yIndex, set), covering: ys, maxTicks: 6)
                var marks: [PlotMark] = []
                // Training conditions on top of held-out ones.
                for condition in set.conditions.sorted(by: { $0.heldOut && !$1.heldOut }) {
                    let style = conditionStyle(condition)
                    let px = condition.points.map { $0[keyPath: xPath] }, py = condition.points.map { $0[keyPath: yPath] }
                    marks.append(.line(x: px, y: py, style: style, markers: false))
                    if let start = condition.points.firstIndex(where: { $0[keyPath: xPath].isFinite && $0[keyPath: yPath].isFinite }) {
                        marks.append(.scatter(x: [px[start]], y: [py[start]], style: startStyle(style.color)))
                    }
                }
                panels.append(PlotPanel(title: "\(set.label): \(xName)–\(yName)", x: xAxis, y: yAxis, marks: marks, width: size, height: size))
            }
        }
        var legend = [
            LegendEntry("reach angle θ", .angleWheel),
            LegendEntry("training condition", .series(SeriesStyle(color: "#555555", marker: .none), band: false)),
        ]
        if anyHeldOut {
            legend.append(LegendEntry("held-out condition", .series(SeriesStyle(color: "#555555", dash: "5 3", marker: .none), band: false)))
        }
        legend.append(LegendEntry("start (preparatory state)", .marker(startStyle("#FFFFFF"))))

        let pairs = sets.enumerated().map { i, set in
            "\(CurveFigure.letter(2 * i))–\(CurveFigure.letter(2 * i + 1)), \(set.label)"
        }
        var caption = "Population trajectories projected on each system's own top three principal components (PCs): "
        caption += pairs.joined(separator: "; ") + "."
        caption += " Colour: reach angle (cyclic colour map, legend); solid lines: training conditions"
        caption += anyHeldOut ? "; dashed: held-out conditions" : ""
        caption += "; circle: start of the trajectory. Each system's PCs are its own (not aligned across systems), so compare the shapes, not the orientations; each panel's axes are scaled to its data."
        caption += skipped.sentence()
        let svg = SVGFigure(title: "Population trajectories", panels: panels, columns: columns, legend: legend)
        return ReportFigure(figure: svg, caption: caption, numbersTable: nil)
    }

    /// "PC1 (Hz)" or "PC1, 42% var. (Hz)".
    private static func axisLabel(_ name: String, _ index: Int, _ set: TrajectorySet) -> String {
        var label = name
        if let explained = set.varianceExplained, index < explained.count, explained[index].isFinite {
            label += ", " + ReportFormat.fixed(100 * explained[index], decimals: 0) + "% var."
        }
        return label + " (\(set.unit))"
    }

    static func conditionStyle(_ condition: ConditionTrajectory) -> SeriesStyle {
        let color = condition.angle.isFinite ? ColorPalette.cyclic(angle: condition.angle) : ColorPalette.grey
        return SeriesStyle(color: color, dash: condition.heldOut ? "5 3" : nil, marker: .none, lineWidth: 1.6)
    }

    static func startStyle(_ color: String) -> SeriesStyle {
        SeriesStyle(color: color, marker: .circle, markerRadius: 3.4, outline: "#222222", outlineWidth: 1)
    }
}
