// Number formats of the claims' and captions' text, shared by every section (one place, so that a value prints
// alike wherever it appears). Text only: nothing here decides a result.

import Foundation

/// One decimal: "0.3".
func f1(_ x: Double) -> String { String(format: "%.1f", x) }
/// Two decimals: "0.25".
func f2(_ x: Double) -> String { String(format: "%.2f", x) }
/// Three decimals: "0.250".
func f3(_ x: Double) -> String { String(format: "%.3f", x) }
/// A fraction as a whole percentage: 0.254 → "25 %".
func pct(_ x: Double) -> String { String(format: "%.0f %%", 100 * x) }
