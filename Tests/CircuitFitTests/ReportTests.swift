import Foundation
import XCTest
@testable import CircuitFitCore
@testable import CircuitFitModel
@testable import CircuitFitAnalysis
@testable import CircuitFitImport
@testable import CircuitFitReport
@testable import CircuitFitCircuit
@testable import CircuitFitFitting
@testable import CircuitFitExperiment
import CircuitFitTestSupport

/// The report renderer: tick choice, data → pixel mapping, escaping, odd data, self-containment,
/// determinism. The page's look is checked by eye (see the report branch's notes), not here.
final class ReportTests: XCTestCase {
    // MARK: ticks

    func testLinearTicksOnKnownRanges() {
        func values(_ lo: Double, _ hi: Double, _ maxTicks: Int = 7) -> [Double] { NiceTicks.linear(lo, hi, maxTicks: maxTicks).ticks.map(\.value) }
        func labels(_ lo: Double, _ hi: Double) -> [String] { NiceTicks.linear(lo, hi).ticks.map(\.label) }
        XCTAssertEqual(values(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1])
        XCTAssertEqual(labels(0, 1), ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
        // Widened to the enclosing multiples of the step.
        let inner = NiceTicks.linear(0.13, 0.87)
        XCTAssertEqual(inner.ticks.map(\.value), [0, 0.2, 0.4, 0.6, 0.8, 1])
        XCTAssertEqual(inner.lower, 0); XCTAssertEqual(inner.upper, 1)
        XCTAssertEqual(values(3, 97), [0, 20, 40, 60, 80, 100])
        XCTAssertEqual(labels(3, 97), ["0", "20", "40", "60", "80", "100"])
        XCTAssertEqual(values(0.85, 0.99), [0.85, 0.9, 0.95, 1])
        XCTAssertEqual(values(-100, 500, 8), [-100, 0, 100, 200, 300, 400, 500])
        XCTAssertEqual(values(-2.3, 0.2), [-2.5, -2, -1.5, -1, -0.5, 0, 0.5])
        XCTAssertEqual(labels(-2.3, 0.2), ["−2.5", "−2.0", "−1.5", "−1.0", "−0.5", "0.0", "0.5"])
    }

    func testLinearTicksOnDegenerateRanges() {
        // All-equal values: widened by 10%, no zero-width domain.
        let flat = NiceTicks.linear(0.5, 0.5)
        XCTAssertLessThan(flat.lower, 0.5); XCTAssertGreaterThan(flat.upper, 0.5)
        XCTAssertEqual(flat.ticks.map(\.value), [0.44, 0.46, 0.48, 0.5, 0.52, 0.54, 0.56])
        let zero = NiceTicks.linear(0, 0)
        XCTAssertEqual(zero.ticks.map(\.value), [-1, -0.5, 0, 0.5, 1])
        // Non-finite ends fall back to [0, 1]; reversed ends are swapped.
        XCTAssertEqual(NiceTicks.linear(.nan, .infinity).ticks.map(\.value), [0, 0.2, 0.4, 0.6, 0.8, 1])
        XCTAssertEqual(NiceTicks.linear(1, 0).ticks.map(\.value), [0, 0.2, 0.4, 0.6, 0.8, 1])
        // An axis over no finite values at all still has width.
        let axis = PlotAxis.linear(label: "y", covering: [.nan, .nan])
        XCTAssertLessThan(axis.lower, axis.upper)
    }

    func testLogTicks() {
        let m = NiceTicks.log(2, 200)
        XCTAssertEqual(m.ticks.map(\.value), [2, 5, 10, 20, 50, 100, 200])
        XCTAssertEqual(m.ticks.map(\.label), ["2", "5", "10", "20", "50", "100", "200"])
        XCTAssertEqual(m.lower, 2); XCTAssertEqual(m.upper, 200)
        // Widened to 1-2-5 numbers.
        let odd = NiceTicks.log(3, 70)
        XCTAssertEqual(odd.ticks.map(\.value), [2, 5, 10, 20, 50, 100])
        XCTAssertEqual(NiceTicks.log(0.013, 0.4).ticks.map(\.label), ["0.01", "0.02", "0.05", "0.1", "0.2", "0.5"])
        // Beyond 3.5 decades only powers of ten.
        XCTAssertEqual(NiceTicks.log(1e-3, 100).ticks.map(\.value), [1e-3, 1e-2, 0.1, 1, 10, 100])
        // Under a decade: linear 1-2-5 ticks, the lower end kept positive.
        let narrow = NiceTicks.log(0.031, 0.066)
        XCTAssertEqual(narrow.ticks.map(\.label), ["0.03", "0.04", "0.05", "0.06", "0.07"])
        XCTAssertEqual(narrow.lower, 0.03); XCTAssertEqual(narrow.upper, 0.07)
        XCTAssertEqual(NiceTicks.log(0.02, 0.1).ticks.map(\.value), [0.02, 0.04, 0.06, 0.08, 0.1])
        XCTAssertEqual(NiceTicks.log(0.021, 0.09).ticks.map(\.label), ["0.02", "0.04", "0.06", "0.08", "0.10"])
        XCTAssertEqual(NiceTicks.log(0.01, 0.1).ticks.map(\.value), [0.01, 0.02, 0.05, 0.1])
        // One value: widened by 10%.
        XCTAssertEqual(NiceTicks.log(10, 10).ticks.map(\.value), [9, 9.5, 10, 10.5, 11])
    }

    func testLogWithZeroAxisPutsZeroAtTheLeftEdge() {
        let axis = PlotAxis.logWithZero(label: "M", covering: [0, 2, 5, 10, 20, 50, 100, 200])
        XCTAssertEqual(axis.ticks.map(\.label), ["0", "2", "5", "10", "20", "50", "100", "200"])
        XCTAssertEqual(axis.fraction(0), 0)
        XCTAssertEqual(axis.fraction(2)!, PlotAxis.zeroGap, accuracy: 1e-12)
        XCTAssertEqual(axis.fraction(200)!, 1, accuracy: 1e-12)
        XCTAssertEqual(axis.fraction(20)!, PlotAxis.zeroGap + (1 - PlotAxis.zeroGap) / 2, accuracy: 1e-12)
        XCTAssertNil(axis.fraction(-1)); XCTAssertNil(axis.fraction(.nan))
        XCTAssertNil(PlotAxis.log(label: "", covering: [1, 10]).fraction(0))
    }

    // MARK: data → pixels

    func testPointsAtTheAxisEndsLandOnTheFrameEdges() throws {
        let style = SeriesStyle(color: "#0072B2", marker: .circle)
        let panel = PlotPanel(
            x: .linear(label: "x (ms)", covering: [0, 1]), y: .linear(label: "y (Hz)", covering: [0, 1]),
            marks: [.scatter(x: [0, 1, 0.5], y: [0, 1, 0.25], style: style)], width: 400, height: 300)
        let frame = panel.frame
        XCTAssertGreaterThan(frame.left, 0); XCTAssertLessThan(frame.right, 400)
        let circles = try circleCentres(panel.svg())
        XCTAssertEqual(circles.count, 3)
        XCTAssertEqual(circles[0].0, frame.left, accuracy: 0.01)
        XCTAssertEqual(circles[0].1, frame.bottom, accuracy: 0.01)
        XCTAssertEqual(circles[1].0, frame.right, accuracy: 0.01)
        XCTAssertEqual(circles[1].1, frame.top, accuracy: 0.01)
        XCTAssertEqual(circles[2].0, frame.left + 0.5 * frame.width, accuracy: 0.01)
        XCTAssertEqual(circles[2].1, frame.bottom - 0.25 * frame.height, accuracy: 0.01)
    }

    func testSummaryLineOnTheMAxisSpansTheFrame() throws {
        // M = 0 at the left edge, M = 200 at the right edge, through the path data of the median line.
        let ms: [Double] = [0, 2, 20, 200]
        let series = SummarySeries(x: ms, median: [0.2, 0.4, 0.6, 0.8], lower: [0.1, 0.3, 0.5, 0.7], upper: [0.3, 0.5, 0.7, 0.9],
                                   style: SeriesStyle(color: "#D55E00", marker: .circle))
        let panel = PlotPanel(
            x: .logWithZero(label: "M", covering: ms), y: .linear(label: "CCA", covering: [0, 1]),
            marks: [.summary(series)], width: 500, height: 300)
        let f = panel.frame
        let svg = panel.svg()
        let circles = try circleCentres(svg)
        XCTAssertEqual(circles.map(\.0).first!, f.left, accuracy: 0.01)
        XCTAssertEqual(circles.map(\.0).last!, f.right, accuracy: 0.01)
        XCTAssertEqual(circles[1].0, f.left + PlotAxis.zeroGap * f.width, accuracy: 0.01)
        XCTAssertEqual(circles.last!.1, f.bottom - 0.8 * f.height, accuracy: 0.01)
        // The solid median line runs over the positive M (2 → 200); M = 0 joins it dotted.
        let paths = pathData(svg)
        let solid = try XCTUnwrap(paths.first { $0.d.hasPrefix("M") && $0.attributes.contains("stroke=\"#D55E00\"") && !$0.attributes.contains("dasharray") })
        let points = try parsePoints(solid.d)
        XCTAssertEqual(points.count, 3)
        XCTAssertEqual(points.first!.0, f.left + PlotAxis.zeroGap * f.width, accuracy: 0.01)
        XCTAssertEqual(points.last!.0, f.right, accuracy: 0.01)
        XCTAssertTrue(paths.contains { $0.attributes.contains("stroke-dasharray=\"2 4\"") })
        // The band covers the three positive points; M = 0 gets an error bar.
        XCTAssertEqual(paths.filter { $0.attributes.contains("fill-opacity") }.count, 1)
    }

    // MARK: escaping and odd data

    func testTextIsEscaped() {
        XCTAssertEqual(Escaping.html("a < b & \"c\" > 'd'"), "a &lt; b &amp; &quot;c&quot; &gt; &#39;d&#39;")
        var report = minimalReport()
        report.configuration = [ConfigurationEntry("note", "<script>alert(1)</script>")]
        report.title = "R&D <b>"
        report.notes = ["x < y"]
        let html = HTMLReport.render(report)
        XCTAssertTrue(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        XCTAssertFalse(html.lowercased().contains("<script"))
        XCTAssertTrue(html.contains("R&amp;D &lt;b&gt;"))
        XCTAssertFalse(html.contains("<b>"))
        XCTAssertTrue(html.contains("x &lt; y"))
    }

    func testNaNMediansAreNotDrawnAndAreNoted() throws {
        var report = minimalReport()
        report.curves = [SimilarityCurve(arm: "plain", lambda: 1, metric: "CCA mean (top 10)", points: [
            CurvePoint(recorded: 0, median: 0.7, lowerQuartile: 0.65, upperQuartile: 0.75, seeds: 10),
            CurvePoint(recorded: 10, median: .nan, lowerQuartile: 0.8, upperQuartile: 0.9, seeds: 10),
            CurvePoint(recorded: 20, median: 0.9, lowerQuartile: .infinity, upperQuartile: 0.95, seeds: 10),
            CurvePoint(recorded: 50, median: 0.92, lowerQuartile: 0.9, upperQuartile: 0.94, seeds: 10),
            CurvePoint(recorded: 100, median: 0.95, lowerQuartile: 0.93, upperQuartile: 0.96, seeds: 10),
        ])]
        let html = HTMLReport.render(report)
        let svg = try XCTUnwrap(svgBlocks(html).first)
        for path in pathData(svg) {
            XCTAssertFalse(path.d.lowercased().contains("nan"), path.d)
            XCTAssertFalse(path.d.lowercased().contains("inf"), path.d)
            XCTAssertNoThrow(try parsePoints(path.d))
        }
        for (x, y) in try circleCentres(svg) { XCTAssertTrue(x.isFinite && y.isFinite) }
        XCTAssertFalse(svg.contains("NaN"))
        // Four finite medians → four markers; the caption lists the two skipped values.
        XCTAssertEqual(try circleCentres(svg).count, 4)
        XCTAssertTrue(html.contains("2 values not drawn (not finite)"))
        XCTAssertTrue(html.contains("M = 10 (median NaN)"))
        XCTAssertTrue(html.contains("M = 20 (lower quartile infinite)"))
    }

    func testSinglePointAndAllEqualValuesRender() throws {
        var report = minimalReport()
        report.curves = [SimilarityCurve(arm: "plain", lambda: 0, metric: "held-out-neuron R²", points: [
            CurvePoint(recorded: 20, median: 0.5, lowerQuartile: 0.5, upperQuartile: 0.5, seeds: 1),
        ])]
        report.traces = [OutputTraces(condition: "flat", timesMs: [0, 5, 10], goTimeMs: 0, valueLabel: "output (a.u.)",
                                      muscles: [MuscleTrace(name: "m1", target: [1, 1, 1], outputs: [LabelledSeries(label: "model", values: [1, 1, 1])])])]
        report.spectra = [EigenvalueSpectrum(label: "one", unit: "1/τ", eigenvalues: [ComplexValue(0, 0)])]
        let html = HTMLReport.render(report)
        let svgs = svgBlocks(html)
        XCTAssertEqual(svgs.count, 3)
        for svg in svgs {
            XCTAssertFalse(svg.contains("NaN")); XCTAssertFalse(svg.lowercased().contains("inf"))
            for path in pathData(svg) { XCTAssertNoThrow(try parsePoints(path.d)) }
        }
        // The lone point is drawn (a marker and an error bar, no band).
        XCTAssertEqual(try circleCentres(svgs[0]).count, 1)
        XCTAssertTrue(html.contains("n = 1 seed per point"))
    }

    func testEmptySectionsAreOmittedWithANote() {
        let html = HTMLReport.render(minimalReport())
        XCTAssertFalse(html.contains("<svg"))
        XCTAssertFalse(html.contains("<figure"))
        XCTAssertTrue(html.contains("Not in this report: claims (none were evaluated); similarity curves (no data); example outputs (no data); population trajectories (no data); eigenvalue spectra (no data)."))
        XCTAssertTrue(html.contains("id=\"configuration\""))
    }

    // MARK: the page

    func testPageIsSelfContained() {
        let html = HTMLReport.render(.sample())
        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>"))
        let withoutNamespace = html.replacingOccurrences(of: "xmlns=\"http://www.w3.org/2000/svg\"", with: "")
        XCTAssertFalse(withoutNamespace.contains("http://"))
        XCTAssertFalse(withoutNamespace.contains("https://"))
        XCTAssertFalse(html.lowercased().contains("<script"))
        XCTAssertFalse(html.lowercased().contains("<link"))
        XCTAssertFalse(html.lowercased().contains("@import"))
        XCTAssertFalse(html.contains("src="))
        XCTAssertFalse(html.contains("url("))
        // The downloadable SVGs are complete documents too.
        for link in html.components(separatedBy: "href=\"data:image/svg+xml;base64,").dropFirst() {
            let encoded = String(link.prefix { $0 != "\"" })
            let svg = String(decoding: Data(base64Encoded: encoded)!, as: UTF8.self)
            XCTAssertTrue(svg.hasPrefix("<?xml"))
            XCTAssertFalse(svg.replacingOccurrences(of: "xmlns=\"http://www.w3.org/2000/svg\"", with: "").contains("http"))
        }
    }

    func testSampleRendersEveryFigureNumberedAndCaptioned() {
        let html = HTMLReport.render(.sample())
        // 4 metrics + 1 trace figure + trajectories + spectra.
        XCTAssertEqual(svgBlocks(html).count, 7)
        for n in 1...7 {
            XCTAssertTrue(html.contains("<strong>Figure \(n).</strong>"), "figure \(n)")
            XCTAssertTrue(html.contains("download=\"figure-\(n).svg\""))
        }
        XCTAssertFalse(html.contains("Figure 8."))
        XCTAssertTrue(html.contains("median over n = 10 seeds per point"))
        XCTAssertTrue(html.contains("interquartile range"))
        XCTAssertTrue(html.contains("5 of 6 claims hold"))
        XCTAssertEqual(html.components(separatedBy: "✓</span> holds").count - 1, 5)
        XCTAssertEqual(html.components(separatedBy: "✗</span> does not hold").count - 1, 1)
        XCTAssertTrue(html.contains("number of recorded neurons M"))
        XCTAssertTrue(html.contains("time (ms)"))
        XCTAssertFalse(html.contains("NaN"))
    }

    func testRenderingIsDeterministicAndRoundTripsThroughJSON() throws {
        let report = ExperimentReport.sample()
        let first = HTMLReport.render(report)
        XCTAssertEqual(first, HTMLReport.render(ExperimentReport.sample()))
        let decoded = try JSONDecoder().decode(ExperimentReport.self, from: JSONEncoder().encode(report))
        XCTAssertEqual(decoded, report)
        XCTAssertEqual(HTMLReport.render(decoded), first)
    }

    func testNumberFormatting() {
        XCTAssertEqual(ReportFormat.fixed(-0.0001, decimals: 2), "0.00")
        XCTAssertEqual(ReportFormat.coordinate(12.50), "12.5")
        XCTAssertEqual(ReportFormat.coordinate(40), "40")
        XCTAssertEqual(ReportFormat.pValue(0.0137), "0.014")
        XCTAssertEqual(ReportFormat.pValue(0.000977), "9.8 × 10⁻⁴")
        XCTAssertEqual(ReportFormat.scientific(9.99e-5, digits: 2), "1.0 × 10⁻⁴")
        XCTAssertEqual(ReportFormat.duration(seconds: 7384), "2 h 03 min")
        XCTAssertEqual(ReportFormat.duration(seconds: 125), "2 min 05 s")
        XCTAssertEqual(ReportFormat.plain(0.1), "0.1")
        XCTAssertEqual(ReportFormat.plain(1), "1")
    }

    func testCyclicColoursWrapAround() {
        XCTAssertEqual(ColorPalette.cyclic(angle: 0), ColorPalette.cyclic(angle: 2 * Double.pi))
        XCTAssertNotEqual(ColorPalette.cyclic(angle: 0), ColorPalette.cyclic(angle: Double.pi))
        XCTAssertTrue(ColorPalette.cyclic(angle: 1).hasPrefix("#"))
        XCTAssertEqual(ColorPalette.cyclic(angle: 1).count, 7)
    }

    // MARK: helpers

    private func minimalReport() -> ExperimentReport {
        ExperimentReport(title: "t", created: "2026-01-01T00:00:00Z", configuration: [ConfigurationEntry("seeds", "1")], commandLine: "circuitfit experiment")
    }

    private func svgBlocks(_ html: String) -> [String] {
        html.components(separatedBy: "<svg ").dropFirst().map { "<svg " + ($0.components(separatedBy: "</svg>").first ?? "") }
    }

    /// (cx, cy) of every <circle> in the panels (not the legend), in document order.
    private func circleCentres(_ svg: String) throws -> [(Double, Double)] {
        let panels = svg.range(of: "<g transform=").map { String(svg[$0.lowerBound...]) } ?? svg
        return try panels.components(separatedBy: "<circle ").dropFirst().map { element in
            (try XCTUnwrap(Double(attribute("cx", element))), try XCTUnwrap(Double(attribute("cy", element))))
        }
    }

    /// The d attribute and the rest of every <path>.
    private func pathData(_ svg: String) -> [(d: String, attributes: String)] {
        svg.components(separatedBy: "<path ").dropFirst().map { element in
            let tag = String(element.prefix { $0 != ">" })
            return (attribute("d", tag), tag)
        }
    }

    private func attribute(_ name: String, _ element: String) -> String {
        guard let range = element.range(of: " \(name)=\"") ?? (element.hasPrefix("\(name)=\"") ? element.range(of: "\(name)=\"") : nil) else { return "" }
        return String(element[range.upperBound...].prefix { $0 != "\"" })
    }

    /// Points of path data made of "M x,y L x,y … [Z]" commands; throws on anything else.
    private func parsePoints(_ d: String) throws -> [(Double, Double)] {
        var points: [(Double, Double)] = []
        for token in d.split(separator: " ") {
            if token == "Z" { continue }
            guard let command = token.first, command == "M" || command == "L" else { throw CircuitFitError("bad path token \(token)") }
            let parts = token.dropFirst().split(separator: ",")
            guard parts.count == 2, let x = Double(parts[0]), let y = Double(parts[1]), x.isFinite, y.isFinite else {
                throw CircuitFitError("bad path point \(token)")
            }
            points.append((x, y))
        }
        return points
    }
}
