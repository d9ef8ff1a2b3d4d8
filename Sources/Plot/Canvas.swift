// A thin drawing surface over a Cairo context: shapes, lines and text in points, origin at the top left.
// Figures are written against Canvas only, so the same code renders to SVG and PNG.

import CCairo
import Foundation

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

    /// The advance width of a string at the given size (its markup typeset, see `text`).
    public func textWidth(_ s: String, size: Double, bold: Bool = false) -> Double {
        layout(s, size: max(size, Canvas.minimumTextSize), bold: bold).width
    }

    /// No text is set smaller than this (points; sub- and superscripts are 80 % of their base): a figure shown at
    /// one CSS pixel per point, as the site shows every figure up to 1240 points wide, has no text under 10 px.
    public static let minimumTextSize = 10.0

    /// Text whose baseline passes through `at`, placed by `anchor`, optionally rotated (radians, about `at`).
    /// `middle: true` centres it vertically on `at` instead (using the font's cap height).
    /// Light markup is typeset: `_i` or `_{j≠i}` as a subscript, `^2` or `^{n−k}` as a superscript (without braces,
    /// the run of letters and digits after the mark). The text's ink box is recorded in `textBoxes`.
    public func text(_ s: String, at p: Point, size requested: Double = 11, anchor: TextAnchor = .start, bold: Bool = false,
                     color: Color = .text, rotation: Double = 0, middle: Bool = false) {
        let size = max(requested, Canvas.minimumTextSize)
        let l = layout(s, size: size, bold: bold)
        let dx: Double
        switch anchor {
        case .start: dx = 0
        case .middle: dx = -l.width / 2
        case .end: dx = -l.width
        }
        let dy = middle ? size * 0.36 : 0
        cairo_save(cr)
        cairo_translate(cr, p.x, p.y)
        if rotation != 0 { cairo_rotate(cr, rotation) }
        set(color)
        for piece in l.pieces {
            useFont(size: piece.size, bold: bold)
            cairo_move_to(cr, dx + piece.x, dy + piece.shift)
            cairo_show_text(cr, piece.text)
        }
        cairo_new_path(cr)
        cairo_restore(cr)
        // The ink box in figure coordinates: the local box's corners rotated about `at`.
        let (x0, y0, x1, y1) = (dx + l.ink.x, dy + l.ink.y, dx + l.ink.maxX, dy + l.ink.maxY)
        let cs = cos(rotation), sn = sin(rotation)
        let corners = [(x0, y0), (x1, y0), (x0, y1), (x1, y1)].map { (p.x + $0.0 * cs - $0.1 * sn, p.y + $0.0 * sn + $0.1 * cs) }
        let xs = corners.map(\.0), ys = corners.map(\.1)
        if l.ink.width > 0 {
            textBoxes.append(TextBox(text: s, size: size,
                                     rect: Rect(xs.min()!, ys.min()!, xs.max()! - xs.min()!, ys.max()! - ys.min()!),
                                     clip: clips.last))
        }
    }

    /// The ink box of every text drawn so far, in figure coordinates (for the layout check).
    public private(set) var textBoxes: [TextBox] = []
    private var clips: [Rect] = []

    struct Piece { var text: String; var x: Double; var shift: Double; var size: Double }
    struct Layout { var pieces: [Piece]; var width: Double; var ink: Rect }

    /// Splits marked-up text into runs at their sizes and baseline shifts, measured with Cairo's text extents.
    func layout(_ s: String, size: Double, bold: Bool) -> Layout {
        var pieces: [Piece] = [], x = 0.0
        var inkX0 = Double.infinity, inkY0 = Double.infinity, inkX1 = -Double.infinity, inkY1 = -Double.infinity
        for run in TextMarkup.runs(s) where !run.text.isEmpty {
            let sz = run.level == 0 ? size : size * 0.8
            let shift = run.level == 0 ? 0 : (run.level < 0 ? size * 0.25 : -size * 0.4)
            useFont(size: sz, bold: bold)
            var ext = cairo_text_extents_t()
            cairo_text_extents(cr, run.text, &ext)
            pieces.append(Piece(text: run.text, x: x, shift: shift, size: sz))
            if ext.width > 0 || ext.height > 0 {
                inkX0 = min(inkX0, x + ext.x_bearing); inkX1 = max(inkX1, x + ext.x_bearing + ext.width)
                inkY0 = min(inkY0, shift + ext.y_bearing); inkY1 = max(inkY1, shift + ext.y_bearing + ext.height)
            }
            x += ext.x_advance
        }
        let ink = inkX0.isFinite ? Rect(inkX0, inkY0, inkX1 - inkX0, inkY1 - inkY0) : Rect(0, 0, 0, 0)
        return Layout(pieces: pieces, width: x, ink: ink)
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
        clips.append(r)
        defer { clips.removeLast() }
        cairo_save(cr)
        cairo_rectangle(cr, r.x, r.y, r.width, r.height)
        cairo_clip(cr)
        body()
        cairo_restore(cr)
    }
}

/// Where a piece of text was drawn: its ink box in figure coordinates, and the clip in force, if any.
public struct TextBox: Sendable, Equatable {
    public var text: String
    /// Its base font size (sub- and superscripts are 80 % of it).
    public var size: Double
    public var rect: Rect
    public var clip: Rect?
}

/// The light markup of figure text: `_x` / `_{…}` subscripts and `^x` / `^{…}` superscripts.
enum TextMarkup {
    /// The text as runs at level 0 (baseline), −1 (subscript) or +1 (superscript).
    static func runs(_ s: String) -> [(text: String, level: Int)] {
        var out: [(String, Int)] = [], cur = ""
        var i = s.startIndex
        while i < s.endIndex {
            let ch = s[i]
            let next = s.index(after: i)
            if (ch == "_" || ch == "^"), next < s.endIndex {
                let level = ch == "_" ? -1 : 1
                var body = "", end = next
                if s[next] == "{", let close = s[next...].firstIndex(of: "}") {
                    body = String(s[s.index(after: next)..<close]); end = s.index(after: close)
                } else {
                    while end < s.endIndex, s[end].isLetter || s[end].isNumber { body.append(s[end]); end = s.index(after: end) }
                }
                if !body.isEmpty {
                    out.append((cur, 0)); cur = ""
                    out.append((body, level))
                    i = end
                    continue
                }
            }
            cur.append(ch)
            i = next
        }
        out.append((cur, 0))
        return out.filter { !$0.0.isEmpty }
    }
}
