// Training from given initial weights on one fixed batch, step by step: the shared ground on which the engine
// is compared with the PyTorch reference (bench/torch_reference.py replay writes the losses that
// Tests/EngineTests/TorchReplayTests.swift compares with).

extension Trainer {
    /// `steps` AdamW steps of the notebook objective on the same batch `x` (sample-major, batch × n), starting
    /// from `model`; returns the final model and the loss (paper convention) before each step. Each step is
    /// `toyModelStep`, the one `trainOne` takes.
    public static func replay(_ model: ToyModel, importance: [Float], batch x: [Float], steps: Int,
                              recipe: TrainingRecipe) -> (model: ToyModel, losses: [Float]) {
        let n = model.n, m = model.m
        let B = x.count / n
        precondition(B * n == x.count && B % 8 == 0, "the batch must hold a multiple of 8 samples of n features")
        var model = model
        let buf = StepBuffers(n: n, m: m, batch: B)
        for s in 0..<B { for i in 0..<n { buf.x.row(i)[s / 8][s % 8] = x[s * n + i] } }
        var optimiser = ToyOptimiser(n: n, m: m, hiddenBias: false)
        var losses: [Float] = []
        for step in 1...steps {
            model.W.withUnsafeMutableBufferPointer { W in
                model.b.withUnsafeMutableBufferPointer { b in
                    importance.withUnsafeBufferPointer { imp in
                        losses.append(toyModelStep(buf, W: W.baseAddress!, bias: b.baseAddress!, hiddenBias: nil, n: n, m: m,
                                                   importance: imp.baseAddress!, relu: model.activation == .relu,
                                                   hiddenReLU: false, l1: 0, trainBias: true, target: nil, total: true,
                                                   step: AdamWStep(recipe, step: step), optimiser: &optimiser))
                    }
                }
            }
        }
        return (model, losses)
    }
}
