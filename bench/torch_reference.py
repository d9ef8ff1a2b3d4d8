"""The PyTorch reference of the official notebook's recipe (toy_models.ipynb), kept beside our engine as llm.c keeps
its reference: the peer of `paper bench --vs-torch`, and the source of the replay golden file the tests compare with.

  python bench/torch_reference.py time --steps 30 --threads 2 < workloads.json
      workloads.json: [{"name", "n", "m", "instances", "batch", "importance": [n], "densities": [instances]}]
      prints {"name": steps_per_second, ...}
  python bench/torch_reference.py replay < case.json
      case.json: a ReplayCase (W is m×n row-major, batch is samples × n); prints {"losses": [...]}
  python bench/torch_reference.py serve --threads 1
      the cross-check's trainer (`paper crosscheck`, through `make crosscheck`, runs one such process per core, each
      with one torch thread, faster here than one process on two threads): reads one request per line,
      {"kind": "toy", "specs": [ToyModelSpec…], "recipe": TrainingRecipe, "initial": [null | {"W", "b", "c"}…],
      "snapshots": [step…]} (the last two optional) trains every spec with the notebook's step (below) and writes one
      line back, {"models": [{"W", "b", "c", "lossCurve", "snapshots"}…]} with W m×n row-major as our engine keeps
      it; {"kind": "abs", "specs": [AbsSpec…], "recipe"} trains §9's absolute-value models, {"models": [{"W1",
      "W2", "b"}…]}; a failure answers {"error": "…"}. The first line written is {"torch": version, "python": …}.

Run through `make bench-torch` or `make crosscheck`, which create the virtual environment with torch from PyPI once.
"""
import json
import math
import platform
import sys
import time

import numpy as np
import torch


def notebook_step(W, b, opt, importance, densities, batch):
    """One step as the notebook: fresh data, ReLU(WᵀWx + b), importance-weighted MSE, AdamW."""
    inst, n, _ = W.shape
    x = torch.rand(batch, inst, n)
    x = torch.where(torch.rand(batch, inst, n) <= densities, x, torch.zeros(()))
    h = torch.einsum("bif,ifh->bih", x, W)
    out = torch.relu(torch.einsum("bih,ifh->bif", h, W) + b)
    loss = (importance * (x - out) ** 2).mean(dim=(0, 2)).sum()
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()


def time_workloads(steps, threads):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    out = {}
    for w in json.load(sys.stdin):
        inst, n, m = w["instances"], w["n"], w["m"]
        W = torch.nn.Parameter(torch.empty(inst, n, m))
        torch.nn.init.xavier_normal_(W)
        b = torch.nn.Parameter(torch.zeros(inst, n))
        opt = torch.optim.AdamW([W, b], lr=1e-3)
        importance = torch.tensor(w["importance"], dtype=torch.float32)
        densities = torch.tensor(w["densities"], dtype=torch.float32)[:, None]
        for _ in range(3):
            notebook_step(W, b, opt, importance, densities, w["batch"])
        t0 = time.perf_counter()
        for _ in range(steps):
            notebook_step(W, b, opt, importance, densities, w["batch"])
        out[w["name"]] = steps / (time.perf_counter() - t0)
    print(json.dumps(out))


def replay():
    c = json.load(sys.stdin)
    n, m = c["n"], c["m"]
    torch.set_num_threads(1)
    W = torch.nn.Parameter(torch.tensor(c["W"], dtype=torch.float32).reshape(m, n).T.contiguous())  # n × m
    b = torch.nn.Parameter(torch.tensor(c["b"], dtype=torch.float32))
    x = torch.tensor(c["batch"], dtype=torch.float32).reshape(-1, n)
    importance = torch.tensor(c["importance"], dtype=torch.float32)
    opt = torch.optim.AdamW([W, b], lr=c["lr"], betas=(c["beta1"], c["beta2"]), eps=c["eps"],
                            weight_decay=c["weightDecay"])
    losses = []
    for _ in range(c["steps"]):
        out = torch.relu(x @ W @ W.T + b)
        err = importance * (x - out) ** 2
        losses.append(err.sum(dim=1).mean().item())   # the paper's convention, as our engine reports
        loss = err.mean()                              # the notebook's objective
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    print(json.dumps({"losses": losses, "torch": torch.__version__}))


def train_group(specs, recipe, initial, snapshots=None):
    """Trains specs that share a shape and an architecture as instances of one batched model, as the notebook does:
    Xavier-normal W per instance (std √(2/(n+m))), b = 0 and c = 0 unless `initial` gives them, fresh samples each
    step (feature i present with probability density_i, then uniform on [0, 1]), the objective mean over batch and
    features of I_i (x_i − x̂_i)² plus λ mean over batch of ‖h‖₁ / n, and torch.optim.AdamW over W, b (when the spec
    trains it) and c (with a hidden bias), with CosineAnnealingLR when the recipe asks for it; feature sets and the
    training attack as `sample` and `attacked` say; the weights after each step in `snapshots`, when given.
    Tensors are instance × batch × feature, so that the products are batched matmuls. One uniform draw u per entry
    gives both presence (u < density) and the value (u / density, uniform on [0, 1] given presence). The initial
    weights come from torch's generator, the data from NumPy's PCG64 (twice as fast here), both seeded by the first
    spec's seed."""
    s0 = specs[0]
    inst, n, m = len(specs), s0["n"], s0["m"]
    rng = generators(s0["seed"])
    W0 = torch.randn(inst, n, m) * math.sqrt(2.0 / (n + m))
    b0 = torch.zeros(inst, 1, n)
    c0 = torch.zeros(inst, 1, m)
    for k, w in enumerate(initial):
        if w is not None:
            W0[k] = torch.tensor(w["W"], dtype=torch.float32).reshape(m, n).T
            b0[k, 0] = torch.tensor(w["b"], dtype=torch.float32)
            if w.get("c"):
                c0[k, 0] = torch.tensor(w["c"], dtype=torch.float32)
    W = torch.nn.Parameter(W0)
    params = [W]
    b = torch.nn.Parameter(b0) if s0["bias"] else b0
    if s0["bias"]:
        params.append(b)
    hidden_bias = s0.get("hiddenBias", False)
    c = torch.nn.Parameter(c0) if hidden_bias else None
    if hidden_bias:
        params.append(c)
    relu_out = s0["activation"] == "relu"
    relu_hidden = s0.get("hidden", "linear") == "relu"
    importance, density = per_instance(specs, "importance"), per_instance(specs, "density")
    l1 = torch.tensor([s.get("l1", 0.0) for s in specs], dtype=torch.float32)
    any_l1 = bool((l1 != 0).any())
    steps, batch = recipe["steps"], recipe["batch"]
    opt, sched = optimiser(params, recipe)
    sets = s0.get("sets") or []
    attack = torch.tensor([s.get("attack", 0.0) for s in specs], dtype=torch.float32)[:, None, None]
    any_attack = bool((attack != 0).any())
    wanted = set(snapshots or [])
    shots = [[] for _ in specs]
    curves = [[] for _ in specs]
    for step in range(1, steps + 1):
        x = sample(uniform(rng, inst, batch, n), density, sets, rng)
        target = x
        if any_attack:
            x = attacked(x, W.detach(), attack, rng)
        objective, paper = toy_loss(x, target, W, b, c, importance, l1, relu_hidden, relu_out, any_l1)
        opt.zero_grad(set_to_none=True)
        objective.backward()
        opt.step()
        if sched is not None:
            sched.step()
        if step in wanted:
            for k in range(inst):
                shots[k].append(weights(W, b, c, k))
        if step == 1 or step % recipe["logEvery"] == 0 or step == steps:
            if not torch.isfinite(paper).all():
                raise ValueError(f"training diverged at step {step}")
            for k, v in enumerate(paper.tolist()):
                curves[k].append(v)
    out = []
    for k in range(inst):
        model = weights(W, b, c, k)
        model["lossCurve"] = curves[k]
        if snapshots is not None:
            model["snapshots"] = shots[k]
        out.append(model)
    return out


def generators(seed):
    """Seeds torch's generator (initial weights) with `seed` and returns NumPy's PCG64 seeded with it (data)."""
    torch.manual_seed(seed & (2**63 - 1))
    return np.random.Generator(np.random.PCG64(seed))


def per_instance(specs, key):
    """The specs' per-feature `key` (importance, density) as an instance × 1 × feature tensor."""
    return torch.tensor([s[key] for s in specs], dtype=torch.float32)[:, None, :]


def optimiser(params, recipe):
    """torch.optim.AdamW (fused) with the recipe's rate, betas, eps and weight decay, and CosineAnnealingLR over its
    steps when the recipe decays the rate (else None)."""
    opt = torch.optim.AdamW(params, lr=recipe["lr"], betas=(recipe["beta1"], recipe["beta2"]), eps=recipe["eps"],
                            weight_decay=recipe["weightDecay"], fused=True)
    return opt, (torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=recipe["steps"]) if recipe.get("cosine", False) else None)


def uniform(rng, *shape):
    """Uniform draws on [0, 1) as a float32 tensor, from NumPy's generator."""
    return torch.from_numpy(rng.random(shape, dtype=np.float32))


def toy_objective(x, target, W, b, c, importance, l1, relu_hidden, relu_out, any_l1):
    """The toy model's objective summed over instances (each instance's mean over batch and features of
    I_i (target_i − x̂_i)², plus λ mean over batch of ‖h‖₁ / n), and each instance's loss in the paper's convention
    (mean over samples of the sum over features)."""
    n = x.shape[2]
    h = torch.bmm(x, W)
    if c is not None:
        h = h + c
    if relu_hidden:
        h = torch.relu(h)
    out = torch.bmm(h, W.transpose(1, 2)) + b
    if relu_out:
        out = torch.relu(out)
    err = importance * (target - out) ** 2                                 # instance × batch × feature
    per_instance = err.mean(dim=(1, 2))
    if any_l1:
        per_instance = per_instance + l1 * h.abs().sum(dim=2).mean(dim=1) / n
    return per_instance.sum(), err.detach().sum(dim=2).mean(dim=1)


# Compiled with TorchInductor, which fuses the elementwise work into a few loops (eager PyTorch spends most of a step
# there on these shapes, at one thread); the arithmetic is the same as eager PyTorch's.
@torch.compile(dynamic=False)
def toy_loss(x, target, W, b, c, importance, l1, relu_hidden, relu_out, any_l1):
    """`toy_objective`, compiled."""
    return toy_objective(x, target, W, b, c, importance, l1, relu_hidden, relu_out, any_l1)


@torch.compile(dynamic=False)
def present(u, density, signed=False):
    """The batch that uniform draws u give: x_i = u_i / density_i where u_i < density_i, else 0; signed, 2 u_i /
    density_i − 1 in place of u_i / density_i (compiled: one fused loop, thirty times faster than eager PyTorch's
    broadcast compare, divide and select)."""
    v = u / density
    return torch.where(u < density, 2 * v - 1 if signed else v, 0.0)


@torch.compile(dynamic=False)
def abs_loss(x, W1, W2, b, importance):
    """§9's objective summed over instances: mean over batch and features of I_i (ReLU(W₂ ReLU(W₁x) + b)_i − |x_i|)²."""
    h = torch.relu(torch.bmm(x, W1.transpose(1, 2)))
    y = torch.relu(torch.bmm(h, W2.transpose(1, 2)) + b)
    return (importance * (y - x.abs()) ** 2).mean(dim=(1, 2)).sum()


def weights(W, b, c, k):
    """Instance k's parameters in our engine's layout: W m×n row-major, b, c."""
    return {"W": W.detach()[k].T.contiguous().reshape(-1).tolist(), "b": b.detach()[k, 0].tolist(),
            "c": c.detach()[k, 0].tolist() if c is not None else None}


def sample(u, density, sets, rng):
    """The batch that the uniform draws u (instance × batch × feature) give: feature i present when u_i < density_i,
    then u_i / density_i, uniform on [0, 1]; then the feature sets (as our engine's FeatureSets.swift): a correlated
    set is present or absent with its first member, each member with its own uniform value; an anticorrelated set is
    present with its first member's density, and then exactly one member, chosen uniformly, holds a uniform value."""
    x = present(u, density)
    inst, batch, _ = u.shape
    for st in sets:
        f, cnt = st["first"], st["count"]
        on = u[:, :, f:f + 1] < density[:, :, f:f + 1]
        values = uniform(rng, inst, batch, cnt)
        values[:, :, 0] = x[:, :, f]
        if st["kind"] == "correlated":
            x[:, :, f:f + cnt] = torch.where(on, values, 0.0)
        else:
            chosen = torch.from_numpy(rng.integers(cnt, size=(inst, batch, 1)))
            keep = (torch.arange(cnt) == chosen) & on
            x[:, :, f:f + cnt] = torch.where(keep, values, 0.0)
    return x


def attacked(x, W, strength, rng):
    """§7's training attack (our engine's Attack.swift): each sample moves along the attack direction of one feature
    drawn uniformly, (WᵀW)_i / ‖(WᵀW)_i‖, by strength × the batch's mean input norm; held constant in the gradient."""
    inst, batch, n = x.shape
    G = torch.bmm(W, W.transpose(1, 2))                                    # instance × n × n, row i = (WᵀW)_i
    norms = G.norm(dim=2, keepdim=True)
    dirs = torch.where(norms > 0, G / norms.clamp_min(1e-30), torch.zeros(()))
    length = strength * x.norm(dim=2).mean(dim=1)[:, None, None]
    idx = torch.from_numpy(rng.integers(n, size=(inst, batch, 1))).expand(inst, batch, n)
    return x + length * torch.gather(dirs, 1, idx)


def train_abs(specs, recipe):
    """§9's absolute-value model (our engine's AbsModel.swift): h = ReLU(W₁x), y = ReLU(W₂h + b), untied W₁ (m×n)
    and W₂ (n×m) Xavier-normal with std √(2/(n+m)), b = 0, signed features x_i ∈ U[−1, 1], the objective mean over
    batch and features of I_i (y_i − |x_i|)², and the same AdamW (and schedule) as the toy models."""
    s0 = specs[0]
    inst, n, m = len(specs), s0["n"], s0["m"]
    rng = generators(s0["seed"])
    std = math.sqrt(2.0 / (n + m))
    W1 = torch.nn.Parameter(torch.randn(inst, m, n) * std)
    W2 = torch.nn.Parameter(torch.randn(inst, n, m) * std)
    b = torch.nn.Parameter(torch.zeros(inst, 1, n))
    importance, density = per_instance(specs, "importance"), per_instance(specs, "density")
    steps, batch = recipe["steps"], recipe["batch"]
    opt, sched = optimiser([W1, W2, b], recipe)
    for step in range(1, steps + 1):
        loss = abs_loss(present(uniform(rng, inst, batch, n), density, signed=True), W1, W2, b, importance)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if sched is not None:
            sched.step()
        if (step % recipe["logEvery"] == 0 or step == steps) and not torch.isfinite(loss):
            raise ValueError(f"training diverged at step {step}")
    return [{"W1": W1.detach()[k].reshape(-1).tolist(), "W2": W2.detach()[k].reshape(-1).tolist(),
             "b": b.detach()[k, 0].tolist()} for k in range(inst)]


def serve(threads):
    torch.set_num_threads(threads)
    torch._dynamo.config.cache_size_limit = 1024   # one compiled graph per shape and architecture met
    print(json.dumps({"torch": torch.__version__, "python": platform.python_version()}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
            specs, recipe = req["specs"], req["recipe"]
            kind = req.get("kind", "toy")
            initial = req.get("initial") or [None] * len(specs)
            # Specs that share a shape and an architecture train together, in the order they came.
            groups = {}
            for k, s in enumerate(specs):
                if kind == "abs":
                    key = (s["n"], s["m"])
                else:
                    key = (s["n"], s["m"], s["activation"], s["bias"], s.get("hidden", "linear"), s.get("hiddenBias", False),
                           json.dumps(s.get("sets") or [], sort_keys=True))
                groups.setdefault(key, []).append(k)
            models = [None] * len(specs)
            for ks in groups.values():
                if kind == "abs":
                    trained = train_abs([specs[k] for k in ks], recipe)
                elif kind == "toy":
                    trained = train_group([specs[k] for k in ks], recipe, [initial[k] for k in ks], req.get("snapshots"))
                else:
                    raise ValueError(f"unknown kind {kind}")
                for k, mdl in zip(ks, trained):
                    models[k] = mdl
            print(json.dumps({"models": models}), flush=True)
        except Exception as e:  # one line back, so that the caller names the problem
            print(json.dumps({"error": f"{type(e).__name__}: {e}"}), flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["time"]:
        args = dict(zip(sys.argv[2::2], sys.argv[3::2]))
        time_workloads(int(args.get("--steps", 30)), int(args.get("--threads", 2)))
    elif sys.argv[1:2] == ["replay"]:
        replay()
    elif sys.argv[1:2] == ["serve"]:
        args = dict(zip(sys.argv[2::2], sys.argv[3::2]))
        serve(int(args.get("--threads", 2)))
    else:
        sys.exit(__doc__)
