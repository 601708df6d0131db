import Foundation
import CircuitFitExperiment

/// Shows an experiment backend's events on standard error: one live line for the circuit being
/// generated, one for the fits (done, failed, running with their step, elapsed, ETA), and notes.
final class ExperimentEventPrinter: @unchecked Sendable {
    private let lock = NSLock()
    private var circuitLine: ProgressLine?
    private var fitsLine: ProgressLine?

    func handle(_ event: ExperimentEvent) {
        lock.lock(); defer { lock.unlock() }
        switch event {
        case .note(let text):
            say(text)
        case .circuitStep(let name, let step, let max, let alpha, let target):
            if circuitLine == nil { circuitLine = ProgressLine(label: "circuits") }
            circuitLine?.update("\(name): stability optimisation step \(step)/\(max), spectral abscissa \(format(alpha, 4)) → target \(target)")
        case .circuitDone(let summary):
            circuitLine?.update(summary)
            circuitLine?.finish()
            circuitLine = nil
        case .fitsPlanned(let total, let done, let toRun, let workers):
            say("\(total) fits planned, \(done) already done, \(toRun) to run on \(workers) worker(s)")
        case .fits(let p):
            if fitsLine == nil { fitsLine = ProgressLine(label: "experiment") }
            let running = p.running.map { $0.iterations > 0 ? "\($0.id) \($0.iteration)/\($0.iterations)" : $0.id }
            var text = "\(p.finished)/\(p.total) fits (\(p.failed) failed)"
            if !running.isEmpty { text += ", running " + running.prefix(4).joined(separator: ", ") + (running.count > 4 ? ", …" : "") }
            text += ", \(formatDuration(p.elapsedSeconds)) elapsed, ETA \(p.etaSeconds.map(formatDuration) ?? "?")"
            fitsLine?.update(text)
            if p.finished == p.total { fitsLine?.finish(); fitsLine = nil }
        }
    }
}
