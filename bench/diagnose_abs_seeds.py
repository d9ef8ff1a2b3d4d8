"""Where the cross-check's §9 claims C9.14, C9.15 and C9.8 differ (paper/crosscheck-notes.tsv): does the PyTorch
reference train a different distribution of absolute-value models at 1−S = 0.03 (notebook recipe) than our engine,
or do the two only draw different seeds from one distribution? Takes our models of that density alone from a
`paper export` (below), trains as many seeds with the reference's `train_abs`, and prints, per seed, the monosemantic
and polysemantic neurons (the report's rule, `AbsNeurons`) and the loss on 200,000 fresh samples. About 4 minutes
for 12 seeds on one core (the export: about a minute).

  .build/release/paper export abs --set 'densities=[0.03]' --set kRecipe.steps=1 --seeds 12 --out /tmp/abs12
  .venv-torch/bin/python bench/diagnose_abs_seeds.py /tmp/abs12 12

The export's [K] arm is trained for one step only, so that the notebook arm is the trained model of density 0.03.
"""
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_reference as R  # noqa: E402

N, M, DENSITY = 100, 40, 0.03
IMPORTANCE = (0.8 ** np.arange(N)).astype(np.float32)


def neurons(W1, W2):
    """(monosemantic, polysemantic) active neurons: active when the largest |W₁|·|W₂| product is at least 1 % of the
    model's largest; a neuron stores the features whose |W₁| is at least 0.2 of its largest."""
    reach = np.abs(W1).max(1) * np.abs(W2).max(0)
    active = np.where(reach >= 0.01 * reach.max())[0]
    stores = (np.abs(W1) >= 0.2 * np.abs(W1).max(1, keepdims=True)).sum(1)
    return int((stores[active] == 1).sum()), int((stores[active] >= 2).sum())


def loss(W1, W2, b, rng, samples=200_000):
    """Mean over samples and features of I_i (ReLU(W₂ ReLU(W₁x) + b)_i − |x_i|)², signed features at DENSITY."""
    x = np.where(rng.random((samples, N), dtype=np.float32) < DENSITY, 2 * rng.random((samples, N), dtype=np.float32) - 1, 0)
    y = np.maximum(np.maximum(x @ W1.T, 0) @ W2.T + b, 0)
    return float((IMPORTANCE * (y - np.abs(x)) ** 2).mean())


def ours(export, seed):
    """Our trained model of DENSITY in seed `seed` of the export: of the two instances at that density (the notebook
    arm and the one-step [K] arm, recorded with the same settings), the one with the larger weights."""
    base = os.path.join(export, f"seed{seed}", "instances")
    found = []
    for name in sorted(os.listdir(base)):
        p = os.path.join(base, name)
        density = np.load(os.path.join(p, "density.npy"))
        if density.shape[0] == N and abs(density[0] - DENSITY) < 1e-6:
            found.append(tuple(np.load(os.path.join(p, f + ".npy")) for f in ("W1", "W2", "b")))
    return max(found, key=lambda w: np.abs(w[0]).max())


def main(export, seeds):
    torch.set_num_threads(1)
    recipe = json.load(open(os.path.join(export, "manifest.json")))["config"]["recipe"]
    rng = np.random.default_rng(123)
    print("side       seed  mono  poly  loss")
    for s in range(seeds):
        W1, W2, b = ours(export, s)
        print("ours       %4d  %4d  %4d  %.3e" % (s, *neurons(W1, W2), loss(W1, W2, b, rng)), flush=True)
    for s in range(seeds):
        spec = dict(n=N, m=M, importance=IMPORTANCE.tolist(), density=[DENSITY] * N, seed=1000 + s)
        r = R.train_abs([spec], recipe)[0]
        W1 = np.array(r["W1"], np.float32).reshape(M, N)
        W2 = np.array(r["W2"], np.float32).reshape(N, M)
        b = np.array(r["b"], np.float32)
        print("reference  %4d  %4d  %4d  %.3e" % (s, *neurons(W1, W2), loss(W1, W2, b, rng)), flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], int(sys.argv[2]))
