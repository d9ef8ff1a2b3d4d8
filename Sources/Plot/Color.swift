// Colours and colour maps for figures: an RGB colour type, the diverging blue–white–red map of the paper's
// WᵀW figures (ColorBrewer RdBu, negative = blue) and viridis (importance, superposition).

/// An sRGB colour with components in [0, 1].
public struct Color: Sendable, Equatable {
    public var r, g, b, a: Double
    public init(_ r: Double, _ g: Double, _ b: Double, _ a: Double = 1) { self.r = r; self.g = g; self.b = b; self.a = a }

    /// A colour from "#rrggbb".
    public init(hex: String) {
        let v = UInt32(hex.dropFirst(), radix: 16) ?? 0
        self.init(Double((v >> 16) & 0xFF) / 255, Double((v >> 8) & 0xFF) / 255, Double(v & 0xFF) / 255)
    }

    public func withAlpha(_ a: Double) -> Color { Color(r, g, b, a) }

    public static let black = Color(0, 0, 0), white = Color(1, 1, 1)
    public static let text = Color(hex: "#222222"), grid = Color(hex: "#dddddd"), axis = Color(hex: "#555555")
    /// The paper's background for feature-geometry panels.
    public static let paper = Color(hex: "#fcfbf8")
}

/// A colour map: piecewise-linear interpolation between evenly spaced anchor colours over [0, 1].
public struct ColorMap: Sendable {
    public let anchors: [Color]
    public init(hex: [String]) { anchors = hex.map { Color(hex: $0) } }

    /// The colour at t, clamped to [0, 1].
    public func callAsFunction(_ t: Double) -> Color {
        let u = min(1, max(0, t.isFinite ? t : 0)) * Double(anchors.count - 1)
        let i = min(Int(u), anchors.count - 2)
        let f = u - Double(i)
        let a = anchors[i], b = anchors[i + 1]
        return Color(a.r + (b.r - a.r) * f, a.g + (b.g - a.g) * f, a.b + (b.b - a.b) * f)
    }

    /// Blue (low) – white – red (high): ColorBrewer RdBu reversed, as the paper's "Weight / Bias Element Values".
    public static let blueWhiteRed = ColorMap(hex: ["#053061", "#2166ac", "#4393c3", "#92c5de", "#d1e5f0", "#f7f7f7",
                                                   "#fddbc7", "#f4a582", "#d6604d", "#b2182b", "#67001f"])
    /// Viridis, sampled at 10 anchors.
    public static let viridis = ColorMap(hex: ["#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89",
                                              "#35b779", "#6ece58", "#b5de2b", "#fde725"])
}
