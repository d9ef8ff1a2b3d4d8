// A thin drawing surface over a Cairo context: shapes, lines and text in points, origin at the top left.
// Figures are written against Canvas only, so the same code renders to SVG and PNG.

import CCairo

/// A point in figure coordinates (points, y down).
public struct Point: Sendable, Equatable {
    public var x, y: Double
    public init(_ x: Double, _ y: Double) { self.x = x; self.y = y }
}

/// A rectangle in figure coordinates.
public struct Rect: Sendable, Equatable {
    public var x, y, width, height: Double
    public init(_ x: Double, _ y: Double, _ width: Double, _ height: Double) {
        self.x = x; self.y = y; self.width = width; self.height = height
    }
    public var maxX: Double { x + width }
    public var maxY: Double { y + height }
    public var center: Point { Point(x + width / 2, y + height / 2) }
    /// The rectangle shrunk by the given margins.
    public func inset(left: Double = 0, top: Double = 0, right: Double = 0, bottom: Double = 0) -> Rect {
        Rect(x + left, y + top, width - left - right, height - top - bottom)
    }
}

/// Horizontal placement of text relative to its anchor point.
public enum TextAnchor: Sendable { case start, middle, end }

/// Drawing operations on one Cairo context.
public final class Canvas {
    let cr: OpaquePointer
    let fonts: Fonts

    init(cr: OpaquePointer, fonts: Fonts) {
        self.cr = cr
        self.fonts = fonts
        let opts = cairo_font_options_create()
        cairo_font_options_set_hint_style(opts, CAIRO_HINT_STYLE_NONE)
        cairo_font_options_set_hint_metrics(opts, CAIRO_HINT_METRICS_OFF)
        cairo_font_options_set_antialias(opts, CAIRO_ANTIALIAS_GRAY)
        cairo_set_font_options(cr, opts)
        cairo_font_options_destroy(opts)
    }

    private func set(_ c: Color) { cairo_set_source_rgba(cr, c.r, c.g, c.b, c.a) }

    /// Fills a rectangle.
    public func fill(_ r: Rect, _ color: Color) {
        set(color)
        cairo_rectangle(cr, r.x, r.y, r.width, r.height)
        cairo_fill(cr)
    }

    /// Strokes a rectangle's outline.
    public func stroke(_ r: Rect, _ color: Color, width: Double = 1) {
        set(color)
        cairo_set_line_width(cr, width)
        cairo_rectangle(cr, r.x, r.y, r.width, r.height)
        cairo_stroke(cr)
    }

    /// A straight line; `dash` gives on/off lengths.
    public func line(_ a: Point, _ b: Point, _ color: Color, width: Double = 1, dash: [Double] = []) {
        polyline([a, b], color, width: width, dash: dash)
    }

    /// A polyline through the points.
    public func polyline(_ pts: [Point], _ color: Color, width: Double = 1, dash: [Double] = []) {
        guard let first = pts.first else { return }
        set(color)
        cairo_set_line_width(cr, width)
        cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND)
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND)
        cairo_set_dash(cr, dash, Int32(dash.count), 0)
        cairo_move_to(cr, first.x, first.y)
        for p in pts.dropFirst() { cairo_line_to(cr, p.x, p.y) }
        cairo_stroke(cr)
        cairo_set_dash(cr, nil, 0, 0)
    }

    /// A filled polygon.
    public func polygon(_ pts: [Point], fill: Color) {
        guard let first = pts.first else { return }
        set(fill)
        cairo_move_to(cr, first.x, first.y)
        for p in pts.dropFirst() { cairo_line_to(cr, p.x, p.y) }
        cairo_close_path(cr)
        cairo_fill(cr)
    }

    /// A circle, filled and/or outlined.
    public func circle(_ c: Point, radius: Double, fill: Color?, stroke: Color? = nil, width: Double = 1) {
        cairo_new_path(cr)
        cairo_arc(cr, c.x, c.y, radius, 0, 2 * Double.pi)
        if let fill { set(fill); if stroke == nil { cairo_fill(cr) } else { cairo_fill_preserve(cr) } }
        if let stroke { set(stroke); cairo_set_line_width(cr, width); cairo_stroke(cr) }
        cairo_new_path(cr)
    }

    private func useFont(size: Double, bold: Bool) {
        cairo_set_font_face(cr, bold ? fonts.bold : fonts.regular)
        cairo_set_font_size(cr, size)
    }

    /// The advance width of a string at the given size.
    public func textWidth(_ s: String, size: Double, bold: Bool = false) -> Double {
        useFont(size: size, bold: bold)
        var ext = cairo_text_extents_t()
        cairo_text_extents(cr, s, &ext)
        return ext.x_advance
    }

    /// Text whose baseline passes through `at`, placed by `anchor`, optionally rotated (radians, about `at`).
    /// `middle: true` centres it vertically on `at` instead (using the font's cap height).
    public func text(_ s: String, at p: Point, size: Double = 11, anchor: TextAnchor = .start, bold: Bool = false,
                     color: Color = .text, rotation: Double = 0, middle: Bool = false) {
        useFont(size: size, bold: bold)
        var ext = cairo_text_extents_t()
        cairo_text_extents(cr, s, &ext)
        let dx: Double
        switch anchor {
        case .start: dx = 0
        case .middle: dx = -ext.x_advance / 2
        case .end: dx = -ext.x_advance
        }
        let dy = middle ? size * 0.36 : 0
        cairo_save(cr)
        cairo_translate(cr, p.x, p.y)
        if rotation != 0 { cairo_rotate(cr, rotation) }
        set(color)
        cairo_move_to(cr, dx, dy)
        cairo_show_text(cr, s)
        cairo_new_path(cr)
        cairo_restore(cr)
    }

    /// A rows×cols grid of colours filling `rect`, drawn as one embedded image (each cell `pixelsPerCell` pixels
    /// square, scaled with nearest-neighbour filtering) so that large heatmaps stay small in SVG.
    public func raster(_ colors: [Color], rows: Int, cols: Int, in rect: Rect, pixelsPerCell: Int = 4) {
        let k = pixelsPerCell
        let w = Int32(cols * k), h = Int32(rows * k)
        guard let img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h) else { return }
        defer { cairo_surface_destroy(img) }
        cairo_surface_flush(img)
        let stride = Int(cairo_image_surface_get_stride(img))
        let data = cairo_image_surface_get_data(img)!
        for r in 0..<rows {
            for c in 0..<cols {
                let col = colors[r * cols + c]
                let px = UInt32((col.r * 255).rounded()) << 16 | UInt32((col.g * 255).rounded()) << 8 | UInt32((col.b * 255).rounded())
                for y in 0..<k {
                    let row = (data + (r * k + y) * stride).withMemoryRebound(to: UInt32.self, capacity: cols * k) { $0 }
                    for x in 0..<k { row[c * k + x] = px }
                }
            }
        }
        cairo_surface_mark_dirty(img)
        cairo_save(cr)
        cairo_rectangle(cr, rect.x, rect.y, rect.width, rect.height)
        cairo_clip(cr)
        cairo_translate(cr, rect.x, rect.y)
        cairo_scale(cr, rect.width / Double(w), rect.height / Double(h))
        cairo_set_source_surface(cr, img, 0, 0)
        cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST)
        cairo_paint(cr)
        cairo_restore(cr)
    }

    /// Draws `body` clipped to a rectangle.
    public func clipped(to r: Rect, _ body: () -> Void) {
        cairo_save(cr)
        cairo_rectangle(cr, r.x, r.y, r.width, r.height)
        cairo_clip(cr)
        body()
        cairo_restore(cr)
    }
}
