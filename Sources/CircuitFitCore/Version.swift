/// CircuitFit's version, recorded in every output's `config.json`.
public enum CircuitFitVersion {
    public static let string = "0.2.0"
}
