import CircuitFitCore

/// Eigenvalues in the complex plane, one panel per spectrum, with the stability line Re = 0
/// dashed (and the real axis Im = 0 faint). Every panel shares one x and one y range, so
/// spectra compare at a glance; the x range always includes 0 and the y range is symmetric about
/// 0 (spectra of real matrices are).
enum SpectrumFigure {
    static func style(_ i: Int) -> SeriesStyle {
        var style = ColorPalette.seriesStyle(i)
        style.markerRadius = 3.6
        style.outlineWidth = 0.6
        return style
    }

    static func figure(_ spectra: [EigenvalueSpectrum]) -> ReportFigure? {
        let spectra = spectra.filter { !$0.eigenvalues.isEmpty }
        guard !spectra.isEmpty else { return nil }
        var skipped = SkippedValues()
        let columns = min(3, spectra.count)
        let width = (FigureLayout.figureWidth / Double(max(2, columns))).rounded(.down)
        let all = spectra.flatMap(\.eigenvalues).filter { $0.re.isFinite && $0.im.isFinite }
        let reach = all.map { abs($0.im) }.max() ?? 1
        let units = unique(spectra.map(\.unit))
        let unit = units.count == 1 ? units[0] : units.joined(separator: " or ")
        let xAxis = PlotAxis.linear(label: "real part (\(unit))", covering: all.map(\.re) + [0], maxTicks: 6)
        let yAxis = PlotAxis.linear(label: "imaginary part (\(unit))", covering: [-reach, reach], maxTicks: 7)
        let panels = spectra.enumerated().map { i, spectrum -> PlotPanel in
            for (k, z) in spectrum.eigenvalues.enumerated() where !(z.re.isFinite && z.im.isFinite) {
                skipped.add("\(spectrum.label), eigenvalue \(k + 1)")
            }
            let marks: [PlotMark] = [
                .horizontalRule(y: 0, color: "#BBBBBB", dash: nil, label: nil),
                .verticalRule(x: 0, color: "#444444", dash: "5 3", label: "Re = 0"),
                .scatter(x: spectrum.eigenvalues.map(\.re), y: spectrum.eigenvalues.map(\.im), style: style(i)),
            ]
            return PlotPanel(title: spectrum.label + (units.count > 1 ? " (\(spectrum.unit))" : ""), x: xAxis, y: yAxis, marks: marks, width: width, height: 430)
        }
        let legend = [LegendEntry("stability boundary Re = 0 (modes to its left decay)", .rule(color: "#444444", dash: "5 3"))]
        let counts = spectra.enumerated().map { i, s in
            "\(spectra.count > 1 ? CurveFigure.letter(i) + ", " : "")\(s.label): \(s.eigenvalues.count) eigenvalue\(s.eigenvalues.count == 1 ? "" : "s")"
        }
        var caption = "Eigenvalue spectra in the complex plane (" + counts.joined(separator: "; ") + ")."
        caption += " Dashed vertical line: Re = 0, the stability boundary of the continuous-time linear dynamics; eigenvalues to its left are decaying modes, to its right growing ones. All panels share their axes."
        caption += skipped.sentence()
        let svg = SVGFigure(title: "Eigenvalue spectra", panels: panels, columns: max(2, columns), legend: legend)
        return ReportFigure(figure: svg, caption: caption, numbersTable: nil)
    }
}
