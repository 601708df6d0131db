import CircuitFitCore

/// Output error (docs/method.md#output-error): the normalised mean squared error
///
///     NMSE = Σ_{s,k} (z_sk − z*_sk)² / Σ_{s,k} (z*_sk − mean_s z*_k)²  =  1 − R²,
///
/// where s runs over samples (all time steps of the chosen conditions) and k over output channels,
/// and mean_s z*_k is the mean of target channel k over those samples. Numerator and denominator
/// are each pooled over channels before dividing (so channels with more variance weigh more).
/// 0 is a perfect fit; 1 is no better than predicting each channel's mean.
///
/// `predicted` and `target` are `(samples, K)` matrices of the same shape.
public func normalizedMSE(predicted: Matrix<Double>, target: Matrix<Double>) throws -> Double {
    let metric = "normalized MSE"
    guard predicted.rows == target.rows && predicted.cols == target.cols else {
        throw CircuitFitError("\(metric): predicted is \(predicted.shapeText) but target is \(target.shapeText); they must match")
    }
    guard target.rows > 0 && target.cols > 0 else { throw CircuitFitError("\(metric): empty target (\(target.shapeText))") }
    try AnalysisInput.requireFinite(predicted, metric, "predicted")
    try AnalysisInput.requireFinite(target, metric, "target")
    let mean = target.columnMeans
    var error = 0.0, variance = 0.0
    for i in 0..<target.rows {
        for k in 0..<target.cols {
            let z = target[i, k]
            let e = predicted[i, k] - z
            let c = z - mean[k]
            error += e * e
            variance += c * c
        }
    }
    guard variance > 0 else {
        throw CircuitFitError("\(metric): the target (\(target.shapeText)) is constant in every channel, so the error cannot be normalised")
    }
    return error / variance
}

/// The normalised MSE of `normalizedMSE(predicted:target:)` on the time steps of `conditions` of
/// two `[C, T, K]` arrays (model outputs and targets), stacked into `(conditions·T, K)` matrices.
public func normalizedMSE(predicted: Array3<Double>, target: Array3<Double>, conditions: [Int]) throws -> Double {
    guard predicted.shape == target.shape else {
        throw CircuitFitError("normalized MSE: predicted has shape \(predicted.shape) but target has \(target.shape); they must match")
    }
    return try normalizedMSE(
        predicted: stackConditions(predicted, conditions: conditions),
        target: stackConditions(target, conditions: conditions))
}
