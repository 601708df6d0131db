import Foundation
import CircuitFitCore
import CircuitFitModel
import CircuitFitAnalysis
import CircuitFitImport
import CircuitFitReport
import CircuitFitCircuit
import CircuitFitFitting
import CircuitFitExperiment

/// A live progress line on standard error: rewritten in place on a terminal, one line every
/// few seconds otherwise (logs, CI, Slurm): every `CIRCUITFIT_PROGRESS_INTERVAL` seconds when that
/// is set (the Python package sets 0.5), else 5.
final class ProgressLine {
    let label: String
    let isTerminal = isatty(STDERR_FILENO) == 1
    var lastPrint = Date.distantPast
    var lastText = ""
    var shownText = ""
    let interval: TimeInterval

    init(label: String, interval: TimeInterval? = nil) {
        self.label = label
        self.interval = interval ?? (isatty(STDERR_FILENO) == 1 ? 0.1 : Self.pipedInterval)
    }

    /// Seconds between lines when standard error is not a terminal.
    static let pipedInterval: TimeInterval = {
        let text = ProcessInfo.processInfo.environment["CIRCUITFIT_PROGRESS_INTERVAL"] ?? ""
        guard let seconds = Double(text), seconds.isFinite, seconds >= 0 else { return 5 }
        return seconds
    }()

    func update(_ text: String) {
        lastText = text
        let now = Date()
        guard now.timeIntervalSince(lastPrint) >= interval else { return }
        lastPrint = now
        emit()
    }

    private func emit() {
        shownText = lastText
        let line = "\(label): \(lastText)"
        FileHandle.standardError.write(Data((isTerminal ? "\r\u{1B}[K" + line : line + "\n").utf8))
    }

    func finish() {
        if lastText.isEmpty { return }
        if shownText != lastText { emit() }
        if isTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}

/// A number with a fixed count of decimals.
func format(_ x: Double, _ decimals: Int) -> String { String(format: "%.\(decimals)f", x) }

/// Seconds as a short duration: 42 s, 3 min 5 s, 1 h 2 min.
func formatDuration(_ s: Double) -> String {
    if !s.isFinite { return "?" }
    if s < 60 { return "\(Int(s.rounded())) s" }
    if s < 3600 { return "\(Int(s) / 60) min \(Int(s) % 60) s" }
    return "\(Int(s) / 3600) h \(Int(s) % 3600 / 60) min"
}
