extension RNNParameters {
    /// `parameters` (laid out for `spec`, whose Dale's law or mask turn the stored J block into
    /// the effective weights) with the J block replaced by those effective weights, in `layout`:
    /// the same network for a spec without sign constraint or mask, as model.npz stores it.
    public init(layout: ParameterLayout, effectiveOf parameters: RNNParameters, spec: RNNSpec) throws {
        try self.init(layout: layout, values: parameters.values)
        self[.J] = parameters.effectiveJ(spec: spec)[...]
    }
}
