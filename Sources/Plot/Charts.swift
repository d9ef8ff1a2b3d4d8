// The chart pieces the paper's figures are made of: axes with ticks, heatmaps with a colour bar,
// horizontal bar charts, and feature directions drawn as segments in the plane.

import Foundation

/// A plotting area with x and y scales; draws its frame, ticks and labels.
public struct Axes {
    public var frame: Rect
    public var x: Scale
    public var y: Scale

    public init(frame: Rect, x: (Double, Double), y: (Double, Double), xLog: Bool = false, yLog: Bool = false) {
        self.frame = frame
        self.x = Scale(domain: x, range: (frame.x, frame.maxX), log: xLog)
        self.y = Scale(domain: y, range: (frame.maxY, frame.y), log: yLog)
    }

    /// The figure point of a data point.
    public func point(_ dx: Double, _ dy: Double) -> Point { Point(x(dx), y(dy)) }

    /// Frame, grid, ticks and axis labels.
    public func draw(on c: Canvas, xLabel: String = "", yLabel: String = "", grid: Bool = true,
                     xTicks: [Double]? = nil, yTicks: [Double]? = nil) {
        // Ticks given by the caller are kept only inside the domain, so that a label never lands outside the frame.
        func inside(_ v: Double, _ s: Scale) -> Bool {
            let (a, b) = (min(s.range.0, s.range.1), max(s.range.0, s.range.1)), p = s(v)
            return p.isFinite && p >= a - 0.5 && p <= b + 0.5
        }
        let xt = (xTicks ?? x.ticks()).filter { inside($0, x) }, yt = (yTicks ?? y.ticks()).filter { inside($0, y) }
        for v in xt {
            let px = x(v)
            if grid { c.line(Point(px, frame.y), Point(px, frame.maxY), .grid, width: 0.5) }
            c.line(Point(px, frame.maxY), Point(px, frame.maxY + 4), .axis, width: 0.8)
            c.text(tickLabel(v), at: Point(px, frame.maxY + 15), size: 9, anchor: .middle, color: .axis)
        }
        for v in yt {
            let py = y(v)
            if grid { c.line(Point(frame.x, py), Point(frame.maxX, py), .grid, width: 0.5) }
            c.line(Point(frame.x - 4, py), Point(frame.x, py), .axis, width: 0.8)
            c.text(tickLabel(v), at: Point(frame.x - 7, py), size: 9, anchor: .end, color: .axis, middle: true)
        }
        c.stroke(frame, .axis, width: 0.8)
        if !xLabel.isEmpty { c.text(xLabel, at: Point(frame.center.x, frame.maxY + 32), size: 10.5, anchor: .middle) }
        if !yLabel.isEmpty {
            c.text(yLabel, at: Point(frame.x - 38, frame.center.y), size: 10.5, anchor: .middle, rotation: -Double.pi / 2)
        }
    }
}

extension Canvas {
    /// A rows×cols heatmap (row-major values) filling `rect`, coloured by `map` over [lo, hi]; large ones are
    /// drawn as one image.
    public func heatmap(_ values: [Double], rows: Int, cols: Int, in rect: Rect, map: ColorMap,
                        range lo: Double, _ hi: Double) {
        if rows * cols > 400 {
            raster(values.map { map(($0 - lo) / (hi - lo)) }, rows: rows, cols: cols, in: rect)
            stroke(rect, .axis, width: 0.6)
            return
        }
        let cw = rect.width / Double(cols), ch = rect.height / Double(rows)
        for r in 0..<rows {
            for col in 0..<cols {
                let v = values[r * cols + col]
                // Cells overlap by a quarter point so that SVG viewers show no seams.
                fill(Rect(rect.x + Double(col) * cw, rect.y + Double(r) * ch, cw + 0.25, ch + 0.25),
                     map((v - lo) / (hi - lo)))
            }
        }
        stroke(rect, .axis, width: 0.6)
    }

    /// A vertical colour bar for `map` over [lo, hi] with ticks and a label on its right.
    public func colorBar(in rect: Rect, map: ColorMap, range lo: Double, _ hi: Double, ticks: [Double], label: String) {
        let steps = 64
        let h = rect.height / Double(steps)
        for s in 0..<steps {
            let t = (Double(s) + 0.5) / Double(steps)
            fill(Rect(rect.x, rect.maxY - Double(s + 1) * h, rect.width, h + 0.25), map(t))
        }
        stroke(rect, .axis, width: 0.6)
        for v in ticks {
            let py = rect.maxY - (v - lo) / (hi - lo) * rect.height
            line(Point(rect.maxX, py), Point(rect.maxX + 3, py), .axis, width: 0.8)
            text(tickLabel(v), at: Point(rect.maxX + 5, py), size: 8.5, color: .axis, middle: true)
        }
        text(label, at: Point(rect.maxX + 32, rect.center.y), size: 9, anchor: .middle, rotation: Double.pi / 2)
    }

    /// Horizontal bars, one per row from the top, of length values[i] on the scale `x`, coloured by colors[i].
    public func horizontalBars(_ values: [Double], colors: [Color], x: Scale, in rect: Rect, gap: Double = 0.2) {
        let h = rect.height / Double(values.count)
        for (i, v) in values.enumerated() {
            let x0 = x(0), x1 = x(max(0, v))
            fill(Rect(x0, rect.y + Double(i) * h + h * gap / 2, max(0, x1 - x0), h * (1 - gap)), colors[i])
        }
    }

    /// Vectors from the origin of `axes`: a segment and a dot at each tip, coloured per vector.
    public func vectors(_ v: [(x: Double, y: Double)], colors: [Color], axes: Axes, width: Double = 1.6, dot: Double = 4) {
        let o = axes.point(0, 0)
        for (i, p) in v.enumerated() {
            let tip = axes.point(p.x, p.y)
            line(o, tip, colors[i], width: width)
            circle(tip, radius: dot, fill: colors[i], stroke: .white, width: 0.8)
        }
    }
}
