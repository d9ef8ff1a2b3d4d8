// Renders a Drawing to SVG or PNG bytes, deterministically: fixed size, fixed font, and Cairo's
// process-global SVG ids (surfaceN, imageN, source-N) renumbered in order of appearance.
// Plot never writes files: the pipeline writes the bytes atomically.

import CCairo
import Foundation

/// A figure to render: its size in points and a function that draws it.
public struct Drawing {
    public var width: Double
    public var height: Double
    public var background: Color
    public var draw: (Canvas) -> Void

    public init(width: Double, height: Double, background: Color = .white, draw: @escaping (Canvas) -> Void) {
        self.width = width; self.height = height; self.background = background; self.draw = draw
    }
}

/// Collects the bytes Cairo streams out.
private final class ByteSink {
    var data = Data()
}

private let sinkWrite: cairo_write_func_t = { closure, bytes, length in
    let sink = Unmanaged<ByteSink>.fromOpaque(closure!).takeUnretainedValue()
    sink.data.append(bytes!, count: Int(length))
    return CAIRO_STATUS_SUCCESS
}

extension Drawing {
    /// Draws the figure on `surface`; returns every text's ink box (in figure coordinates, whatever the scale).
    @discardableResult
    private func paint(_ surface: OpaquePointer, scale: Double) throws -> [TextBox] {
        let cr = cairo_create(surface)!
        defer { cairo_destroy(cr) }
        cairo_scale(cr, scale, scale)
        let canvas = Canvas(cr: cr, fonts: try Fonts.shared())
        canvas.fill(Rect(0, 0, width, height), background)
        draw(canvas)
        let status = cairo_status(cr)
        guard status == CAIRO_STATUS_SUCCESS else { throw PlotError.cairo(String(cString: cairo_status_to_string(status))) }
        return canvas.textBoxes
    }

    /// The figure as an SVG document (user units = points).
    public func svg() throws -> Data { try svgAndLayout().svg }

    /// The SVG document and the layout of its text, from one drawing pass.
    public func svgAndLayout() throws -> (svg: Data, layout: TextLayout) {
        let sink = ByteSink()
        let ctx = Unmanaged.passUnretained(sink).toOpaque()
        let surface = cairo_svg_surface_create_for_stream(sinkWrite, ctx, width, height)!
        cairo_svg_surface_restrict_to_version(surface, CAIRO_SVG_VERSION_1_1)
        let boxes = try paint(surface, scale: 1)
        cairo_surface_finish(surface)
        cairo_surface_destroy(surface)
        return (normaliseSVGIds(sink.data), TextLayout(width: width, height: height, boxes: boxes))
    }

    /// The figure as a PNG at `scale` pixels per point.
    public func png(scale: Double = 2) throws -> Data {
        let surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, Int32((width * scale).rounded()),
                                                 Int32((height * scale).rounded()))!
        defer { cairo_surface_destroy(surface) }
        try paint(surface, scale: scale)
        cairo_surface_flush(surface)
        let sink = ByteSink()
        let ctx = Unmanaged.passUnretained(sink).toOpaque()
        let status = cairo_surface_write_to_png_stream(surface, sinkWrite, ctx)
        guard status == CAIRO_STATUS_SUCCESS else { throw PlotError.cairo(String(cString: cairo_status_to_string(status))) }
        return sink.data
    }
}

/// Renumbers Cairo's process-global ids (surfaceN, imageN, source-N) in order of first appearance,
/// so that an SVG does not depend on what the process drew before.
public func normaliseSVGIds(_ data: Data) -> Data {
    guard let text = String(data: data, encoding: .utf8) else { return data }
    var out = ""
    out.reserveCapacity(text.utf8.count)
    var maps: [String: [String: Int]] = [:]
    let regex = /(surface|image|source-)(\d+)/
    var rest = text[...]
    while let m = rest.firstMatch(of: regex) {
        out += rest[rest.startIndex..<m.range.lowerBound]
        let prefix = String(m.output.1), num = String(m.output.2)
        var map = maps[prefix, default: [:]]
        let id = map[num] ?? (map.count + 1)
        map[num] = id
        maps[prefix] = map
        out += prefix + String(id)
        rest = rest[m.range.upperBound...]
    }
    out += rest
    return Data(out.utf8)
}

/// The Cairo library's version, for provenance.
public func cairoVersion() -> String { String(cString: cairo_version_string()) }

/// What a figure's text looks like once laid out: every text's ink box, and what is wrong with them.
public struct TextLayout: Sendable {
    public var width: Double
    public var height: Double
    public var boxes: [TextBox]

    /// The smallest font size of any text (points), which sets how small the figure may be shown.
    public var smallestSize: Double { boxes.map(\.size).min() ?? 0 }

    /// Text that leaves the canvas (or the clip it is drawn in), and pairs of texts whose ink overlaps by more than
    /// `slack` points both ways; one line each, naming the text.
    public func problems(slack: Double = 0.75) -> [String] {
        var out: [String] = []
        let canvas = Rect(0, 0, width, height)
        func inside(_ r: Rect, _ bound: Rect) -> Bool {
            r.x >= bound.x - slack && r.y >= bound.y - slack && r.maxX <= bound.maxX + slack && r.maxY <= bound.maxY + slack
        }
        for b in boxes {
            if !inside(b.rect, canvas) {
                out.append("\"\(b.text)\" leaves the canvas (\(Self.describe(b.rect)) in \(Int(width)) × \(Int(height)))")
            } else if let clip = b.clip, !inside(b.rect, clip) {
                out.append("\"\(b.text)\" is clipped by its panel (\(Self.describe(b.rect)))")
            }
        }
        for i in boxes.indices {
            for j in boxes.indices where j > i {
                let a = boxes[i].rect, b = boxes[j].rect
                let w = min(a.maxX, b.maxX) - max(a.x, b.x), h = min(a.maxY, b.maxY) - max(a.y, b.y)
                if w > slack && h > slack { out.append("\"\(boxes[i].text)\" overlaps \"\(boxes[j].text)\"") }
            }
        }
        return out
    }

    static func describe(_ r: Rect) -> String {
        String(format: "x %.1f–%.1f, y %.1f–%.1f", r.x, r.maxX, r.y, r.maxY)
    }
}

extension Drawing {
    /// Lays the figure out without producing an image: every text's ink box, from Cairo's text extents.
    public func textLayout() throws -> TextLayout {
        let surface = cairo_recording_surface_create(CAIRO_CONTENT_COLOR_ALPHA, nil)!
        defer { cairo_surface_destroy(surface) }
        return TextLayout(width: width, height: height, boxes: try paint(surface, scale: 1))
    }
}
