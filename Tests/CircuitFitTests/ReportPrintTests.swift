import Foundation
import XCTest
@testable import CircuitFitCore
@testable import CircuitFitAnalysis
@testable import CircuitFitReport
import CircuitFitTestSupport

/// Paper-grade figures: type at least 7 pt at the print width, the PDF a valid file of the same
/// drawing, per-seed points and the task-only band on the curves, floors off the axis noted
/// instead of stretching it, shared axes where panels compare, trajectories aligned before they
/// are overlaid.
final class ReportPrintTests: XCTestCase {
    /// Every text item of a drawing, with its type size in layout units.
    private func texts(_ items: [DrawItem]) -> [(String, Double)] {
        items.flatMap { item -> [(String, Double)] in
            switch item {
            case .text(let s, _, let size, _, _, _, _): return [(s, size)]
            case .group(_, _, let inner): return texts(inner)
            default: return []
            }
        }
    }

    private func count(_ items: [DrawItem], where test: (DrawItem) -> Bool) -> Int {
        items.reduce(0) { total, item in
            if case .group(_, _, let inner) = item { return total + count(inner, where: test) }
            return total + (test(item) ? 1 : 0)
        }
    }

    private func sampleFigures() -> [ReportFigure] {
        let report = ExperimentReport.sample()
        return CurveFigure.figures(report) + [TraceFigure.grid(report.traces, heading: "test"), OverlayFigure.figure(report.overlays), SpectrumFigure.figure(report.spectra)].compactMap { $0 }
    }

    func testTypeIsAtLeastSevenPointsAtPrintWidth() {
        let figures = sampleFigures()
        XCTAssertEqual(figures.count, 7)
        for figure in figures {
            let drawing = figure.figure.drawing()
            XCTAssertLessThanOrEqual(drawing.printWidthMM, 180.0001, figure.figure.title)
            let smallest = texts(drawing.items).map(\.1).min() ?? 0
            XCTAssertGreaterThanOrEqual(FigureLayout.points(smallest), 7.0, "\(figure.figure.title): smallest text \(FigureLayout.points(smallest)) pt")
        }
        // 1160 layout units print at 180 mm = 510.2 pt.
        XCTAssertEqual(FigureLayout.points(FigureLayout.figureWidth), 180 / 25.4 * 72, accuracy: 1e-9)
    }

    /// The PDF is a well-formed PDF 1.4 file (every xref offset points at its object), sized to the
    /// drawing's print size, with one text object per text item and one painted shape per shape.
    func testPDFIsTheSameDrawingAtPrintSize() throws {
        let figure = try XCTUnwrap(sampleFigures().first)
        let drawing = figure.figure.drawing()
        let bytes = [UInt8](PDFWriter.pdf(drawing))
        let text = String(decoding: bytes, as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("%PDF-1.4\n"))
        XCTAssertTrue(text.hasSuffix("%%EOF\n"))
        // xref: each entry's offset starts "k 0 obj".
        let xrefStart = Int(text.components(separatedBy: "startxref\n")[1].split(separator: "\n")[0])!
        let table = String(decoding: bytes[xrefStart...], as: UTF8.self).split(separator: "\n")
        XCTAssertEqual(table[0], "xref")
        let count = Int(table[1].split(separator: " ")[1])!
        for k in 1..<count {
            let offset = Int(table[2 + k].prefix(10))!
            XCTAssertEqual(String(decoding: bytes[offset..<offset + "\(k) 0 obj".utf8.count], as: UTF8.self), "\(k) 0 obj")
        }
        // MediaBox at print size (pt).
        let box = try XCTUnwrap(text.range(of: #"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]"#, options: .regularExpression))
        let numbers = text[box].split(separator: " ").compactMap { Double($0.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))) }
        XCTAssertEqual(numbers.count, 4, "\(text[box])")
        guard numbers.count == 4 else { return }
        XCTAssertEqual(numbers[2], FigureLayout.points(drawing.width), accuracy: 0.001)
        XCTAssertEqual(numbers[3], FigureLayout.points(drawing.height), accuracy: 0.001)
        // The length of the content stream is its real length.
        let length = Int(text.components(separatedBy: "/Length ")[1].prefix { $0.isNumber })!
        let streamStart = text.range(of: "stream\n")!.upperBound
        let streamEnd = text.range(of: "\nendstream")!.lowerBound
        XCTAssertEqual(text[streamStart..<streamEnd].utf8.count, length)
        // One BT…ET per text item; every text is visible (not clipped to zero size).
        XCTAssertEqual(text.components(separatedBy: " BT ").count - 1, texts(drawing.items).count)
        let shapes = self.count(drawing.items) { if case .text = $0 { return false }; return true }
        XCTAssertGreaterThanOrEqual(text.components(separatedBy: " Q").count - 1, shapes - 5, "nearly every shape painted (invisible ones skipped)")
        // Greek and minus go through the Symbol font, Latin through Helvetica.
        let lambdaRuns = FontMetrics.runs("λ = −1")
        XCTAssertEqual(lambdaRuns.map(\.font), [.symbol, .helvetica, .symbol, .helvetica])
        XCTAssertEqual(FontMetrics.width("1000", size: 10), 22.24, accuracy: 1e-9, "Helvetica digits are 556/1000 em")
    }

    func testCurvesDrawEverySeedAndTheTaskOnlyBandAndKeepTheAxisOnTheData() throws {
        var report = ExperimentReport(title: "t", created: "now")
        let values = [0.08, 0.09, 0.085, 0.1, 0.095]
        report.curves = [SimilarityCurve(arm: "plain", lambda: 1, metric: "output NMSE, held-out conditions", points: [
            CurvePoint(recorded: 5, median: 0.09, lowerQuartile: 0.085, upperQuartile: 0.095, seeds: 5, values: values),
            CurvePoint(recorded: 20, median: 0.1, lowerQuartile: 0.09, upperQuartile: 0.11, seeds: 5, values: values.map { $0 + 0.01 }),
        ])]
        report.metrics = [MetricInfo(metric: "output NMSE, held-out conditions", untrainedFloor: 4.7, direction: .lowerIsBetter,
                                     taskOnly: [TaskOnlyReference(arm: "plain", median: 0.085, lowerQuartile: 0.08, upperQuartile: 0.09, fits: 10)])]
        let figure = try XCTUnwrap(CurveFigure.figures(report).first)
        let panel = figure.figure.panels[0]
        XCTAssertEqual(panel.y.scale, .linear)
        XCTAssertLessThan(panel.y.upper, 0.5, "the untrained floor (4.7) does not stretch the axis")
        XCTAssertTrue(panel.marks.contains { if case .edgeNote(let text, true, _) = $0 { return text.contains("4.70") }; return false })
        XCTAssertFalse(panel.marks.contains { if case .horizontalRule = $0 { return true }; return false })
        let items = panel.items()
        let seedDots = count(items) { if case .circle(_, let r, _) = $0 { return r < 4 }; return false }
        XCTAssertEqual(seedDots, 10, "every seed's value")
        let bands = count(items) { if case .rect(_, _, _, _, let p) = $0 { return p.fillOpacity == 0.16 }; return false }
        XCTAssertEqual(bands, 1, "one task-only band")
        XCTAssertTrue(figure.caption.contains("task-only networks (λ = 0)") && figure.caption.contains("Linear y axis"))
    }

    func testSpectraShareTheirAxes() throws {
        let spectra = [
            EigenvalueSpectrum(label: "a", unit: "1/τ", eigenvalues: [ComplexValue(-5, 2), ComplexValue(-5, -2)]),
            EigenvalueSpectrum(label: "b", unit: "1/τ", eigenvalues: [ComplexValue(0.5, 9), ComplexValue(0.5, -9)]),
        ]
        let figure = try XCTUnwrap(SpectrumFigure.figure(spectra))
        XCTAssertEqual(figure.figure.panels[0].x, figure.figure.panels[1].x)
        XCTAssertEqual(figure.figure.panels[0].y, figure.figure.panels[1].y)
        XCTAssertLessThanOrEqual(figure.figure.panels[0].x.lower, -5)
        XCTAssertGreaterThanOrEqual(figure.figure.panels[0].y.upper, 9)
    }

    /// A model that is a rotated, scaled copy of the reference (in more dimensions) aligns onto it
    /// exactly; an unrelated one does not.
    func testAlignmentRecoversARotatedScaledCopy() throws {
        var random = SeededRandom(seed: 11)
        let c = 6, t = 40, n = 12
        var reference = Array3<Double>(c, t, n, repeating: 0)
        for k in 0..<c { for s in 0..<t { for j in 0..<n {
            reference[k, s, j] = 10 * sin(Double(s) / 7 + Double(k) + Double(j) * 0.7) * exp(-Double(j) / 4) + Double(j)
        } } }
        // model = 0.05 × reference · R (R: a random 12 × 20 matrix with orthonormal rows) + 3.
        let g = Matrix<Double>(rows: 20, cols: 20, data: (0..<400).map { _ in random.normal() })
        let q = try SingularValueDecomposition(g).u
        var model = Array3<Double>(c, t, 20, repeating: 0)
        for k in 0..<c { for s in 0..<t { for h in 0..<20 {
            var sum = 3.0
            for j in 0..<n { sum += 0.05 * reference[k, s, j] * q[j, h] }
            model[k, s, h] = sum
        } } }
        let aligned = try TrajectoryAlignment().align(model: model, reference: reference, fit: [0, 1, 2, 3], heldOut: [4, 5])
        XCTAssertEqual(aligned.r2Fit ?? 0, 1, accuracy: 1e-9)
        XCTAssertEqual(aligned.r2HeldOut ?? 0, 1, accuracy: 1e-9)
        XCTAssertEqual(aligned.scale, 20, accuracy: 1e-6)
        for index in aligned.model.data.indices { XCTAssertEqual(aligned.model.data[index], aligned.reference.data[index], accuracy: 1e-7) }
        var noise = Array3<Double>(c, t, 20, repeating: 0)
        for index in noise.data.indices { noise.data[index] = random.normal() }
        let unrelated = try TrajectoryAlignment().align(model: noise, reference: reference, fit: [0, 1, 2, 3], heldOut: [4, 5])
        XCTAssertLessThan(unrelated.r2HeldOut ?? 1, 0.3)
    }

    /// The overlay figure puts model and reference on the same axes, shared down each column.
    func testOverlayPanelsShareAxesPerColumn() throws {
        let figure = try XCTUnwrap(OverlayFigure.figure(ExperimentReport.sample().overlays))
        let panels = figure.figure.panels
        XCTAssertEqual(panels.count, 6, "two models × (PC1–PC2, PC1–PC3 training; PC1–PC2 held out)")
        for column in 0..<3 {
            XCTAssertEqual(panels[column].x, panels[3 + column].x)
            XCTAssertEqual(panels[column].y, panels[3 + column].y)
        }
        let lines = panels[0].marks.filter { if case .line = $0 { return true }; return false }
        XCTAssertEqual(lines.count, 16, "8 training conditions × (reference, model)")
    }

    /// The page offers every figure as SVG (print size in mm) and PDF.
    func testEveryFigureDownloadsAsSVGAndPDF() throws {
        let html = HTMLReport.render(.sample())
        let figures = html.components(separatedBy: "<figure id=").count - 1
        XCTAssertEqual(html.components(separatedBy: "href=\"data:application/pdf;base64,").count - 1, figures)
        for link in html.components(separatedBy: "href=\"data:image/svg+xml;base64,").dropFirst() {
            let svg = String(decoding: Data(base64Encoded: String(link.prefix { $0 != "\"" }))!, as: UTF8.self)
            let width = try XCTUnwrap(svg.range(of: #"width="([\d.]+)mm""#, options: .regularExpression).map { Double(svg[$0].dropFirst(7).dropLast(3))! })
            XCTAssertTrue(width > 40 && width <= 180, "printed at most 180 mm wide: \(width) mm")
        }
        for link in html.components(separatedBy: "href=\"data:application/pdf;base64,").dropFirst() {
            let pdf = Data(base64Encoded: String(link.prefix { $0 != "\"" }))!
            XCTAssertTrue(pdf.starts(with: Array("%PDF-1.4".utf8)))
        }
    }
}
