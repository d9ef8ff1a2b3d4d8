// Figure compositions shared by the paper's sections: a feature-geometry panel (W_i as segments in the plane)
// and a WᵀW heatmap with the bias column. Pure functions of a trained model; no training here.

import Engine
import Foundation
import Plot

/// Colours of the feature sets of §6 (correlated and anticorrelated pairs or triples): red, green, blue.
let featureSetColors = [Color(hex: "#d62728"), Color(hex: "#2ca02c"), Color(hex: "#1f77b4")]

/// Colours for features by importance rank: viridis from dark (most important) to yellow-green (least).
func importanceColors(_ n: Int) -> [Color] {
    (0..<n).map { ColorMap.viridis(n == 1 ? 0 : 0.88 * Double($0) / Double(n - 1)) }
}

/// A square panel with the model's feature directions in the plane, canonically rotated (m = 2 only).
/// `colors` overrides the importance colours (one per feature).
func geometryPanel(_ c: Canvas, _ model: ToyModel, in r: Rect, title: String, subtitle: String = "", extent: Double = 1.5,
                   colors custom: [Color]? = nil) {
    c.text(title, at: Point(r.center.x, r.y - (subtitle.isEmpty ? 6 : 19)), size: 11, anchor: .middle, bold: true)
    if !subtitle.isEmpty { c.text(subtitle, at: Point(r.center.x, r.y - 6), size: 9, anchor: .middle, color: .axis) }
    c.fill(r, .paper)
    let axes = Axes(frame: r, x: (-extent, extent), y: (-extent, extent))
    c.line(axes.point(-extent, 0), axes.point(extent, 0), .grid, width: 0.7)
    c.line(axes.point(0, -extent), axes.point(0, extent), .grid, width: 0.7)
    // Unit circle: a represented feature has ‖W_i‖ ≈ 1.
    let circle = (0...96).map { k -> Point in
        let t = Double(k) / 96 * 2 * Double.pi
        return axes.point(cos(t), sin(t))
    }
    c.polyline(circle, Color(hex: "#cccccc"), width: 0.6, dash: [2, 2])
    let colors = custom ?? importanceColors(model.n)
    // Least important first, so the most important is drawn on top.
    let v = model.canonicalPlanar()
    let order = Array((0..<model.n).reversed())
    c.vectors(order.map { v[$0] }, colors: order.map { colors[$0] }, axes: axes)
    c.stroke(r, Color(hex: "#bbbbbb"), width: 0.6)
}

/// WᵀW (n×n) and b (a column beside it), on the blue–white–red scale over [−1, 1].
func gramPanel(_ c: Canvas, _ model: ToyModel, in r: Rect, title: String = "") {
    let n = model.n
    let gap = r.width / Double(n + 2)
    let cell = min((r.width - gap) / Double(n + 1), r.height / Double(n))
    let mat = Rect(r.x, r.y, cell * Double(n), cell * Double(n))
    c.heatmap(model.gram, rows: n, cols: n, in: mat, map: .blueWhiteRed, range: -1, 1)
    let bias = Rect(mat.maxX + gap * 0.6, r.y, cell, cell * Double(n))
    c.heatmap(model.b.map(Double.init), rows: n, cols: 1, in: bias, map: .blueWhiteRed, range: -1, 1)
    c.text("WᵀW", at: Point(mat.center.x, mat.maxY + 13), size: 9.5, anchor: .middle)
    c.text("b", at: Point(bias.center.x, bias.maxY + 13), size: 9.5, anchor: .middle)
    if !title.isEmpty { c.text(title, at: Point(r.center.x, r.y - 6), size: 10, anchor: .middle, bold: true) }
}

/// The shared colour bar of WᵀW and b panels.
func gramColorBar(_ c: Canvas, in r: Rect) {
    c.colorBar(in: r, map: .blueWhiteRed, range: -1, 1, ticks: [-1, -0.5, 0, 0.5, 1], label: "weight / bias value")
}

/// A legend of feature colours by importance.
func importanceLegend(_ c: Canvas, n: Int, importance: [Float], at p: Point) {
    let colors = importanceColors(n)
    c.text("Feature importance:", at: p, size: 9.5, color: .axis)
    var x = p.x + c.textWidth("Feature importance:", size: 9.5) + 8
    for i in 0..<n {
        c.circle(Point(x + 4, p.y - 3.5), radius: 4, fill: colors[i])
        let label = String(format: "%.3g", Double(importance[i]))
        c.text(label, at: Point(x + 11, p.y), size: 9, color: .axis)
        x += 11 + c.textWidth(label, size: 9) + 10
    }
}

/// "1−S = 0.2" style density labels.
func densityLabel(_ p: Float) -> String {
    let d = Double(p)
    return "1−S = " + (d == 1 ? "1" : String(format: d >= 0.1 ? "%.2g" : "%.2g", d))
}
