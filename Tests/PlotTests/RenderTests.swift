// Figures are deterministic to the byte, and the pieces they are made of (scales, colour maps) behave.
import Foundation
import Testing
@testable import Plot

private func sample(_ title: String = "WᵀW — ‖W_i‖ α") -> Drawing {
    Drawing(width: 200, height: 120) { c in
        let axes = Axes(frame: Rect(40, 10, 150, 80), x: (0, 1), y: (-1, 1))
        axes.draw(on: c, xLabel: "x", yLabel: "y")
        c.heatmap([0.5, -0.5, 1, -1], rows: 2, cols: 2, in: Rect(5, 95, 20, 20), map: .blueWhiteRed, range: -1, 1)
        c.vectors([(0.5, 0.5), (0.2, -0.7)], colors: [.black, ColorMap.viridis(0.5)], axes: axes)
        c.text(title, at: Point(100, 110), size: 9, anchor: .middle)
    }
}

@Test func svgIsByteIdenticalWhateverWasRenderedBefore() throws {
    let first = try sample().svg()
    _ = try sample("something else").svg()
    _ = try sample().png()
    let second = try sample().svg()
    #expect(first == second)
    let text = String(decoding: first, as: UTF8.self)
    #expect(text.contains("id=\"surface1\""))
}

@Test func pngIsByteIdenticalAndHasTheScaledSize() throws {
    let a = try sample().png(scale: 2), b = try sample().png(scale: 2)
    #expect(a == b)
    #expect(Array(a.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    // IHDR width and height, big-endian, at bytes 16..<24.
    let w = a[16..<20].reduce(0) { $0 << 8 | Int($1) }, h = a[20..<24].reduce(0) { $0 << 8 | Int($1) }
    #expect(w == 400 && h == 240)
}

@Test func differentDrawingsGiveDifferentBytes() throws {
    #expect(try sample("a").png() != sample("b").png())
}

@Test func svgIdsAreRenumberedInOrderOfAppearance() {
    let raw = Data(##"<g id="surface91"><use xlink:href="#image7"/><g id="surface93"/><use xlink:href="#image7"/>"##.utf8)
    let out = String(decoding: normaliseSVGIds(raw), as: UTF8.self)
    #expect(out == ##"<g id="surface1"><use xlink:href="#image1"/><g id="surface2"/><use xlink:href="#image1"/>"##)
}

@Test func linearTicksAreRoundAndInsideTheDomain() {
    let s = Scale(domain: (0, 1), range: (0, 100))
    #expect(s.ticks(5).count == 6)
    #expect(s.ticks(5).allSatisfy { $0 >= 0 && $0 <= 1 })
    #expect(s(0.5) == 50)
}

@Test func logScaleMapsDecadesEvenly() {
    let s = Scale(domain: (0.01, 1), range: (0, 200), log: true)
    #expect(abs(s(0.1) - 100) < 1e-9)
    #expect(s.ticks() == [0.01, 0.1, 1])
}

@Test func colourMapsHitTheirEndpoints() {
    #expect(ColorMap.blueWhiteRed(0) == Color(hex: "#053061"))
    #expect(ColorMap.blueWhiteRed(1) == Color(hex: "#67001f"))
    #expect(ColorMap.viridis(2) == Color(hex: "#fde725"))   // clamped
    #expect(ColorMap.viridis(.nan) == Color(hex: "#440154"))
}

@Test func tickLabelsAreShort() {
    #expect(tickLabel(0) == "0")
    #expect(tickLabel(0.5) == "0.5")
    #expect(tickLabel(10) == "10")
    #expect(tickLabel(0.0001) == "10^{−4}")
    #expect(tickLabel(10000) == "10^{4}")
    #expect(tickLabel(20000) == "2×10^{4}")
    #expect(tickLabel(16384) == "16384" && tickLabel(1_048_576) == "1048576")   // in full, not a rounded 1.6×10⁴
    #expect(tickLabel(2_000_000) == "2×10^{6}")
}

private func image(_ w: Int, _ h: Int, _ fill: UInt32 = 0xFFFF_FFFF) -> RasterImage {
    RasterImage(width: w, height: h, pixels: Array(repeating: fill, count: w * h))
}

@Test func anIdenticalRenderingHasZeroDifference() throws {
    let a = try RasterImage(png: sample().png()), b = try RasterImage(png: sample().png())
    #expect(compareImages(a, b) == ImageDifference(rms: 0, changedFraction: 0, sameSize: true))
}

@Test func aChangedFigureIsCaughtWithTheRightRMS() {
    // 100×100 white; the changed one has a 10×10 block moved from white to black in R, G and B (A unchanged):
    // 100 pixels × 3 channels × 255², over 10,000 pixels × 4 channels.
    let a = image(100, 100)
    var px = a.pixels
    for y in 0..<10 { for x in 0..<10 { px[y * 100 + x] = 0xFF00_0000 } }
    let d = compareImages(a, RasterImage(width: 100, height: 100, pixels: px))
    #expect(abs(d.rms - (100.0 * 3 * 255 * 255 / 40_000).squareRoot()) < 1e-9)
    #expect(d.changedFraction == 0.01)
    #expect(d.rms > 1 && d.changedFraction > 0.002)   // beyond the check's tolerance
}

@Test func aOnePixelAntialiasingDifferenceIsWithinTolerance() {
    let a = image(400, 300)
    var px = a.pixels
    px[12_345] = 0xFFFA_FAFA   // one edge pixel, a few levels darker
    let d = compareImages(a, RasterImage(width: 400, height: 300, pixels: px))
    #expect(d.rms < 1 && d.changedFraction < 0.002)
}

@Test func differentSizesAreAChange() {
    #expect(!compareImages(image(10, 10), image(10, 11)).sameSize)
}

@Test func theDifferenceImageMarksChangedPixelsInRed() throws {
    let a = image(4, 1)
    var px = a.pixels
    px[2] = 0xFF00_0000
    let diff = differenceImage(expected: a, actual: RasterImage(width: 4, height: 1, pixels: px))
    #expect(diff.pixels[2] == 0xFFFF_0000)
    #expect(diff.pixels[0] != 0xFFFF_0000)
    #expect(try RasterImage(png: diff.png()) == diff)
}

@Test func markupSplitsSubscriptsAndSuperscripts() {
    func r(_ s: String) -> [String] { TextMarkup.runs(s).map { "\($0.level):\($0.text)" } }
    #expect(r("W_i·W_j") == ["0:W", "-1:i", "0:·W", "-1:j"])
    #expect(r("Σ_{j≠i}(Ŵ_i·W_j)²") == ["0:Σ", "-1:j≠i", "0:(Ŵ", "-1:i", "0:·W", "-1:j", "0:)²"])
    #expect(r("0.7^i and S^{n−k}") == ["0:0.7", "1:i", "0: and S", "1:n−k"])
    #expect(r("a_ b ^") == ["0:a_ b ^"])   // a mark with nothing after it is literal
}

@Test func aSubscriptIsDrawnSmallerAndBelowTheBaseline() throws {
    let layout = try Drawing(width: 100, height: 40) { c in c.text("W_i", at: Point(10, 20), size: 10) }.textLayout()
    let plain = try Drawing(width: 100, height: 40) { c in c.text("Wi", at: Point(10, 20), size: 10) }.textLayout()
    #expect(layout.boxes.count == 1 && layout.boxes[0].size == 10)
    #expect(layout.boxes[0].rect.maxY > plain.boxes[0].rect.maxY)   // the subscript descends below "i" on the baseline
    #expect(layout.boxes[0].rect.width < plain.boxes[0].rect.width)
}

@Test func aTitleThatLeavesTheCanvasIsAProblem() throws {
    let clipped = try Drawing(width: 200, height: 60) { c in
        c.text("A title far too long for a figure this narrow", at: Point(10, 20), size: 13, bold: true)
    }.textLayout()
    #expect(clipped.problems().count == 1)
    #expect(clipped.problems().first?.contains("leaves the canvas") == true)
    let fits = try Drawing(width: 200, height: 60) { c in c.text("Short title", at: Point(10, 20), size: 13, bold: true) }.textLayout()
    #expect(fits.problems().isEmpty)
}

@Test func overlappingLabelsAndTextClippedByItsPanelAreProblems() throws {
    let overlap = try Drawing(width: 200, height: 60) { c in
        c.text("first label", at: Point(10, 30), size: 10)
        c.text("second", at: Point(40, 33), size: 10)
    }.textLayout()
    #expect(overlap.problems() == ["\"first label\" overlaps \"second\""])
    let stacked = try Drawing(width: 200, height: 60) { c in
        c.text("first label", at: Point(10, 20), size: 10)
        c.text("second", at: Point(10, 34), size: 10)
    }.textLayout()
    #expect(stacked.problems().isEmpty)
    let inPanel = try Drawing(width: 200, height: 60) { c in
        c.clipped(to: Rect(0, 0, 50, 60)) { c.text("cut by the panel", at: Point(10, 30), size: 10) }
    }.textLayout()
    #expect(inPanel.problems().first?.contains("clipped by its panel") == true)
}
