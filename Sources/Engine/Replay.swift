// Training from given initial weights on one fixed batch, step by step: the shared ground on which the engine
// is compared with the PyTorch reference (bench/torch_reference.py replay writes the losses that
// Tests/EngineTests/TorchReplayTests.swift compares with).

extension Trainer {
    /// `steps` AdamW steps of the notebook objective on the same batch `x` (sample-major, batch × n), starting
    /// from `model`; returns the final model and the loss (paper convention) before each step.
    public static func replay(_ model: ToyModel, importance: [Float], batch x: [Float], steps: Int,
                              recipe: TrainingRecipe) -> (model: ToyModel, losses: [Float]) {
        let n = model.n, m = model.m
        let B = x.count / n
        precondition(B * n == x.count && B % 8 == 0, "the batch must hold a multiple of 8 samples of n features")
        var model = model
        let buf = StepBuffers(n: n, m: m, batch: B)
        for s in 0..<B { for i in 0..<n { buf.x.row(i)[s / 8][s % 8] = x[s * n + i] } }
        var gW = [Float](repeating: 0, count: m * n), gb = [Float](repeating: 0, count: n)
        var mW = gW, vW = gW, mb = gb, vb = gb
        var losses: [Float] = []
        let gradScale = 2 / Float(B * n)
        for step in 1...steps {
            model.W.withUnsafeMutableBufferPointer { W in
                model.b.withUnsafeMutableBufferPointer { b in
                    importance.withUnsafeBufferPointer { imp in
                        forwardPass(buf, W: W.baseAddress!, bias: b.baseAddress!, n: n, m: m)
                        losses.append(lossAndOutputGradient(buf, importance: imp.baseAddress!, n: n,
                                                            relu: model.activation == .relu, gradScale: gradScale) / Float(B))
                        gW.withUnsafeMutableBufferPointer { gw in
                            gb.withUnsafeMutableBufferPointer { gbb in
                                backwardPass(buf, W: W.baseAddress!, n: n, m: m, gradW: gw.baseAddress!, gradB: gbb.baseAddress!)
                                mW.withUnsafeMutableBufferPointer { a in vW.withUnsafeMutableBufferPointer { v in
                                    adamW(W.baseAddress!, grad: gw.baseAddress!, m1: a.baseAddress!, m2: v.baseAddress!,
                                          count: m * n, step: step, recipe: recipe)
                                } }
                                mb.withUnsafeMutableBufferPointer { a in vb.withUnsafeMutableBufferPointer { v in
                                    adamW(b.baseAddress!, grad: gbb.baseAddress!, m1: a.baseAddress!, m2: v.baseAddress!,
                                          count: n, step: step, recipe: recipe)
                                } }
                            }
                        }
                    }
                }
            }
        }
        return (model, losses)
    }
}
