import ArgumentParser
import Foundation
import CircuitFitCore
import CircuitFitModel
import CircuitFitAnalysis
import CircuitFitImport
import CircuitFitReport
import CircuitFitCircuit
import CircuitFitFitting
import CircuitFitExperiment

/// The options of one fit, shared by `train` and `experiment` (which applies them to every fit).
struct FitOptions: ParsableArguments {
    @Option(help: "JSON file with any FitConfig field (the \"config\" object of a fit's config.json), or a fit's whole config.json to repeat that fit; flags override it.")
    var fitConfig: String?
    @Option(parsing: .unconditional, help: "Exact number of optimiser steps: the fit does not stop at convergence (whether and when the criterion was met is still recorded). Default: stop at convergence, at most --max-iterations.")
    var iterations: Int?
    @Option(parsing: .unconditional, help: "The most optimiser steps; the fit stops earlier once converged (default 5000; see docs/method.md#convergence).")
    var maxIterations: Int?
    @Option(help: "Optimiser: \(OptimizerKind.allValueStrings.joined(separator: ", ")) (default adam, with warm-up and a plateau schedule; lbfgs and gauss-newton need --noise 0; see docs/method.md#the-optimiser-and-stopping).")
    var optimizer: OptimizerKind?
    @Option(parsing: .unconditional, help: "Model units H (default 200).")
    var hidden: Int?
    @Option(help: "Neural-term mapping: identity (each recorded neuron tied to a unit) or linear (a learned readout). Default identity.")
    var mapping: NeuralMapping?
    @Option(parsing: .unconditional, help: "Adam's base learning rate (default 0.01, reached after a 200-step warm-up, halved on plateaus; only with --optimizer adam).")
    var learningRate: Double?
    @Option(parsing: .unconditional, help: "L2 penalty on the rates, β_r (default 0).")
    var betaRate: Double?
    @Option(parsing: .unconditional, help: "L2 penalty on J, B and C (default 0).")
    var betaWeights: Double?
    @Flag(help: "Dale's law in the model (circuit's E/I split; recorded neurons tied to units of their own type).")
    var dale = false
    @Flag(help: "Draw recorded neurons from excitatory neurons only.")
    var excitatoryOnly = false
    @Option(parsing: .unconditional, help: "Recurrent noise σ (default 0 = off).")
    var noise: Double?
    @Option(parsing: .unconditional, help: "Training conditions set aside as a validation split; turns on early stopping on their loss unless --iterations is given (default 0).")
    var validation: Int?
    @Option(parsing: .unconditional, help: "Training angles removed from the fit and scored separately (generalisation protocol b; default 0).")
    var exclude: Int?
    @Option(help: "Train on the dataset's first N training perturbation sets too: each adds, per fit condition, a perturbation trial in which the tied units of the set's neurons are clamped or driven as the circuit's were (docs/method.md#perturbation-trials; needs a dataset with a perturbation table, identity mapping, M > 0). Default 0: control trials only. In `experiment`, a comma-separated list of P values, one plan value each (e.g. 0,1,4,16; docs/method.md#perturbation-sets-in-the-experiment).")
    var perturbationSets: String?

    /// `base` (defaults or a file) with these flags applied.
    func config(base: FitConfig = FitConfig()) throws -> FitConfig {
        var c = base
        if let fitConfig {
            if c.perturbationSets == nil { c.perturbationSets = 0 }    // so that a file may set it
            c = try loadFitConfig(c, from: URL(fileURLWithPath: fitConfig))
            if c.perturbationSets == 0 && base.perturbationSets == nil { c.perturbationSets = nil }
        }
        if let perturbationSets {
            guard let n = Int(perturbationSets.trimmingCharacters(in: .whitespaces)), n >= 0 else {
                throw CircuitFitError("--perturbation-sets: expected one number N ≥ 0 for a fit, got '\(perturbationSets)'")
            }
            c.perturbationSets = n > 0 ? n : nil
        }
        if let maxIterations { c.iterations = maxIterations; c.stopAtConvergence = true }
        if let iterations { c.iterations = iterations; c.stopAtConvergence = false; c.earlyStopping = false }
        if let optimizer { c.optimizer = optimizer }
        if let hidden { c.hidden = hidden }
        if let mapping { c.mapping = mapping }
        if let learningRate { c.learningRate = learningRate }
        if let betaRate { c.betaRate = betaRate }
        if let betaWeights { c.betaJ = betaWeights; c.betaIn = betaWeights; c.betaOut = betaWeights }
        if dale { c.dale = true }
        if excitatoryOnly { c.recordExcitatoryOnly = true }
        if let noise { c.noiseSD = noise }
        if let validation {
            c.validationConditions = validation
            if validation > 0 && iterations == nil { c.earlyStopping = true }   // --iterations: exactly N steps
        }
        if let exclude { c.excludeTrainingConditions = exclude }
        return c
    }
}

extension OptimizerKind: ExpressibleByArgument {}

/// `base` overlaid with a fit-config file: a JSON object of FitConfig fields, or the config.json a
/// fit wrote (recognised by its "circuitfit_version" and "config" keys), whose "config" object is
/// then used, so `--fit-config fit/config.json` repeats that fit.
func loadFitConfig(_ base: FitConfig, from url: URL) throws -> FitConfig {
    guard let data = try? Data(contentsOf: url),
          let record = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
          record["circuitfit_version"] != nil, let inner = record["config"] as? [String: Any]
    else { return try ConfigFile.load(base, from: url) }  // also reports unreadable or invalid files
    let json = try JSONSerialization.data(withJSONObject: inner)
    return try ConfigFile.overlay(base, json: json, source: "\(url.lastPathComponent) (its \"config\" object)")
}
