// Maps data values to figure coordinates (linear or log) and chooses readable tick values.

import Foundation

/// A map from a data interval to a pixel interval, linear or base-10 logarithmic.
public struct Scale: Sendable {
    public var domain: (Double, Double)
    public var range: (Double, Double)
    public var log: Bool

    public init(domain: (Double, Double), range: (Double, Double), log: Bool = false) {
        self.domain = domain; self.range = range; self.log = log
    }

    private func t(_ v: Double) -> Double { log ? Foundation.log10(v) : v }

    /// The coordinate of a data value.
    public func callAsFunction(_ v: Double) -> Double {
        let a = t(domain.0), b = t(domain.1)
        return range.0 + (t(v) - a) / (b - a) * (range.1 - range.0)
    }

    /// About `count` round tick values inside the domain (powers of ten on a log scale).
    public func ticks(_ count: Int = 5) -> [Double] {
        let lo = min(domain.0, domain.1), hi = max(domain.0, domain.1)
        if log {
            let a = Int(Foundation.floor(Foundation.log10(lo) + 1e-9)), b = Int(Foundation.ceil(Foundation.log10(hi) - 1e-9))
            return (a...max(a, b)).map { Foundation.pow(10, Double($0)) }.filter { $0 >= lo * 0.999 && $0 <= hi * 1.001 }
        }
        let raw = (hi - lo) / Double(max(1, count))
        let mag = Foundation.pow(10, Foundation.floor(Foundation.log10(raw)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? raw
        var v = Foundation.ceil(lo / step - 1e-9) * step
        var out: [Double] = []
        while v <= hi + step * 1e-9 { out.append(abs(v) < step * 1e-9 ? 0 : v); v += step }
        return out
    }
}

/// A short, deterministic label for a tick value; very large or small values as powers of ten in the figures'
/// markup (`10^{4}`, `2×10^{−5}`), which `Canvas.text` typesets as superscripts.
public func tickLabel(_ v: Double) -> String {
    if v == 0 { return "0" }
    let a = abs(v)
    if a >= 1e4 || a < 1e-3 {
        let e = Int(Foundation.floor(Foundation.log10(a) + 1e-9))
        let mantissa = v / Foundation.pow(10, Double(e))
        let exponent = powerOfTen(e)
        if abs(mantissa - mantissa.rounded()) < 1e-6 {
            let m = Int(mantissa.rounded())
            return m == 1 ? exponent : m == -1 ? "−" + exponent : "\(m)×" + exponent
        }
        // A whole number below ten million that is no round multiple of a power of ten (16384) is shown in full.
        if a < 1e7, v == v.rounded() { return v < 0 ? "−\(Int(a))" : "\(Int(a))" }
        return String(format: "%.1f", mantissa) + "×" + exponent
    }
    if v == v.rounded() { return String(format: "%.0f", v) }
    var s = String(format: "%.3f", v)
    while s.hasSuffix("0") { s.removeLast() }
    return s
}

/// A value printed on a figure: three significant digits, and below 0.001 as a power of ten in the figures' markup
/// (`7.6×10^{−6}`), never as `7.568e-06`.
public func valueLabel(_ v: Double) -> String {
    let a = abs(v)
    if v == 0 || (a >= 1e-3 && a < 1e6) { return String(format: "%.3g", v) }
    let e = Int(Foundation.floor(Foundation.log10(a)))
    return String(format: "%.2g", v / Foundation.pow(10, Double(e))) + "×" + powerOfTen(e)
}

/// 10 to the power `e` in the figures' markup, with a true minus sign: `10^{4}`, `10^{−5}`.
func powerOfTen(_ e: Int) -> String { "10^{" + (e < 0 ? "−\(-e)" : "\(e)") + "}" }
