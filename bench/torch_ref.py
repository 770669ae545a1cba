#!/usr/bin/env python3
"""torch_ref.py - the relu2-gd step in PyTorch, as the reference for `make bench`.

Same model, data shapes and step as noether's relu2-gd preset (the data need not be
bit-identical): teacher regression, n=64 samples, 10 inputs, a 10-32-1 ReLU net
with biases on both layers, MSE with the 1/2-mean convention L = 1/(2n) sum (f-y)^2,
full-batch gradient descent with a constant step 0.05, and after each update the
32 per-neuron laws h_j = ||W1[j,:]||^2 + b1[j]^2 - ||W2[:,j]||^2 evaluated and
stored in a trace row (as noether records its laws every step).
float64, one thread, autograd for the gradient (what a PyTorch user writes).

Prints, besides human lines, one parseable line:
  torch steps_per_s=13012.3 runs=7 steps_per_run=4000 version=1.13.1 threads=1
Usage: torch_ref.py [--runs R] [--min-time S]
"""
import argparse
import statistics
import sys
import time

try:
    import torch
except ImportError:
    print("torch skipped: this python (%s) cannot import torch" % sys.executable)
    sys.exit(3)


def make_problem(seed=1, n=64, d_in=10, hidden=32, teacher_hidden=8):
    g = torch.Generator().manual_seed(seed)
    dt = torch.float64
    x = torch.randn(n, d_in, generator=g, dtype=dt)
    tw1 = torch.randn(teacher_hidden, d_in, generator=g, dtype=dt) / d_in ** 0.5
    tb1 = 0.1 * torch.randn(teacher_hidden, generator=g, dtype=dt)
    tw2 = torch.randn(1, teacher_hidden, generator=g, dtype=dt) / teacher_hidden ** 0.5
    y = torch.relu(x @ tw1.T + tb1) @ tw2.T
    std = 0.2
    W1 = (std * torch.randn(hidden, d_in, generator=g, dtype=dt)).requires_grad_()
    b1 = (std * torch.randn(hidden, generator=g, dtype=dt)).requires_grad_()
    W2 = (std * torch.randn(1, hidden, generator=g, dtype=dt)).requires_grad_()
    b2 = (std * torch.randn(1, generator=g, dtype=dt)).requires_grad_()
    return x, y, [W1, b1, W2, b2]


def run(steps, tau=0.05):
    """Runs `steps` GD steps from the same start; returns seconds and the trace."""
    x, y, params = make_problem()
    W1, b1, W2, b2 = params
    trace = torch.empty(steps, 32, dtype=torch.float64)
    losses = torch.empty(steps, dtype=torch.float64)
    t0 = time.perf_counter()
    for k in range(steps):
        f = torch.relu(x @ W1.T + b1) @ W2.T + b2
        loss = 0.5 * ((f - y) ** 2).mean()
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params:
                p.sub_(tau * p.grad)
            # per-neuron laws after the update
            trace[k] = (W1 * W1).sum(1) + b1 * b1 - (W2 * W2).sum(0)
            losses[k] = loss.detach()
    dt = time.perf_counter() - t0
    return dt, trace, losses


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--min-time", type=float, default=0.3)
    a = ap.parse_args()
    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float64)

    run(50)  # warm-up
    steps = 100
    while True:
        dt, _, _ = run(steps)
        if dt >= 0.1:
            break
        steps *= 4
    steps = max(int(steps * a.min_time / dt + 0.5), 1)
    rates = []
    for _ in range(a.runs):
        dt, trace, losses = run(steps)
        rates.append(steps / dt)
    med = statistics.median(rates)
    drift = (trace[-1] - trace[0]).abs().max().item()
    print("torch relu2-gd: loss %.3g -> %.3g, max law drift %.3g over %d steps"
          % (losses[0].item(), losses[-1].item(), drift, steps))
    print("torch steps_per_s=%.1f min_steps_per_s=%.1f max_steps_per_s=%.1f runs=%d steps_per_run=%d version=%s threads=%d"
          % (med, min(rates), max(rates), a.runs, steps, torch.__version__, torch.get_num_threads()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
