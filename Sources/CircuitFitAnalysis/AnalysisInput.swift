import CircuitFitCore

/// Input checks and small matrix helpers shared by the analysis metrics.
///
/// Every metric takes `(samples, features)` matrices: one row per sample (a time step of a
/// condition), one column per neuron, unit or output channel.

extension Matrix where Element == Double {
    /// The mean of each column: a `cols`-long vector.
    var columnMeans: [Double] {
        var mean = [Double](repeating: 0, count: cols)
        guard rows > 0 else { return mean }
        for i in 0..<rows { for j in 0..<cols { mean[j] += data[i * cols + j] } }
        return mean.map { $0 / Double(rows) }
    }

    /// This matrix with `mean` subtracted from every row.
    func subtractingRow(_ mean: [Double]) -> Matrix<Double> {
        var out = self
        for i in 0..<rows { for j in 0..<cols { out.data[i * cols + j] -= mean[j] } }
        return out
    }

    /// This matrix with its own column means subtracted.
    var columnCentred: Matrix<Double> { subtractingRow(columnMeans) }

    /// `rows×cols`, for error messages.
    var shapeText: String { "\(rows)×\(cols)" }

    /// This matrix widened to `width` columns with zeros on the right.
    func zeroPadded(toColumns width: Int) -> Matrix<Double> {
        if width == cols { return self }
        var out = Matrix(rows: rows, cols: width)
        for i in 0..<rows { for j in 0..<cols { out.data[i * width + j] = data[i * cols + j] } }
        return out
    }
}

enum AnalysisInput {
    /// Throws unless every value of `m` is finite.
    static func requireFinite(_ m: Matrix<Double>, _ metric: String, _ name: String) throws {
        if let bad = m.data.firstIndex(where: { !$0.isFinite }) {
            throw CircuitFitError(
                "\(metric): \(name) (\(m.shapeText)) contains \(m.data[bad]) at row \(bad / max(m.cols, 1)), column \(bad % max(m.cols, 1))")
        }
    }

    /// Throws unless every value of `v` is finite.
    static func requireFinite(_ v: [Double], _ metric: String, _ name: String) throws {
        if let bad = v.firstIndex(where: { !$0.isFinite }) {
            throw CircuitFitError("\(metric): \(name) (\(v.count) values) contains \(v[bad]) at index \(bad)")
        }
    }

    /// Throws unless `x` and `y` have the same number of rows (paired samples).
    static func requireSameSamples(
        _ x: Matrix<Double>, _ y: Matrix<Double>, _ metric: String, _ xName: String = "X", _ yName: String = "Y"
    ) throws {
        if x.rows != y.rows {
            throw CircuitFitError(
                "\(metric): \(xName) has \(x.rows) samples (\(x.shapeText)) but \(yName) has \(y.rows) (\(y.shapeText)); rows must be paired samples")
        }
    }
}
