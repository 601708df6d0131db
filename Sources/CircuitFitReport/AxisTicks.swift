import Foundation
import CircuitFitCore

/// A tick mark: where it sits (data units) and what it says.
public struct AxisTick: Equatable, Sendable {
    public var value: Double
    public var label: String
    public init(_ value: Double, _ label: String) { self.value = value; self.label = label }
}

/// One axis of a plot: its label, scale, domain and ticks, and the map from data values to a
/// fraction 0…1 of the axis length (0 = left/bottom edge of the plot frame, 1 = right/top edge).
///
/// Domains are widened to round numbers so the frame ends on a tick (linear: a multiple of the
/// 1-2-5 step; log: a 1-2-5 number), and never have zero width.
///
/// `.logWithZero` is the axis for the number of recorded neurons M ∈ {0, 2, 5, …, 200}: positive
/// values on a log₁₀ scale over the right `1 − zeroGap` of the axis, and 0 as a separate tick at the
/// left edge, with a break in the axis line between them (a log axis has no place for 0, and a
/// symlog axis would give 0…1 as much room as a decade). Lines may still join the point at 0 to
/// the first positive one; the chart draws that segment dotted.
public struct PlotAxis: Equatable, Sendable {
    public enum Scale: Equatable, Sendable { case linear, log, logWithZero }
    /// Share of the axis length left of the log part on a `.logWithZero` axis.
    public static let zeroGap = 0.12

    public var label: String
    public var scale: Scale
    /// Domain (for `.logWithZero`: of the positive, logarithmic part).
    public var lower: Double
    public var upper: Double
    public var ticks: [AxisTick]

    public init(label: String, scale: Scale, lower: Double, upper: Double, ticks: [AxisTick]) {
        self.label = label; self.scale = scale; self.lower = lower; self.upper = upper; self.ticks = ticks
    }

    /// A linear axis whose domain covers every finite value in `values` (non-finite ones ignored).
    public static func linear(label: String, covering values: [Double], maxTicks: Int = 7) -> PlotAxis {
        let finite = values.filter { $0.isFinite }
        let nice = NiceTicks.linear(finite.min() ?? 0, finite.max() ?? 1, maxTicks: maxTicks)
        return PlotAxis(label: label, scale: .linear, lower: nice.lower, upper: nice.upper, ticks: nice.ticks)
    }

    /// A log₁₀ axis covering the finite positive values (others ignored).
    public static func log(label: String, covering values: [Double]) -> PlotAxis {
        let positive = values.filter { $0.isFinite && $0 > 0 }
        let nice = NiceTicks.log(positive.min() ?? 1, positive.max() ?? 10)
        return PlotAxis(label: label, scale: .log, lower: nice.lower, upper: nice.upper, ticks: nice.ticks)
    }

    /// A log₁₀ axis for the positive values with 0 at the left edge (see the type's notes).
    public static func logWithZero(label: String, covering values: [Double]) -> PlotAxis {
        let positive = values.filter { $0.isFinite && $0 > 0 }
        let nice = NiceTicks.log(positive.min() ?? 1, positive.max() ?? 10)
        return PlotAxis(
            label: label, scale: .logWithZero, lower: nice.lower, upper: nice.upper,
            ticks: [AxisTick(0, "0")] + nice.ticks)
    }

    /// Where `value` sits along the axis (0…1 inside the domain), or nil when the scale cannot
    /// show it (NaN, ±Inf, ≤ 0 on a log axis, < 0 on a log-with-zero axis).
    public func fraction(_ value: Double) -> Double? {
        guard value.isFinite else { return nil }
        switch scale {
        case .linear:
            return (value - lower) / (upper - lower)
        case .log:
            guard value > 0 else { return nil }
            return Foundation.log10(value / lower) / Foundation.log10(upper / lower)
        case .logWithZero:
            if value == 0 { return 0 }
            guard value > 0 else { return nil }
            return Self.zeroGap + (1 - Self.zeroGap) * Foundation.log10(value / lower) / Foundation.log10(upper / lower)
        }
    }
}

/// Round tick values in 1-2-5 steps.
public enum NiceTicks {
    /// The smallest 1-2-5 step (1, 2, 5 × 10ᵏ) for which the domain widened to multiples of the
    /// step, [⌊lo/step⌋·step, ⌈hi/step⌉·step], has at most `maxTicks` ticks. Equal ends are widened
    /// first (by 10% of |lo|, or by 1 around 0), so the domain never has zero width.
    /// Example: [0, 1] → 0, 0.2, …, 1; [0.13, 0.87] → the same; [3, 97] → 0, 20, …, 100.
    public static func linear(_ lo: Double, _ hi: Double, maxTicks: Int = 7) -> (lower: Double, upper: Double, ticks: [AxisTick]) {
        var lo = lo.isFinite ? lo : 0, hi = hi.isFinite ? hi : 1
        if lo > hi { swap(&lo, &hi) }
        if hi - lo <= 1e-9 * max(abs(lo), abs(hi)) {
            let pad = lo == 0 ? 1 : abs(lo) * 0.1
            lo -= pad; hi += pad
        }
        let limit = max(2, maxTicks)
        var exponent = Int(floor(Foundation.log10((hi - lo) / Double(limit)))) - 1
        while true {
            for mantissa in [1, 2, 5] {
                let step = scaled(mantissa, exponent)
                // Floor/ceil with a tolerance of 1e-9 steps: 0.6/0.2 = 2.9999999999999996 is 3.
                let k0 = Int((lo / step + 1e-9).rounded(.down))
                let k1 = Int((hi / step - 1e-9).rounded(.up))
                if k1 - k0 + 1 <= limit {
                    let ticks = (k0...k1).map { k -> AxisTick in
                        let v = value(k * mantissa, exponent)
                        return AxisTick(v, ReportFormat.figureNumber(v, decimals: max(0, -exponent)))
                    }
                    return (value(k0 * mantissa, exponent), value(k1 * mantissa, exponent), ticks)
                }
            }
            exponent += 1
        }
    }

    /// Log₁₀ ticks: the domain is widened to 1-2-5 numbers (2…200 stays 2…200). Up to 3.5 decades
    /// every 1-2-5 number is a tick (2, 5, 10, 20, 50, 100, 200); beyond that only powers of ten;
    /// under one decade the linear 1-2-5 ticks of the range (0.03, 0.04, …, 0.07).
    public static func log(_ lo: Double, _ hi: Double) -> (lower: Double, upper: Double, ticks: [AxisTick]) {
        var lo = (lo.isFinite && lo > 0) ? lo : 1, hi = (hi.isFinite && hi > 0) ? hi : 10
        if lo > hi { swap(&lo, &hi) }
        var lower = oneTwoFive(atMost: lo), upper = oneTwoFive(atLeast: hi)
        if lower.value >= upper.value {
            lower = previous(lower); upper = next(upper)
        }
        let decades = Foundation.log10(upper.value / lower.value)
        if decades < 1 {
            // Less than a decade: 1-2-5 numbers give two or three ticks, so use the linear ticks
            // (0.03, 0.04, …, 0.07), keeping the lower end positive.
            let linear = NiceTicks.linear(lo, hi, maxTicks: 6)
            let bottom = linear.lower > 0 ? linear.lower : lower.value
            var ticks = linear.ticks.filter { $0.value >= bottom * (1 - 1e-9) }
            if linear.lower <= 0 && ticks.first.map({ $0.value > bottom * (1 + 1e-9) }) ?? true {
                ticks.insert(AxisTick(bottom, label(lower)), at: 0)
            }
            return (bottom, linear.upper, ticks)
        }
        var ticks: [AxisTick] = []
        var t = lower
        while t.value <= upper.value * (1 + 1e-9) {
            if decades <= 3.5 || t.mantissa == 1 {
                ticks.append(AxisTick(t.value, label(t)))
            }
            t = next(t)
        }
        return (lower.value, upper.value, ticks)
    }

    // MARK: 1-2-5 numbers m·10ᵉ

    private struct OneTwoFive { var mantissa: Int; var exponent: Int; var value: Double { NiceTicks.value(mantissa, exponent) } }

    private static func oneTwoFive(atMost x: Double) -> OneTwoFive {
        var e = Int(floor(Foundation.log10(x))) + 1
        var m = 5
        while value(m, e) > x * (1 + 1e-9) { (m, e) = m == 1 ? (5, e - 1) : (m == 5 ? 2 : 1, e) }
        return OneTwoFive(mantissa: m, exponent: e)
    }

    private static func oneTwoFive(atLeast x: Double) -> OneTwoFive {
        var e = Int(floor(Foundation.log10(x))) - 1
        var m = 1
        while value(m, e) < x * (1 - 1e-9) { (m, e) = m == 5 ? (1, e + 1) : (m == 1 ? 2 : 5, e) }
        return OneTwoFive(mantissa: m, exponent: e)
    }

    private static func next(_ t: OneTwoFive) -> OneTwoFive {
        t.mantissa == 5 ? OneTwoFive(mantissa: 1, exponent: t.exponent + 1)
            : OneTwoFive(mantissa: t.mantissa == 1 ? 2 : 5, exponent: t.exponent)
    }

    private static func previous(_ t: OneTwoFive) -> OneTwoFive {
        t.mantissa == 1 ? OneTwoFive(mantissa: 5, exponent: t.exponent - 1)
            : OneTwoFive(mantissa: t.mantissa == 5 ? 2 : 1, exponent: t.exponent)
    }

    private static func label(_ t: OneTwoFive) -> String {
        if t.exponent >= 5 || t.exponent <= -5 {
            return (t.mantissa == 1 ? "" : "\(t.mantissa)×") + "10" + ReportFormat.superscript(t.exponent)
        }
        return ReportFormat.fixed(t.value, decimals: max(0, -t.exponent))
    }

    /// n·10ᵉ, computed so that decimal values come out as the nearest double (0.6, not 0.6000000000000001).
    static func value(_ n: Int, _ e: Int) -> Double {
        e >= 0 ? Double(n) * pow(10, Double(e)) : Double(n) / pow(10, Double(-e))
    }

    private static func scaled(_ m: Int, _ e: Int) -> Double { value(m, e) }
}
