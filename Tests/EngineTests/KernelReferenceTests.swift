// Every training kernel against a plain scalar reference, bit for bit. Each kernel computes every output as a fixed
// chain of fused multiply-adds (Float.addingProduct is fused, exactly rounded), so a short loop over samples in the
// same order gives the same bits whatever the kernel's blocking, vector width (SIMD8, SIMD16), skipping of exact zeros
// or batch remainder. The sweeps cover full and partial blocks of rows and columns, both layouts of the coefficients,
// sparse and dense inputs, the dense-input path, the SIMD16 eight-row path and the tiny path of pairedRowDots.
// Tolerance: none (bit patterns compared). The pinned hashes in KernelPinTests stay as a backstop.
import Foundation
import Testing
@testable import Engine

/// A feature-major batch of `rows` rows whose entries are exactly zero with probability 1 − density, else uniform in
/// [−1, 1) (never −0).
private func randomBatch(rows: Int, batch: Int, density: Double, rng: inout Xoshiro) -> FeatureMajorBatch {
    let x = FeatureMajorBatch(rows: rows, batch: batch)
    for r in 0..<rows {
        for s in 0..<batch where rng.unitDouble() < density {
            var v = 2 * rng.unitFloat() - 1
            if v == 0 { v = 0.5 }
            x.row(r)[s / 8][s % 8] = v
        }
    }
    return x
}

private func randomFloats(_ count: Int, rng: inout Xoshiro) -> [Float] {
    (0..<count).map { _ in 2 * rng.unitFloat() - 1 }
}

/// combineRows by definition: out[r][s] = bias[r] (or 0), then + coef[r·rStride + c·cStride] · rows[c][s] for c in order.
private func combineRowsReference(rows: FeatureMajorBatch, inner: Int, outRows: Int, coef: [Float], rStride: Int,
                                  cStride: Int, bias: [Float]?) -> [Float] {
    var out = [Float](repeating: 0, count: outRows * rows.batch)
    for r in 0..<outRows {
        for s in 0..<rows.batch {
            var acc = bias?[r] ?? 0
            for c in 0..<inner { acc = acc.addingProduct(rows.value(c, s), coef[r * rStride + c * cStride]) }
            out[r * rows.batch + s] = acc
        }
    }
    return out
}

@Test func combineRowsEqualsItsScalarReferenceOnEveryPath() {
    var rng = Xoshiro(seed: 31)
    // One work space for the whole sweep, as in training, with sizes going up and down.
    let scratch = KernelScratch()
    var checked = 0, wideChecked = 0
    // (outRows, inner): rows in full and partial blocks of 4 and of 8 (the SIMD16 eight-row path), one input or many.
    let shapes = [(1, 3), (3, 1), (4, 7), (5, 2), (8, 33), (9, 5), (13, 17), (16, 4)]
    for (outRows, inner) in shapes {
        // SIMD16: 1 … 8 vectors (blocks of two after the dense path's blocks of three, and a lone last one).
        for batch in [8, 16, 24, 32, 48, 64, 72, 80, 128] {
            for density in [0.0, 0.1, 1.0] {
                let x = randomBatch(rows: inner, batch: batch, density: density, rng: &rng)
                defer { x.deallocate() }
                let coef = randomFloats(outRows * inner, rng: &rng), bias = randomFloats(outRows, rng: &rng)
                // Row-major coefficients (H = W X) and column-major (Z = Wᵀ H reads W transposed).
                for (rStride, cStride) in [(inner, 1), (1, outRows)] {
                    for withBias in [false, true] {
                        let expected = combineRowsReference(rows: x, inner: inner, outRows: outRows, coef: coef, rStride: rStride,
                                                            cStride: cStride, bias: withBias ? bias : nil)
                        for dense in [false, true] {
                            for wide in batch % 16 == 0 ? [false, true] : [false] {
                                for packed in [false, true] {
                                    // NaN everywhere first, so an output the kernel never writes cannot pass.
                                    let out = FeatureMajorBatch(rows: outRows, batch: batch)
                                    defer { out.deallocate() }
                                    for r in 0..<outRows { for j in 0..<out.vectors { out.row(r)[j] = SIMD8(repeating: .nan) } }
                                    let space = UnsafeMutablePointer<Float>.allocate(capacity: max(1, outRows / 4 * inner * 4))
                                    defer { space.deallocate() }
                                    coef.withUnsafeBufferPointer { cp in
                                        bias.withUnsafeBufferPointer { bp in
                                            let quad = packed ? QuadCoefficients(cp.baseAddress!, rStride: rStride, cStride: cStride,
                                                                                  outRows: outRows, inner: inner) { space } : nil
                                            combineRows(into: out, outRows: outRows, from: x, inner: inner, coef: cp.baseAddress!,
                                                        rStride: rStride, cStride: cStride, bias: withBias ? bp.baseAddress! : nil,
                                                        scratch: scratch, quadCoef: quad, denseInputs: dense, wide: wide)
                                        }
                                    }
                                    var same = true
                                    for r in 0..<outRows {
                                        for s in 0..<batch where out.value(r, s).bitPattern != expected[r * batch + s].bitPattern {
                                            same = false
                                        }
                                    }
                                    #expect(same, "outRows \(outRows), inner \(inner), batch \(batch), density \(density), strides (\(rStride), \(cStride)), bias \(withBias), dense \(dense), wide \(wide), packed \(packed)")
                                    checked += 1
                                    if wide && outRows >= 8 && batch >= 32 { wideChecked += 1 }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    #expect(checked > 1000 && wideChecked > 100)
}

/// nonzeroBlockLists by definition: for each block of two vectors of `lanes` samples from vector j0 on (the last
/// may hold one), the c in order with any nonzero sample in the block, then −1.
private func blockListsReference(_ x: FeatureMajorBatch, lanes: Int, count: Int, from j0: Int) -> [[Int32]] {
    let nv = x.batch / lanes - j0, blocks = (nv + 1) / 2
    return (0..<blocks).map { k in
        let first = (j0 + 2 * k) * lanes, last = min(first + 2 * lanes, x.batch)
        return (0..<count).filter { c in (first..<last).contains { x.value(c, $0) != 0 } }.map(Int32.init) + [-1]
    }
}

@Test func nonzeroBlockListsNameExactlyTheRowsWithANonzeroSampleInEachBlock() {
    var rng = Xoshiro(seed: 32)
    var checked = 0
    for count in [1, 2, 7, 30] {
        for batch in [8, 16, 24, 32, 40, 64, 80] {
            for density in [0.0, 0.02, 0.2, 1.0] {
                let x = randomBatch(rows: count, batch: batch, density: density, rng: &rng)
                defer { x.deallocate() }
                for lanes in batch % 16 == 0 ? [8, 16] : [8] {
                    for j0 in [0, 1, 3] where j0 < batch / lanes {
                        let expected = blockListsReference(x, lanes: lanes, count: count, from: j0)
                        let blocks = expected.count
                        let lists = UnsafeMutablePointer<Int32>.allocate(capacity: blocks * (count + 1))
                        let counts = UnsafeMutablePointer<Int32>.allocate(capacity: blocks)
                        defer { lists.deallocate(); counts.deallocate() }
                        if lanes == 8 {
                            nonzeroBlockLists(x, as: SIMD8<Float>.self, count: count, from: j0, lists: lists, counts: counts)
                        } else {
                            nonzeroBlockLists(x, as: SIMD16<Float>.self, count: count, from: j0, lists: lists, counts: counts)
                        }
                        let got = (0..<blocks).map { k in
                            Array(UnsafeBufferPointer(start: lists + k * (count + 1), count: Int(counts[k]) + 1))
                        }
                        #expect(got == expected, "count \(count), batch \(batch), density \(density), lanes \(lanes), from \(j0)")
                        checked += 1
                    }
                }
            }
        }
    }
    #expect(checked > 150)
}

/// pairedRowDots by definition: eight lane sums, each over the sample vectors in order of a·b then a2·b2 (fused),
/// then summed pairwise ((0 + 1) + (2 + 3)) + ((4 + 5) + (6 + 7)).
private func pairedRowDotsReference(_ a: FeatureMajorBatch, _ a2: FeatureMajorBatch, rowsA: Int,
                                    _ b: FeatureMajorBatch, _ b2: FeatureMajorBatch, rowsB: Int) -> [Float] {
    var g = [Float](repeating: 0, count: rowsA * rowsB)
    for r in 0..<rowsA {
        for c in 0..<rowsB {
            var lane = [Float](repeating: 0, count: 8)
            for j in 0..<a.vectors {
                for l in 0..<8 {
                    let s = 8 * j + l
                    lane[l] = lane[l].addingProduct(a.value(r, s), b.value(c, s)).addingProduct(a2.value(r, s), b2.value(c, s))
                }
            }
            g[r * rowsB + c] = ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]))
        }
    }
    return g
}

@Test func pairedRowDotsEqualsItsScalarReferenceAtBothWidthsAndOnTheTinyPath() {
    var rng = Xoshiro(seed: 33)
    var checked = 0, tiny = 0
    let scratch = KernelScratch()
    for rowsA in [1, 2, 3, 4, 5, 7, 9] {
        for rowsB in [1, 2, 3, 4, 5, 8, 9, 17] {
            for batch in [8, 16, 40, 64] {
                for density in [0.0, 0.1, 1.0] {
                    let a = randomBatch(rows: rowsA, batch: batch, density: 0.7, rng: &rng)
                    let a2 = randomBatch(rows: rowsA, batch: batch, density: 0.7, rng: &rng)
                    let b = randomBatch(rows: rowsB, batch: batch, density: density, rng: &rng)
                    let b2 = randomBatch(rows: rowsB, batch: batch, density: density / 2, rng: &rng)
                    defer { a.deallocate(); a2.deallocate(); b.deallocate(); b2.deallocate() }
                    let expected = pairedRowDotsReference(a, a2, rowsA: rowsA, b, b2, rowsB: rowsB)
                    for wide in [false, true] {
                        var g = [Float](repeating: .nan, count: rowsA * rowsB)
                        g.withUnsafeMutableBufferPointer {
                            pairedRowDots(a, a2, rowsA: rowsA, b, b2, rowsB: rowsB, into: $0.baseAddress!, scratch: scratch, wide: wide)
                        }
                        #expect(g.map(\.bitPattern) == expected.map(\.bitPattern),
                                "rowsA \(rowsA), rowsB \(rowsB), batch \(batch), density \(density), wide \(wide)")
                        checked += 1
                        if rowsA <= 2 && rowsB <= 4 { tiny += 1 }
                    }
                }
            }
        }
    }
    #expect(checked > 600 && tiny > 50)
}

/// A positive output of the large model's output tiles: sample, row and the value's bits.
private struct Positive: Equatable { var sample: Int, row: Int, out: UInt32 }

/// The large model's pre-activations b[r] + Σ_k w[r·m + k] · h_s[k] (fused, k in order) of rows row … row + rows − 1
/// and samples s0 … s0 + width − 1, the positive ones of inactive features listed row by row, samples in order. h is
/// stored in slabs of 32 samples, each m × 32: h_s[k] = ht[(s / 32)·32m + 32k + s mod 32].
private func positiveTileReference(w: [Float], b: [Float], ht: [Float], m: Int, row: Int, rows: Int, s0: Int,
                                   width: Int, active: (Int, Int) -> Bool) -> [Positive] {
    var found: [Positive] = []
    for r in row..<(row + rows) {
        for s in s0..<(s0 + width) where !active(r, s) {
            var acc = b[r]
            for k in 0..<m { acc = acc.addingProduct(w[r * m + k], ht[(s / 32) * 32 * m + 32 * k + s % 32]) }
            if acc > 0 { found.append(Positive(sample: s, row: r, out: acc.bitPattern)) }
        }
    }
    return found
}

/// What one call of an output tile leaves: each row's list and each group's values.
private struct TileRun { var rows: [[Positive]]; var outs: [[UInt32]] }

/// Runs one output tile on a fresh block of `n` rows (from row 0) with the active features `active`.
private func runTile(n: Int, B: Int, w: [Float], b: [Float], ht: [Float], active: [UInt32],
                     _ kernel: (UnsafeBufferPointer<Float>, UnsafeBufferPointer<Float>, UnsafeBufferPointer<Float>, TileSink,
                                BlockPositives) -> Void) -> TileRun {
    let found = BlockPositives(rows: n, groups: (n + 3) / 4)
    w.withUnsafeBufferPointer { wp in b.withUnsafeBufferPointer { bp in ht.withUnsafeBufferPointer { hp in
        active.withUnsafeBufferPointer { ap in
            kernel(wp, bp, hp, TileSink(active: ap.baseAddress!, slabs: (B + 31) / 32, firstRow: 0, scratch: found.scratch), found)
        }
    } } }
    return TileRun(rows: (0..<n).map { r in found.rows.list(r).map { Positive(sample: Int($0.sample), row: r, out: $0.out.bitPattern) } },
                   outs: (0..<found.outs.count).map { g in found.outs.list(g).map(\.bitPattern) })
}

/// Checks a tile's run against the positives it should find, `expected`, in the order of a group-by-group sweep of
/// 16-sample tiles (rows from `row` to row + 3 in list `group`, the next ones in `group + 1`): each row's list and
/// each group's values.
private func tileMatches(_ run: TileRun, _ expected: [Positive], row: Int, group: Int) -> Bool {
    let groupOf = { (r: Int) in group + (r - row) / 4 }
    let rowsOK = run.rows.indices.allSatisfy { r in run.rows[r] == expected.filter { $0.row == r } }
    let outsOK = run.outs.indices.allSatisfy { g in run.outs[g] == expected.filter { groupOf($0.row) == g }.map(\.out) }
    return rowsOK && outsOK
}

/// Random active features (about one in six) as the tiles read them, and the same as a predicate.
private func randomActive(n: Int, B: Int, rng: inout Xoshiro) -> ([UInt32], (Int, Int) -> Bool) {
    let slabs = (B + 31) / 32
    var bits = [UInt32](repeating: 0, count: n * slabs)
    for r in 0..<n { for s in 0..<B where rng.unitFloat() < 1 / 6 { bits[r * slabs + s / 32] |= 1 << UInt32(s % 32) } }
    let copy = bits
    return (bits, { r, s in copy[r * slabs + s / 32] & (1 << UInt32(s % 32)) != 0 })
}

@Test func positiveTilesEqualTheirScalarReferenceWithPartialRowsAndSamples() {
    var rng = Xoshiro(seed: 34)
    var checked = 0, wideChecked = 0, positives = 0
    for m in [1, 3, 16, 37] {
        // Partial last tiles of 4, 8 and 12 samples (B = 20, 24, 28), and whole ones.
        for B in [16, 20, 24, 28, 32, 48, 64] {
            let n = 11
            let w = randomFloats(n * m, rng: &rng), ht = randomFloats(m * 32 * ((B + 31) / 32), rng: &rng)
            let b = randomFloats(n, rng: &rng).map { $0 * 0.3 }
            let (active, isActive) = randomActive(n: n, B: B, rng: &rng)
            for (row, rows, group) in [(0, 4, 0), (4, 3, 1), (8, 1, 2), (9, 2, 2)] {
                for s0 in stride(from: 0, to: B, by: 16) {
                    let run = runTile(n: n, B: B, w: w, b: b, ht: ht, active: active) { wp, bp, hp, sink, found in
                        positiveTile(wp, bp, hp, m: m, B: B, row: row, rows: rows, s0: s0, group: group, sink: sink, into: found)
                    }
                    let expected = positiveTileReference(w: w, b: b, ht: ht, m: m, row: row, rows: rows, s0: s0,
                                                         width: min(16, B - s0), active: isActive)
                    #expect(tileMatches(run, expected, row: row, group: group),
                            "m \(m), B \(B), rows \(row)+\(rows), s0 \(s0)")
                    checked += 1
                    positives += expected.count
                    guard s0 % 32 == 0, B - s0 >= 32 else { continue }
                    let wide = runTile(n: n, B: B, w: w, b: b, ht: ht, active: active) { wp, bp, hp, sink, found in
                        positiveTileWide(wp, bp, hp, m: m, B: B, row: row, rows: rows, s0: s0, group: group, sink: sink, into: found)
                    }
                    // Two 16-sample tiles' positives in order: samples s0 … s0 + 15, then s0 + 16 … s0 + 31.
                    let wideExpected = expected + positiveTileReference(w: w, b: b, ht: ht, m: m, row: row, rows: rows,
                                                                        s0: s0 + 16, width: 16, active: isActive)
                    #expect(tileMatches(wide, wideExpected, row: row, group: group),
                            "wide: m \(m), B \(B), rows \(row)+\(rows), s0 \(s0)")
                    wideChecked += 1
                }
            }
        }
    }
    #expect(checked > 100 && wideChecked > 20 && positives > 1000)
}

@Test func theEightRowPositiveTileEqualsTheScalarReferenceForEachOfItsTwoGroups() {
    var rng = Xoshiro(seed: 35)
    var checked = 0
    for m in [1, 5, 16, 37] {
        for B in [32, 64, 96] {
            let n = 13
            let w = randomFloats(n * m, rng: &rng), ht = randomFloats(m * 32 * ((B + 31) / 32), rng: &rng)
            let b = randomFloats(n, rng: &rng).map { $0 * 0.3 }
            let (active, isActive) = randomActive(n: n, B: B, rng: &rng)
            // Whole second groups and partial ones (5, 6 and 7 rows in all); the tile writes to groups 1 and 2, so
            // group 0 (and 3) must stay empty.
            for (row, rows) in [(0, 8), (5, 8), (1, 5), (4, 6), (6, 7)] {
                for s0 in stride(from: 0, to: B, by: 32) {
                    let run = runTile(n: n, B: B, w: w, b: b, ht: ht, active: active) { wp, bp, hp, sink, found in
                        positiveTileWide8(wp, bp, hp, m: m, row: row, rows: rows, s0: s0, group: 1, sink: sink, into: found)
                    }
                    func expected(_ r: Int, _ count: Int) -> [Positive] {
                        positiveTileReference(w: w, b: b, ht: ht, m: m, row: r, rows: count, s0: s0, width: 16, active: isActive)
                            + positiveTileReference(w: w, b: b, ht: ht, m: m, row: r, rows: count, s0: s0 + 16, width: 16,
                                                    active: isActive)
                    }
                    #expect(tileMatches(run, expected(row, 4) + expected(row + 4, rows - 4), row: row, group: 1), "m \(m), B \(B), rows \(row)+\(rows), s0 \(s0)")
                    checked += 1
                }
            }
        }
    }
    #expect(checked == 4 * 6 * 5)
}

@Test func adamOnRowsWithoutAGradientEqualsAdamOnZeroGradientsBitForBit() {
    // Rows flagged as having no gradient hold garbage in g, which must not be read: the step must equal adamW's
    // with those rows' gradient set to +0. Widths with remainders after the blocks of 16 and 8, several jobs of rows.
    var rng = Xoshiro(seed: 37)
    for (rows, width) in [(7, 8), (13, 24), (3000, 16), (5, 37)] {
        let count = rows * width
        let flags = (0..<rows).map { _ in rng.unitFloat() < 0.5 }
        var g = randomFloats(count, rng: &rng)
        var zeroed = g
        for r in 0..<rows where !flags[r] {
            for k in 0..<width { zeroed[r * width + k] = 0; g[r * width + k] = .nan }
        }
        var p = randomFloats(count, rng: &rng), q = p
        var a = AdamMoments(count: count), b = AdamMoments(count: count)
        for t in 1...3 {
            let s = AdamWStep(lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, step: t)
            a.step(&p, g, rows: rows, width: width, hasGradient: flags, s, threads: 3)
            b.step(&q, zeroed, s, threads: 2)
        }
        #expect(zip(p, q).allSatisfy { $0.bitPattern == $1.bitPattern } && zip(a.m1, b.m1).allSatisfy { $0.bitPattern == $1.bitPattern }
                && zip(a.m2, b.m2).allSatisfy { $0.bitPattern == $1.bitPattern }, "\(rows) rows of \(width)")
    }
}

@Test(arguments: [Float(0), 0.01])
func theOneAdamWStepEqualsPyTorchsFormulaEntryByEntry(_ weightDecay: Float) {
    var rng = Xoshiro(seed: 36)
    let (b1, b2, eps): (Float, Float, Float) = (0.9, 0.999, 1e-8)
    // Counts with remainders after the blocks of 16 and of 8, and more than one chunk of work (`adamChunk`).
    for count in [5, 16, 24, 37, 40_000] {
        var p = randomFloats(count, rng: &rng)
        var moments = AdamMoments(count: count)
        var (m1, m2, q) = ([Float](repeating: 0, count: count), [Float](repeating: 0, count: count), p)
        for t in 1...3 {
            let g = randomFloats(count, rng: &rng)
            let lr: Float = 0.01 / Float(t)
            moments.step(&p, g, AdamWStep(lr: lr, beta1: b1, beta2: b2, eps: eps, weightDecay: weightDecay, step: t), threads: 3)
            // AdamW's formula as torch.optim.AdamW documents it, one entry at a time: bias corrections in double, then float32.
            let c1 = 1 - pow(Double(b1), Double(t)), c2 = 1 - pow(Double(b2), Double(t))
            let stepSize = Float(Double(lr) / c1), c2Sqrt = Float(c2.squareRoot())
            for i in 0..<count {
                q[i] *= 1 - lr * weightDecay
                m1[i] = b1 * m1[i] + (1 - b1) * g[i]
                m2[i] = b2 * m2[i] + (1 - b2) * g[i] * g[i]
                q[i] -= stepSize * m1[i] / (m2[i].squareRoot() / c2Sqrt + eps)
            }
            #expect(p.map(\.bitPattern) == q.map(\.bitPattern), "count \(count), step \(t)")
            #expect(moments.m1.map(\.bitPattern) == m1.map(\.bitPattern))
            #expect(moments.m2.map(\.bitPattern) == m2.map(\.bitPattern))
        }
    }
}
