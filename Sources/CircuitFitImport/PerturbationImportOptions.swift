import CircuitFitCore

/// How `import` finds a recording's perturbation trials (docs/recordings.md § Perturbation
/// trials): which units each trial perturbed, how, when and how strongly. Trials that perturb
/// nothing are the control trials and give `recorded` exactly as without these options; each
/// distinct (units, kind, window, amplitude) is one perturbation set, whose trials give
/// `perturbed_recorded` [P, C, T, M]. Times of `windowMs` are ms from the alignment event; times
/// in columns are s on the trial's clock (the clock of its start_time and events). An empty
/// string means "not used".
public struct PerturbationImportOptions: Codable, Equatable, Sendable {
    /// How the unit numbers of `column` name units.
    public enum UnitReference: String, Codable, Sendable, CaseIterable {
        /// The units table's ids (NWB units `id`, `unit_ids`): the dataset's `neuron_ids`.
        case ids
        /// Positions in the file's units table, from 0.
        case indices
    }

    /// Trials column with each trial's perturbed units: text "3;7;12" (also "," or spaces as
    /// separators, brackets allowed), a number (one unit) or a list (a ragged NWB column, a MAT
    /// cell of vectors or vector field); empty, "none", "control", [] or NaN for a control trial.
    public var column: String = ""
    public var units: UnitReference = .ids
    /// The kind of every perturbation, or, when `kindColumn` names a trials column of text
    /// ("silence" / "stimulate"), each trial's own.
    public var kind: PerturbationKind = .silence
    public var kindColumn: String = ""
    /// The window [start, end) in ms from the alignment event, for every perturbed trial, or
    /// (when `startColumn`/`stopColumn` are set) each trial's own from those columns (s).
    public var windowMs: [Double] = []
    public var startColumn: String = ""
    public var stopColumn: String = ""
    /// Stimulus size of stimulate trials, Hz (the step input of docs/method.md § Perturbation
    /// trials), or each trial's own from `amplitudeColumn` (Hz). Not used for silence.
    public var stimulusHz: Double = 0
    public var amplitudeColumn: String = ""
    /// The last `heldOutSets` sets (in order of their first trial in the trials table) are held
    /// out of training (`perturbation_train` = 0).
    public var heldOutSets: Int = 0
    /// NWB: an OptogeneticSeries (its name, a path, or "auto" = the file's only one) whose
    /// nonzero samples give each trial's window; its trials without stimulus are controls.
    public var optogeneticSeries: String = ""
    /// NWB with `optogeneticSeries`: a units-table column (numbers or booleans); the units where
    /// it is nonzero are the ones every stimulated trial perturbs (e.g. opto-tagged units).
    /// Alternative: `column`.
    public var perturbedUnitsColumn: String = ""

    public init() {}

    /// Whether any source of perturbations is named (else the options are not in use).
    public var isUsed: Bool { !column.isEmpty || !optogeneticSeries.isEmpty }

    /// Checks the options make sense on their own; errors name the option.
    func validate() throws {
        func need(_ ok: Bool, _ message: String) throws {
            if !ok { throw CircuitFitError("import options: perturbation: \(message)") }
        }
        try need(isUsed, "name the perturbed units' trials column (--perturbation-column) or an OptogeneticSeries (--optogenetic-series)")
        if optogeneticSeries.isEmpty {
            try need(perturbedUnitsColumn.isEmpty, "--perturbed-units-column goes with --optogenetic-series (the units a stimulus series acts on)")
        } else {
            try need(column.isEmpty != perturbedUnitsColumn.isEmpty, "with --optogenetic-series, name the perturbed units either by a trials column (--perturbation-column) or by a units-table column (--perturbed-units-column), one of the two")
            try need(windowMs.isEmpty && startColumn.isEmpty && stopColumn.isEmpty, "with --optogenetic-series the window comes from the series; leave out --perturbation-window-ms and the start/stop columns")
        }
        try need(startColumn.isEmpty == stopColumn.isEmpty, "--perturbation-start-column and --perturbation-stop-column go together")
        if !windowMs.isEmpty {
            try need(windowMs.count == 2 && windowMs.allSatisfy(\.isFinite) && windowMs[1] > windowMs[0],
                     "the window needs START,END ms from the alignment event with END > START, got \(windowMs)")
            try need(startColumn.isEmpty, "give the window either as --perturbation-window-ms or as start/stop columns, not both")
        }
        try need(!optogeneticSeries.isEmpty || !windowMs.isEmpty || !startColumn.isEmpty,
                 "no window: give --perturbation-window-ms START,END (ms from the alignment event) or --perturbation-start-column/--perturbation-stop-column")
        try need(stimulusHz.isFinite, "stimulusHz must be finite, got \(stimulusHz)")
        try need(heldOutSets >= 0, "heldOutSets must be ≥ 0, got \(heldOutSets)")
        if kind == .stimulate && kindColumn.isEmpty {
            try need(stimulusHz != 0 || !amplitudeColumn.isEmpty, "stimulate needs the stimulus size: --stimulus-hz A (Hz) or --stimulus-hz-column NAME")
        }
    }
}
