/// A dense 3-D array in C order, `data[(i * d1 + j) * d2 + k]`: CircuitFit's layout for
/// per-condition time series, `[C, T, X]` (conditions, time steps, channels).
public struct Array3<Element: Sendable>: Sendable {
    public var d0: Int
    public var d1: Int
    public var d2: Int
    public var data: [Element]

    public init(_ d0: Int, _ d1: Int, _ d2: Int, repeating value: Element) {
        precondition(d0 >= 0 && d1 >= 0 && d2 >= 0, "Array3: negative size")
        self.d0 = d0; self.d1 = d1; self.d2 = d2
        data = [Element](repeating: value, count: d0 * d1 * d2)
    }

    public init(_ d0: Int, _ d1: Int, _ d2: Int, data: [Element]) {
        precondition(data.count == d0 * d1 * d2, "Array3: \(data.count) values for [\(d0),\(d1),\(d2)]")
        self.d0 = d0; self.d1 = d1; self.d2 = d2
        self.data = data
    }

    public var shape: [Int] { [d0, d1, d2] }

    @inlinable public subscript(i: Int, j: Int, k: Int) -> Element {
        get { data[(i * d1 + j) * d2 + k] }
        set { data[(i * d1 + j) * d2 + k] = newValue }
    }
}

extension Array3: Equatable where Element: Equatable {}
