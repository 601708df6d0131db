/// The one error type CircuitFit throws for bad input or a failed run: a single line that names
/// the file, the array and the expected versus actual value. The CLI prints it as `error: …`.
public struct CircuitFitError: Error, CustomStringConvertible, Equatable, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
