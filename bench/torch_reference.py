"""The PyTorch reference of the official notebook's recipe (toy_models.ipynb), kept beside our engine as llm.c keeps
its reference: the peer of `paper bench --vs-torch`, and the source of the replay golden file the tests compare with.

  python bench/torch_reference.py time --steps 30 --threads 2 < workloads.json
      workloads.json: [{"name", "n", "m", "instances", "batch", "importance": [n], "densities": [instances]}]
      prints {"name": steps_per_second, ...}
  python bench/torch_reference.py replay < case.json
      case.json: a ReplayCase (W is m×n row-major, batch is samples × n); prints {"losses": [...]}

Run through `make bench-torch`, which creates the virtual environment with torch from PyPI once.
"""
import json
import sys
import time

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


if __name__ == "__main__":
    if sys.argv[1:2] == ["time"]:
        args = dict(zip(sys.argv[2::2], sys.argv[3::2]))
        time_workloads(int(args.get("--steps", 30)), int(args.get("--threads", 2)))
    elif sys.argv[1:2] == ["replay"]:
        replay()
    else:
        sys.exit(__doc__)
