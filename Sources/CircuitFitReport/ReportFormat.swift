import Foundation
import CircuitFitCore

/// Number formatting for the report: fixed, locale-independent, and never "-0".
enum ReportFormat {
    /// `value` with exactly `decimals` digits after the point.
    static func fixed(_ value: Double, decimals: Int) -> String {
        guard value.isFinite else { return nonFinite(value) }
        var s = String(format: "%.\(max(0, decimals))f", value)
        if s.hasPrefix("-") && s.dropFirst().allSatisfy({ $0 == "0" || $0 == "." }) { s.removeFirst() }
        return s
    }

    /// `text` with a leading hyphen-minus set as a true minus sign (U+2212), for numbers shown
    /// in figures (tick labels, values in titles).
    static func minus(_ text: String) -> String {
        text.hasPrefix("-") ? "−" + text.dropFirst() : text
    }

    /// A number for a figure: `decimals` digits, true minus sign.
    static func figureNumber(_ value: Double, decimals: Int) -> String { minus(fixed(value, decimals: decimals)) }

    /// An SVG coordinate: two decimals, trailing zeros removed ("12.5", "40").
    static func coordinate(_ value: Double) -> String {
        var s = fixed(value, decimals: 2)
        if s.contains(".") {
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
        }
        return s
    }

    /// `value` to `digits` significant digits; powers of ten written as "× 10⁻⁵" outside
    /// 10⁻⁴ … 10⁶.
    static func significant(_ value: Double, digits: Int = 3) -> String {
        guard value.isFinite else { return nonFinite(value) }
        if value == 0 { return "0" }
        let exponent = Int(floor(log10(abs(value))))
        if exponent >= -4 && exponent < 6 {
            return fixed(value, decimals: max(0, digits - 1 - exponent))
        }
        return scientific(value, digits: digits)
    }

    /// "1.2 × 10⁻⁵".
    static func scientific(_ value: Double, digits: Int) -> String {
        guard value.isFinite else { return nonFinite(value) }
        if value == 0 { return "0" }
        var exponent = Int(floor(log10(abs(value))))
        var mantissa = value / pow(10, Double(exponent))
        // Rounding can carry into the next power (9.99 → 10.0).
        if abs(Double(fixed(mantissa, decimals: digits - 1)) ?? mantissa) >= 10 {
            exponent += 1
            mantissa = value / pow(10, Double(exponent))
        }
        return fixed(mantissa, decimals: max(0, digits - 1)) + " × 10" + superscript(exponent)
    }

    /// A p-value: two significant digits, or scientific below 0.001.
    static func pValue(_ p: Double) -> String {
        guard p.isFinite else { return nonFinite(p) }
        if p >= 0.001 { return significant(p, digits: 2) }
        return scientific(p, digits: 2)
    }

    /// A duration: "42.0 s", "12 min 05 s", "3 h 07 min".
    static func duration(seconds: Double) -> String {
        guard seconds.isFinite && seconds >= 0 else { return nonFinite(seconds) }
        if seconds < 60 { return fixed(seconds, decimals: 1) + " s" }
        let total = Int(seconds.rounded())
        if total < 3600 { return "\(total / 60) min " + twoDigits(total % 60) + " s" }
        return "\(total / 3600) h " + twoDigits((total % 3600) / 60) + " min"
    }

    /// λ as written in labels: "0", "1", "0.1".
    static func plain(_ value: Double) -> String {
        guard value.isFinite else { return nonFinite(value) }
        if value == value.rounded() && abs(value) < 1e15 { return fixed(value, decimals: 0) }
        var s = significant(value, digits: 4)
        if s.contains(".") && !s.contains("×") {
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
        }
        return s
    }

    static func superscript(_ n: Int) -> String {
        let digits: [Character] = ["⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"]
        let body = String(String(abs(n)).map { digits[Int(String($0))!] })
        return (n < 0 ? "⁻" : "") + body
    }

    private static func twoDigits(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

    /// "NaN", "+∞" or "−∞".
    static func nonFinite(_ value: Double) -> String {
        value.isNaN ? "NaN" : (value > 0 ? "+∞" : "−∞")
    }
}
