#!/usr/bin/env python3
"""PyTorch peer of CircuitFit's training iteration (the benchmark's reference point).

The same model, loss and optimiser as `benchmarkIteration` in
Sources/circuitfit-bench/IterationBenchmark.swift, written the way a PyTorch user typically writes it:
float32, one thread, an explicit Python loop over time steps, autograd for BPTT.

    h[0]   = 0 (fixed, not trained)
    r[t]   = tanh(h[t])
    h[t+1] = (1 - a) h[t] + a (J r[t] + B u[t] + b)      t = 0 .. T-2,  a = 0.1
    z[t]   = C r[t] + d
    loss   = sum_k w_k sum_{t,c} (z - z*)^2 + lam * sum_m v_m sum_{t,c} (r[:, :, unit_m] - y*)^2
             w_k = 1 / (K C T var_k), v_m = 1 / (M P_m var_m): CircuitFit's unit-free objective (the
             normalised MSE of each output channel and recorded neuron, averaged), identity mapping
    Adam(lr 2e-3, betas 0.9/0.999, eps 1e-8) after clip_grad_norm_(params, 1.0)

Trained blocks: J, B, b, C, d (as CircuitFit's default). One timed iteration = forward + loss +
backward + clipping + Adam step.

Variants (--variants):
  eager  the main peer: the input drive B u + b is computed for all steps in one matmul, the Python
         loop runs only the recurrence, the readout is one matmul over the stacked rates.
  naive  everything inside the time loop (input drive and readout per step): common in tutorials.
  jit    the forward time loop compiled by torch.jit.script (TorchScript; no torch.compile).

Usage: python3 torch_rnn_bench.py [--json] [--case 200,8,120 --case 500,16,120] [--variants eager,jit,naive]
       python3 torch_rnn_bench.py --check NPZ       (equivalence check: same start, same losses)
       python3 torch_rnn_bench.py --converge NPZ    (Adam lr 2e-3, clip 1, from CircuitFit's start on
                                                     its objective until the target loss; JSON)
Installs torch (CPU wheel, pinned) with pip if it is missing.
"""

import argparse
import json
import statistics
import subprocess
import sys
import time
import warnings

torch = None   # imported (and installed if missing) by main()

TORCH_PIN = "torch==2.13.0+cpu"   # CPU wheel (the machine image carries it); never unpinned: CUDA
AUTO_TARGET_S = 0.5                # --iterations 0: timed seconds per repeat


def import_torch():
    try:
        import torch  # noqa: F401
        return torch
    except ImportError:
        pass
    print(f"torch_rnn_bench: torch missing, installing {TORCH_PIN}", file=sys.stderr)
    cmd = [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", TORCH_PIN]
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"pip install {TORCH_PIN} failed: " + (r.stderr.strip().splitlines() or ["?"])[-1])
    import torch
    return torch


def make_problem(torch, H, C, T, I, K, M, seed):
    g = torch.Generator().manual_seed(seed)
    data = dict(
        u=torch.rand(T, C, I, generator=g) - 0.5,       # time-major [T, C, ·], as CircuitFit
        zs=torch.rand(T, C, K, generator=g) - 0.5,
        ys=torch.rand(T, C, M, generator=g) - 0.5,
    )
    params = dict(
        J=torch.randn(H, H, generator=g) * (1.2 / H ** 0.5),
        B=torch.randn(H, I, generator=g),
        b=torch.zeros(H),
        C=torch.randn(K, H, generator=g) / H ** 0.5,
        d=torch.zeros(K),
    )
    for p in params.values():
        p.requires_grad_(True)
    return data, params


def unit_free_weights(zs, ys):
    """The weights of CircuitFit's objective when the data carry no others: w_k = 1/(K C T var_k),
    v_m = 1/(M P_m var_m), variances over all (t, c) samples (population variance)."""
    T, C, K = zs.shape
    w = 1.0 / (K * C * T * zs.reshape(-1, K).var(dim=0, unbiased=False))
    M = ys.shape[2]
    v = 1.0 / (M * C * T * ys.reshape(-1, M).var(dim=0, unbiased=False)) if M > 0 else torch.zeros(0)
    return w, v


def objective(r, z, zs, ys, units, w, v, lam):
    """CircuitFit's objective: weighted sums of squared errors (see the module docstring)."""
    loss = torch.sum(w * torch.sum((z - zs) ** 2, dim=(0, 1)))
    if ys.shape[2] > 0 and lam != 0:
        loss = loss + lam * torch.sum(v * torch.sum((r[:, :, units] - ys) ** 2, dim=(0, 1)))
    return loss


def forward_eager(p, u, h0, a: float):
    T = u.shape[0]
    drive = u[:-1] @ p["B"].T + p["b"]            # [T-1, C, H], one matmul
    Jt = p["J"].T
    h = h0
    rates = []
    for t in range(T - 1):
        r = torch.tanh(h)
        rates.append(r)
        h = (1 - a) * h + a * (r @ Jt + drive[t])
    rates.append(torch.tanh(h))
    r = torch.stack(rates)                          # [T, C, H]
    z = r @ p["C"].T + p["d"]                       # [T, C, K]
    return r, z


def forward_naive(p, u, h0, a: float):
    T = u.shape[0]
    h = h0
    rates, outs = [], []
    for t in range(T):
        r = torch.tanh(h)
        rates.append(r)
        outs.append(r @ p["C"].T + p["d"])
        if t < T - 1:
            h = (1 - a) * h + a * (r @ p["J"].T + u[t] @ p["B"].T + p["b"])
    return torch.stack(rates), torch.stack(outs)


def make_forward_jit(torch):
    @torch.jit.script
    def loop(J, B, b, C, d, u, h0, a: float):
        T = u.shape[0]
        drive = torch.matmul(u[:-1], B.t()) + b
        Jt = J.t()
        h = h0
        rates = []
        for t in range(T - 1):
            r = torch.tanh(h)
            rates.append(r)
            h = (1 - a) * h + a * (torch.matmul(r, Jt) + drive[t])
        rates.append(torch.tanh(h))
        rr = torch.stack(rates)
        z = torch.matmul(rr, C.t()) + d
        return rr, z

    def forward(p, u, h0, a: float):
        return loop(p["J"], p["B"], p["b"], p["C"], p["d"], u, h0, a)
    return forward


def bench_case(torch, variant, H, C, T, I, K, M, lam, alpha, iterations, repeats, warmup):
    torch.manual_seed(0)
    data, params = make_problem(torch, H, C, T, I, K, M, seed=1)
    forward = {"eager": forward_eager, "naive": forward_naive}.get(variant) or make_forward_jit(torch)
    plist = list(params.values())
    opt = torch.optim.Adam(plist, lr=2e-3, betas=(0.9, 0.999), eps=1e-8)
    h0 = torch.zeros(C, H)                          # fixed initial state (h0 not trained)
    u, zs, ys = data["u"], data["zs"], data["ys"]
    w, v = unit_free_weights(zs, ys)
    units = list(range(M))

    def step():
        opt.zero_grad(set_to_none=True)
        r, z = forward(params, u, h0, alpha)
        loss = objective(r, z, zs, ys, units, w, v, lam)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(plist, 1.0)
        opt.step()
        return loss

    for _ in range(warmup):
        loss = step()
    if not torch.isfinite(loss):
        raise RuntimeError("loss is not finite during warm-up")
    if iterations <= 0:   # auto: about `target` seconds per repeat, at least 3 iterations
        t0 = time.perf_counter()
        step()
        iterations = max(3, min(200, round(AUTO_TARGET_S / max(time.perf_counter() - t0, 1e-6))))
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(iterations):
            step()
        times.append((time.perf_counter() - t0) / iterations)
    return dict(
        variant=variant, hidden=H, conditions=C, steps=T, inputs=I, outputs=K, recorded=M,
        ms_per_iter=statistics.median(times) * 1e3, ms_repeats=[x * 1e3 for x in times],
        iterations=iterations, repeats=repeats, warmup=warmup, final_loss=float(loss),
    )


def check(path, alpha, lam):
    """Runs the eager peer from the start and data CircuitFit wrote to `path` (.npz, see
    circuitfit-bench) and compares the losses of each iteration and the final parameters."""
    import numpy as np
    f = np.load(path)
    steps = int(f["steps"])
    u, zs, ys = (torch.from_numpy(np.ascontiguousarray(f[k], dtype=np.float32)) for k in ("u", "zs", "ys"))
    params = {k: torch.from_numpy(np.array(f[k], dtype=np.float32)).requires_grad_(True) for k in ("J", "B", "b", "C", "d")}
    plist = list(params.values())
    opt = torch.optim.Adam(plist, lr=2e-3, betas=(0.9, 0.999), eps=1e-8)
    M = ys.shape[2]
    w, v = (torch.from_numpy(np.array(f[k], dtype=np.float32)) for k in ("task_weight", "neural_weight"))
    h0 = torch.zeros(u.shape[1], params["J"].shape[0])
    losses = []
    for _ in range(steps):
        opt.zero_grad(set_to_none=True)
        r, z = forward_eager(params, u, h0, alpha)
        loss = objective(r, z, zs, ys, list(range(M)), w, v, lam)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(plist, 1.0)
        opt.step()
        losses.append(float(loss))
    ours = [float(x) for x in f["swift_losses"]]
    diff = max(abs(a - b) / max(abs(b), 1e-30) for a, b in zip(losses, ours))
    pdiff = max(float(np.max(np.abs(params[k].detach().numpy() - f[k + "_after"]))) for k in params)
    moved = max(float(np.max(np.abs(f[k] - f[k + "_after"]))) for k in params)
    return dict(losses=losses, max_rel_loss_diff=diff, max_abs_param_diff=pdiff, max_abs_param_change=moved)


def converge(path):
    """Adam (lr 2e-3, betas 0.9/0.999, eps 1e-8) after clip_grad_norm_(1.0), from the start and on
    the problem CircuitFit wrote to `path`, until the loss at the start of a step is at most the
    target or max_steps steps ran. Returns the steps, wall and CPU seconds (this process, all its
    threads: robust to other programs sharing the cores), best loss and whether it reached."""
    import numpy as np
    f = np.load(path)
    u, zs, ys = (torch.from_numpy(np.ascontiguousarray(f[k], dtype=np.float32)) for k in ("u", "zs", "ys"))
    w, v = (torch.from_numpy(np.array(f[k], dtype=np.float32)) for k in ("task_weight", "neural_weight"))
    units = [int(x) for x in f["units"]]
    alpha, lam, target = float(f["alpha"]), float(f["lam"]), float(f["target"])
    max_steps = int(f["max_steps"])
    params = {k: torch.from_numpy(np.array(f[k], dtype=np.float32)).requires_grad_(True) for k in ("J", "B", "b", "C", "d")}
    plist = list(params.values())
    opt = torch.optim.Adam(plist, lr=2e-3, betas=(0.9, 0.999), eps=1e-8)
    h0 = torch.zeros(u.shape[1], params["J"].shape[0])
    best, initial, reached, steps = float("inf"), None, False, 0
    t0, c0 = time.perf_counter(), time.process_time()
    while steps < max_steps:
        opt.zero_grad(set_to_none=True)
        r, z = forward_eager(params, u, h0, alpha)
        loss = objective(r, z, zs, ys, units, w, v, lam)
        value = float(loss)
        if initial is None:
            initial = value
        best = min(best, value)
        if value <= target:
            reached = True
            break
        loss.backward()
        torch.nn.utils.clip_grad_norm_(plist, 1.0)
        opt.step()
        steps += 1
    return dict(reached=reached, steps=steps, seconds=time.perf_counter() - t0, cpu_seconds=time.process_time() - c0,
                best_loss=best, initial_loss=initial)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--case", action="append", default=[],
                    help="H,C,T (hidden units, conditions, steps); repeatable. Default: the three benchmark cases")
    ap.add_argument("--inputs", type=int, default=3)
    ap.add_argument("--outputs", type=int, default=3)
    ap.add_argument("--recorded", type=int, default=20)
    ap.add_argument("--lam", type=float, default=1.0)
    ap.add_argument("--alpha", type=float, default=0.1)
    ap.add_argument("--iterations", type=int, default=0,
                    help="timed iterations per repeat (0 = auto: about 0.5 s per repeat, at least 3)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--variants", default="eager,jit", help="comma list of eager, naive, jit")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json", action="store_true", help="print one JSON object (else a table)")
    ap.add_argument("--check", metavar="NPZ", help="equivalence check against CircuitFit's run in NPZ (prints JSON)")
    ap.add_argument("--converge", metavar="NPZ", help="time to CircuitFit's converged objective from its start (prints JSON)")
    args = ap.parse_args()
    cases = [tuple(int(x) for x in c.split(",")) for c in args.case] or [(200, 8, 120), (200, 8, 600), (500, 16, 120)]

    out = dict(torch=None, threads=args.threads, results=[], errors=[])
    global torch
    try:
        torch = import_torch()
    except Exception as e:  # noqa: BLE001  (report, don't crash: the Swift side prints ours anyway)
        out["errors"].append(f"torch unavailable: {e}")
        print(json.dumps(out))
        return 2
    torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore")               # TorchScript deprecation notices
    out["torch"] = torch.__version__
    if args.converge:
        try:
            out.update(converge(args.converge))
        except Exception as e:  # noqa: BLE001
            out["errors"].append(f"converge: {type(e).__name__}: {e}")
        print(json.dumps(out))
        return 0
    if args.check:
        try:
            out.update(check(args.check, args.alpha, args.lam))
        except Exception as e:  # noqa: BLE001
            out["errors"].append(f"check: {type(e).__name__}: {e}")
        print(json.dumps(out))
        return 0
    for H, C, T in cases:
        for v in [s.strip() for s in args.variants.split(",") if s.strip()]:
            before = len(out["results"])
            try:
                out["results"].append(bench_case(
                    torch, v, H, C, T, args.inputs, args.outputs, min(args.recorded, H), args.lam,
                    args.alpha, args.iterations, args.repeats, args.warmup))
            except Exception as e:  # noqa: BLE001
                out["errors"].append(f"{v} H={H} C={C} T={T}: {type(e).__name__}: {e}")
            if not args.json and len(out["results"]) > before:
                r = out["results"][-1]
                print(f"{v:6s} H={H:4d} C={C:3d} T={T:4d}: {r['ms_per_iter']:8.2f} ms/iter", flush=True)
    if args.json:
        print(json.dumps(out))
    else:
        for e in out["errors"]:
            print("error:", e)
    return 0


if __name__ == "__main__":
    sys.exit(main())
