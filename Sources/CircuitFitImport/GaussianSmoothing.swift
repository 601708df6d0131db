import Foundation
import CircuitFitCore

/// Smooths a binned rate time series with a Gaussian kernel of SD `sdBins` bins, truncated at
/// ±4 SD.
///
/// Edges: the kernel is cut at the window's ends and renormalised by the weight that remains, so
/// each output is a weighted mean of the bins inside the window (a constant rate stays constant
/// up to the edges; no zero padding pulls the ends down, no reflection invents data).
public struct GaussianSmoother: Sendable {
    /// Kernel weights for offsets 0, 1, …, halfWidth (symmetric).
    private let weights: [Double]

    /// A smoother for SD `sdMs` ms on bins of `binMs` ms; SD 0 leaves series unchanged.
    public init(sdMs: Double, binMs: Double) {
        let sd = sdMs / binMs
        guard sd > 0 else { weights = [1]; return }
        // a kernel wider than the longest window (BinGrid.maximumBins) reaches no further bin
        let halfWidth = Int(min((4 * sd).rounded(.up), Double(BinGrid.maximumBins)))
        weights = (0...halfWidth).map { exp(-Double($0 * $0) / (2 * sd * sd)) }
    }

    public var isIdentity: Bool { weights.count == 1 }
    /// Bins the kernel reaches on each side (0 = no smoothing).
    public var halfWidth: Int { weights.count - 1 }

    /// The smoothed series.
    public func smooth(_ series: [Double]) -> [Double] {
        guard !isIdentity else { return series }
        let n = series.count, half = min(weights.count - 1, max(n - 1, 0))
        return (0..<n).map { t in
            var sum = 0.0, weight = 0.0
            for j in max(-half, -t)...min(half, n - 1 - t) {
                let w = weights[abs(j)]
                sum += w * series[t + j]
                weight += w
            }
            return sum / weight
        }
    }
}
