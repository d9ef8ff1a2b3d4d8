// A two-layer MLP trained to multiply: y = W₂ σ(W₁[a; b] + c₁) + c₂ with target a ⊙ b (a, b ~ N(0, I_d)), for the
// beyond-the-paper VSA experiment (binding by element-wise product from a nonlinearity). Adam with warm-up and
// cosine, fresh samples each step, one RNG stream per model. Also the Lin–Tegmark four-neuron product gadget.

import Foundation

/// The hidden nonlinearity.
public enum Activation: String, Codable, Sendable, CaseIterable {
    case gelu, silu, relu

    @inline(__always) public func callAsFunction(_ x: Float) -> Float {
        switch self {
        case .gelu: return 0.5 * x * (1 + erff(x * 0.70710678))
        case .silu: return x / (1 + expf(-x))
        case .relu: return max(x, 0)
        }
    }

    @inline(__always) func derivative(_ x: Float) -> Float {
        switch self {
        case .gelu: return 0.5 * (1 + erff(x * 0.70710678)) + x * 0.39894228 * expf(-0.5 * x * x)
        case .silu: let s = 1 / (1 + expf(-x)); return s + x * s * (1 - s)
        case .relu: return x > 0 ? 1 : 0
        }
    }

    /// σ''(0): √(2/π) for GELU, 1/2 for SiLU, 0 for ReLU.
    public var curvature: Double {
        switch self {
        case .gelu: return (2 / Double.pi).squareRoot()
        case .silu: return 0.5
        case .relu: return 0
        }
    }

    /// The activation in Double (for the gadget).
    public func exact(_ x: Double) -> Double {
        switch self {
        case .gelu: return 0.5 * x * (1 + erf(x / 2.0.squareRoot()))
        case .silu: return x / (1 + exp(-x))
        case .relu: return max(x, 0)
        }
    }
}

/// Lin & Tegmark's product from four neurons: [σ(λ(a+b)) + σ(−λ(a+b)) − σ(λ(a−b)) − σ(−λ(a−b))] / (4σ₂λ²);
/// for ReLU (σ₂ = 0) the bracket divided by λ, which is 2·sign(ab)·min(|a|, |b|).
public func productGadget(_ a: Double, _ b: Double, lambda: Double, _ act: Activation) -> Double {
    let s = a + b, t = a - b
    let bracket = act.exact(lambda * s) + act.exact(-lambda * s) - act.exact(lambda * t) - act.exact(-lambda * t)
    return act == .relu ? bracket / lambda : bracket / (4 * act.curvature * lambda * lambda)
}

/// A trained product MLP: W₁ (h × 2d), c₁ (h), W₂ (d × h), c₂ (d), and its relative error on fresh samples.
public struct ProductMLP: Codable, Sendable {
    public var d: Int, hidden: Int
    public var activation: Activation
    public var w1: [Float], c1: [Float], w2: [Float], c2: [Float]
    /// E‖ŷ − y‖² / E‖y‖² on evaluation samples.
    public var relativeError: Double

    /// Trains one MLP; deterministic in `seed`.
    public static func train(d: Int, hidden h: Int, activation act: Activation, steps: Int, batch: Int, lr: Float,
                             warmup: Int, evalSamples: Int, seed: UInt64) -> ProductMLP {
        var rng = Xoshiro(seed: seed)
        let inDim = 2 * d
        // PyTorch's default init: U(−1/√fan_in, 1/√fan_in).
        func uniform(_ count: Int, _ fanIn: Int) -> [Float] {
            let bound = 1 / Float(fanIn).squareRoot()
            return (0..<count).map { _ in (2 * rng.unitFloat() - 1) * bound }
        }
        var params = uniform(h * inDim, inDim) + uniform(h, inDim) + uniform(d * h, h) + uniform(d, h)
        let o1 = 0, o2 = h * inDim, o3 = o2 + h, o4 = o3 + d * h
        var grad = [Float](repeating: 0, count: params.count)
        var moments = AdamMoments(count: params.count)
        let recipe = LargeRecipe(steps: steps, batch: batch, lr: lr, warmup: warmup)
        var inputs = [Float](repeating: 0, count: batch * inDim)
        for t in 0..<steps {
            // A fresh batch, sample after sample, each [a; b] ~ N(0, I_2d).
            for i in inputs.indices { inputs[i] = Float(rng.normal()) }
            _ = lossAndGradient(params, inputs: inputs, d: d, hidden: h, activation: act, into: &grad)
            moments.step(&params, grad, AdamWStep(recipe, lr: recipe.rate(t), step: t + 1))
        }
        var num = 0.0, den = 0.0
        var pre = [Float](repeating: 0, count: h), hid = pre, y = [Float](repeating: 0, count: d), z = [Float](repeating: 0, count: inDim)
        for _ in 0..<evalSamples {
            for i in 0..<inDim { z[i] = Float(rng.normal()) }
            forward(params, z, d: d, hidden: h, activation: act, pre: &pre, hid: &hid, y: &y)
            for k in 0..<d {
                let target = Double(z[k] * z[d + k])
                num += (Double(y[k]) - target) * (Double(y[k]) - target); den += target * target
            }
        }
        let mlp = ProductMLP(d: d, hidden: h, activation: act, w1: Array(params[o1..<o2]), c1: Array(params[o2..<o3]),
                             w2: Array(params[o3..<o4]), c2: Array(params[o4...]), relativeError: num / den)
        WeightRecorder.note {
            RecordedInstance(kind: "product-mlp", seed: seed,
                             settings: ["d": Double(d), "hidden": Double(h), "steps": Double(steps), "lr": Double(lr),
                                        "activation": act == .relu ? 0 : act == .gelu ? 1 : 2],
                             arrays: [RecordedArray(name: "W1", shape: [h, inDim], values: mlp.w1),
                                      RecordedArray(name: "c1", shape: [h], values: mlp.c1),
                                      RecordedArray(name: "W2", shape: [d, h], values: mlp.w2),
                                      RecordedArray(name: "c2", shape: [d], values: mlp.c2)])
        }
        return mlp
    }

    /// The MLP on one input z = [a; b] (parameters packed W₁, c₁, W₂, c₂): pre-activations, hidden units and output.
    @inline(__always)
    static func forward(_ p: [Float], _ z: [Float], d: Int, hidden h: Int, activation act: Activation,
                        pre: inout [Float], hid: inout [Float], y: inout [Float]) {
        let inDim = 2 * d, o2 = h * inDim, o3 = o2 + h, o4 = o3 + d * h
        for u in 0..<h {
            var s = p[o2 + u]
            for i in 0..<inDim { s += p[u * inDim + i] * z[i] }
            pre[u] = s; hid[u] = act(s)
        }
        for k in 0..<d {
            var s = p[o4 + k]
            for u in 0..<h { s += p[o3 + k * h + u] * hid[u] }
            y[k] = s
        }
    }

    /// The batch's loss, mean over samples and outputs of (ŷ_k − a_k b_k)², and its gradient with respect to the packed
    /// parameters, into `g` (overwritten). `inputs` holds the samples one after another, 2d values each.
    static func lossAndGradient(_ p: [Float], inputs: [Float], d: Int, hidden h: Int, activation act: Activation,
                                into g: inout [Float]) -> Float {
        let inDim = 2 * d, o2 = h * inDim, o3 = o2 + h, o4 = o3 + d * h
        let batch = inputs.count / inDim
        for i in g.indices { g[i] = 0 }
        var pre = [Float](repeating: 0, count: h), hid = pre, dhid = pre, y = [Float](repeating: 0, count: d), err = y
        var z = [Float](repeating: 0, count: inDim)
        let scale = 2 / Float(batch * d)
        var loss: Float = 0
        for s in 0..<batch {
            for i in 0..<inDim { z[i] = inputs[s * inDim + i] }
            forward(p, z, d: d, hidden: h, activation: act, pre: &pre, hid: &hid, y: &y)
            for k in 0..<d { let e = y[k] - z[k] * z[d + k]; loss += e * e; err[k] = scale * e }
            for u in 0..<h { dhid[u] = 0 }
            for k in 0..<d {
                g[o4 + k] += err[k]
                for u in 0..<h { g[o3 + k * h + u] += err[k] * hid[u]; dhid[u] += err[k] * p[o3 + k * h + u] }
            }
            for u in 0..<h {
                let dp = dhid[u] * act.derivative(pre[u])
                g[o2 + u] += dp
                for i in 0..<inDim { g[u * inDim + i] += dp * z[i] }
            }
        }
        return loss / Float(batch * d)
    }

    /// Per hidden unit: the largest share of its squared input weight on one coordinate pair (a_k, b_k).
    public var locality: [Double] {
        (0..<hidden).map { u in
            var total = 0.0, best = 0.0
            for k in 0..<d {
                let wa = Double(w1[u * 2 * d + k]), wb = Double(w1[u * 2 * d + d + k])
                let e = wa * wa + wb * wb
                total += e; best = max(best, e)
            }
            return total > 0 ? best / total : 0
        }
    }
}
