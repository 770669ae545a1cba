#!/usr/bin/env python3
"""torch_ref.py - the PyTorch twin of each `make bench` configuration.

For every file NAME.cfg written by `bench_step --export DIR` this script runs the
same training step in PyTorch (one thread), in float64 and in float32: the same
model (built from the same `layer` commands by the independent block
implementations of tests/fixtures/gen_fixtures.py, the golden-fixture generator),
the same data and starting point θ0 (read from the file), the same loss, full
batch gradient descent with the same step sizes, and after each update the same
quantities (every polynomial component the trace records: laws, their single
terms, tensor norms) stored in a trace row with the loss, as noether records its
trace every step. The gradient comes from autograd: what a PyTorch user writes.

The quantities are evaluated the way a PyTorch user would vectorise them, found
from the exported term lists: a component whose terms are ±θ² over whole rows,
whole columns or whole tensors becomes a few row/column/total sums of squares
(one reduction per tensor and direction, shared by all components), other
squares are single elements, and the remaining terms (c·θ_i·θ_j, i != j, or
linear c·θ_i) are gathered and summed. All components land in the trace row by
one index_add.

Same model, shown: float64 from θ0 for the exported number of steps gives the
loss and the quantity values bench_step exported (relative difference printed,
`check` lines; a difference above 1e-9 is an error).

File format (written by bench_step.c): lines
  config NAME | label TEXT | target 0|1 | flops F
  cmd layer ... | cmd loss ...            (the commands that built the model)
  input N LEN WIDTH | output LEN WIDTH | loss KIND
  x COUNT, then COUNT numbers             (N*LEN rows of WIDTH)
  y COUNT, numbers  or  labels COUNT, integers
  theta0 COUNT, numbers                   (θ0 in noether's order)
  schedule const|decay TAU0               (decay: τ_k = τ0/(k+1))
  components NC, then NC blocks: comp NTERMS, NTERMS lines "i j c" (j < 0: linear)
  check STEPS LOSS | check_values NC, numbers | end

Output: one line per run,
  torch config=NAME dtype=float64 round=1 steps=... steps_per_s=... version=1.13.1 threads=1
and `check config=NAME steps=10 loss_rel=... values_rel=...` with --check.
Usage: torch_ref.py [--runs R] [--min-time S] [--dtypes float64,float32] [--check] FILE.cfg ...
"""
import argparse
import math
import os
import sys
import time

try:
    import torch
except ImportError:
    print("torch skipped: this python (%s) cannot import torch" % sys.executable)
    sys.exit(3)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tests', 'fixtures'))
import gen_fixtures as ref  # noqa: E402  (independent block implementations)

ROPE_CACHE = {}


def rope_any(A):
    """gen_fixtures.rope in A's dtype, cos/sin tables computed once per shape."""
    N, T, dk = A.shape
    key = (T, dk, A.dtype)
    if key not in ROPE_CACHE:
        p = torch.arange(T, dtype=torch.float64).reshape(T, 1)
        j = torch.arange(dk // 2, dtype=torch.float64).reshape(1, dk // 2)
        phi = p * 10000.0 ** (-2 * j / dk)
        ROPE_CACHE[key] = (torch.cos(phi).to(A.dtype), torch.sin(phi).to(A.dtype))
    c, s = ROPE_CACHE[key]
    a0, a1 = A[..., 0::2], A[..., 1::2]
    return torch.stack((a0 * c - a1 * s, a0 * s + a1 * c), dim=-1).reshape(N, T, dk)


ref.rope = rope_any


def read_cfg(path):
    cfg = {'cmds': []}
    with open(path) as fh:
        tok = fh.read().split('\n')
    i = 0

    def numbers(count, conv=float):
        nonlocal i
        out = []
        while len(out) < count:
            out.extend(conv(v) for v in tok[i].split())
            i += 1
        return out

    while i < len(tok):
        line = tok[i]
        i += 1
        if not line:
            continue
        w = line.split()
        key = w[0]
        if key in ('config', 'label', 'loss'):
            cfg[key] = w[1]
        elif key == 'target':
            cfg['target'] = int(w[1])
        elif key == 'flops':
            cfg['flops'] = float(w[1])
        elif key == 'cmd':
            cfg['cmds'].append(line[4:])
        elif key == 'input':
            cfg['input'] = tuple(int(v) for v in w[1:4])
        elif key == 'output':
            cfg['output'] = tuple(int(v) for v in w[1:3])
        elif key in ('x', 'y', 'theta0', 'check_values'):
            cfg[key] = numbers(int(w[1]))
        elif key == 'labels':
            cfg['labels'] = numbers(int(w[1]), int)
        elif key == 'schedule':
            cfg['schedule'] = (w[1], float(w[2]))
        elif key == 'components':
            comps = []
            for _ in range(int(w[1])):
                nt = int(tok[i].split()[1])
                i += 1
                terms = []
                for _ in range(nt):
                    a, b, c = tok[i].split()
                    terms.append((int(a), int(b), float(c)))
                    i += 1
                comps.append(terms)
            cfg['comps'] = comps
        elif key == 'check':
            cfg['check'] = (int(w[1]), float(w[2]))
        elif key == 'end':
            break
        else:
            raise ValueError('%s: unknown line %r' % (path, line[:40]))
    return cfg


class Twin:
    """The model, data and quantity plan of one config in one dtype."""

    def __init__(self, cfg, dtype):
        self.cfg, self.dtype = cfg, dtype
        old = torch.get_default_dtype()
        torch.set_default_dtype(dtype)
        try:
            self._build()
        finally:
            torch.set_default_dtype(old)

    def _build(self):
        cfg, dt = self.cfg, self.dtype
        n, L, d = cfg['input']
        gen = torch.Generator().manual_seed(1)
        blocks, shape, self.loss_name = [], (L, d), cfg.get('loss', 'mse')
        for c in cfg['cmds']:
            w = c.split()
            if w[0] == 'layer':
                b = ref.make_block(w[1], w[2:], shape, gen)
                blocks.append(b)
                shape = b.out
        self.blocks = blocks
        self.params = [p for b in blocks for _, p in b.tensors]
        D = sum(p.numel() for p in self.params)
        th0 = cfg['theta0']
        if D != len(th0):
            raise ValueError('%s: the PyTorch model has %d parameters, noether %d' % (cfg['config'], D, len(th0)))
        self.theta0 = torch.tensor(th0, dtype=dt)
        self.x = torch.tensor(cfg['x'], dtype=dt).reshape(n, L, d)
        self.R = n * shape[0]
        self.w = shape[1]
        if 'labels' in cfg:
            self.t = torch.tensor(cfg['labels'], dtype=torch.long)
        else:
            self.t = torch.tensor(cfg['y'], dtype=dt).reshape(self.R, self.w)
        # tensor of each θ index: (param number, offset inside it)
        self.offs, o = [], 0
        for p in self.params:
            self.offs.append(o)
            o += p.numel()
        self._plan(cfg['comps'])
        self.ncomp = len(cfg['comps'])

    def reset(self):
        with torch.no_grad():
            for p, o in zip(self.params, self.offs):
                p.copy_(self.theta0[o:o + p.numel()].reshape(p.shape))

    def _where(self, i):
        """(param index, flat offset) of θ index i."""
        lo, hi = 0, len(self.offs) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.offs[mid] <= i:
                lo = mid
            else:
                hi = mid - 1
        return lo, i - self.offs[lo]

    def _plan(self, comps):
        """Sources: per parameter its squares (flat), and where whole slices
        are summed, its row sums, column sums or total of squares; each
        component becomes a few (source, coefficient) pairs."""
        P = self.params
        need = {}                       # (param, kind) -> True; kind in 'flat','row','col','all'
        pairs = []                      # (component, (param, kind, index), coef)
        general = []                    # (component, i, j, c)
        for k, terms in enumerate(comps):
            sq = {}                     # param -> {flat offset: coef}
            for i, j, c in terms:
                if i == j:
                    pi, f = self._where(i)
                    sq.setdefault(pi, {})
                    sq[pi][f] = sq[pi].get(f, 0.0) + c
                else:
                    general.append((k, i, j, c))
            for pi, m in sq.items():
                p = P[pi]
                n = p.numel()
                coefs = set(m.values())
                whole = None
                if len(coefs) == 1:
                    c = next(iter(coefs))
                    offs = sorted(m)
                    if len(offs) == n and n > 1:
                        whole = ('all', 0, c)
                    elif p.dim() == 2 and len(offs) == p.shape[1] and p.shape[1] > 1:
                        r = offs[0] // p.shape[1]
                        if offs == list(range(r * p.shape[1], (r + 1) * p.shape[1])):
                            whole = ('row', r, c)
                    if whole is None and p.dim() == 2 and len(offs) == p.shape[0] and p.shape[0] > 1:
                        col = offs[0] % p.shape[1]
                        if offs == [r * p.shape[1] + col for r in range(p.shape[0])]:
                            whole = ('col', col, c)
                if whole:
                    kind, idx, c = whole
                    need[(pi, kind)] = True
                    pairs.append((k, (pi, kind, idx), c))
                else:
                    need[(pi, 'flat')] = True
                    for f, c in m.items():
                        pairs.append((k, (pi, 'flat', f), c))
        # source layout: concatenation of the needed reductions, in a fixed order
        self.sources, base = [], {}
        o = 0
        for pi, p in enumerate(P):
            for kind in ('flat', 'row', 'col', 'all'):
                if (pi, kind) in need:
                    size = {'flat': p.numel(), 'row': p.shape[0] if p.dim() == 2 else 0,
                            'col': p.shape[1] if p.dim() == 2 else 0, 'all': 1}[kind]
                    self.sources.append((pi, kind))
                    base[(pi, kind)] = o
                    o += size
        self.src_idx = torch.tensor([base[(pi, kind)] + idx for _, (pi, kind, idx), _ in pairs], dtype=torch.long)
        self.src_coef = torch.tensor([c for _, _, c in pairs], dtype=self.dtype)
        self.src_comp = torch.tensor([k for k, _, _ in pairs], dtype=torch.long)
        D = len(self.theta0)
        self.gen_comp = torch.tensor([k for k, _, _, _ in general], dtype=torch.long)
        self.gen_i = torch.tensor([i for _, i, _, _ in general], dtype=torch.long)
        self.gen_j = torch.tensor([j if j >= 0 else D for _, _, j, _ in general], dtype=torch.long)
        self.gen_c = torch.tensor([c for _, _, _, c in general], dtype=self.dtype)
        self.one = torch.ones(1, dtype=self.dtype)

    def quantities(self):
        """Every component's value at the current parameters (no grad)."""
        P = self.params
        sq = {}
        parts = []
        for pi, kind in self.sources:
            if pi not in sq:
                sq[pi] = P[pi] * P[pi]
            s = sq[pi]
            if kind == 'flat':
                parts.append(s.reshape(-1))
            elif kind == 'row':
                parts.append(s.sum(1))
            elif kind == 'col':
                parts.append(s.sum(0))
            else:
                parts.append(s.sum().reshape(1))
        v = torch.zeros(self.ncomp, dtype=self.dtype)
        if parts:
            src = torch.cat(parts) if len(parts) > 1 else parts[0]
            v.index_add_(0, self.src_comp, src[self.src_idx] * self.src_coef)
        if len(self.gen_comp):
            th = torch.cat([p.reshape(-1) for p in P] + [self.one])
            v.index_add_(0, self.gen_comp, th[self.gen_i] * th[self.gen_j] * self.gen_c)
        return v

    def loss(self):
        h = self.x
        for b in self.blocks:
            h = b.forward(h)
        return ref.loss_fn(self.loss_name, h.reshape(self.R, self.w), self.t)

    def tau(self, k):
        kind, t0 = self.cfg['schedule']
        return t0 / (k + 1) if kind == 'decay' else t0

    def run(self, steps):
        """steps GD steps from θ0, quantities traced after each; returns
        (seconds, final loss, last quantity row)."""
        self.reset()
        P = self.params
        trace = torch.empty(steps, self.ncomp + 1, dtype=self.dtype)
        taus = [self.tau(k) for k in range(steps)]
        t0 = time.perf_counter()
        for k in range(steps):
            loss = self.loss()
            for p in P:
                p.grad = None
            loss.backward()
            with torch.no_grad():
                tau = taus[k]
                for p in P:
                    p.add_(p.grad, alpha=-tau)
                trace[k, 0] = loss
                trace[k, 1:] = self.quantities()
        dt = time.perf_counter() - t0
        with torch.no_grad():
            final = self.loss().item()
        return dt, final, trace[steps - 1, 1:] if steps else None


def rel(a, b):
    return abs(a - b) / max(abs(b), 1e-300)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--runs', type=int, default=1)
    ap.add_argument('--min-time', type=float, default=0.25)
    ap.add_argument('--dtypes', default='float64,float32')
    ap.add_argument('--check', action='store_true')
    ap.add_argument('files', nargs='+')
    a = ap.parse_args()
    torch.set_num_threads(1)
    dtypes = [getattr(torch, d) for d in a.dtypes.split(',')]
    twins = []
    status = 0
    for path in a.files:
        cfg = read_cfg(path)
        for dt in dtypes:
            try:
                twins.append((cfg, dt, Twin(cfg, dt)))
            except (ValueError, KeyError, RuntimeError) as e:
                print('torch config=%s dtype=%s error="%s"' % (cfg.get('config', path), str(dt)[6:], e))
                status = 1
    if a.check:
        for cfg, dt, tw in twins:
            if dt != torch.float64 or 'check' not in cfg:
                continue
            steps, want = cfg['check']
            _, got, vals = tw.run(steps)
            worst = 0.0
            ref_vals = cfg.get('check_values', [])
            for g, w in zip(vals.tolist(), ref_vals):
                scale = max(abs(w), 1e-12)
                worst = max(worst, abs(g - w) / scale)
            ok = rel(got, want) <= 1e-9 and worst <= 1e-9
            print('check config=%s steps=%d loss_torch=%.17g loss_noether=%.17g loss_rel=%.2e values_rel=%.2e %s'
                  % (cfg['config'], steps, got, want, rel(got, want), worst, 'ok' if ok else 'DIFFERENT'))
            if not ok:
                status = 1
    # calibrate: a run of about min_time seconds
    steps = {}
    for cfg, dt, tw in (twins if a.runs > 0 else []):
        tw.run(3)  # warm-up
        n = 8
        while True:
            dtime, _, _ = tw.run(n)
            if dtime >= 0.05 or n > 10 ** 7:
                break
            n *= 4
        steps[id(tw)] = max(int(n * a.min_time / dtime + 0.5), 4)
    for r in range(a.runs):
        for cfg, dt, tw in twins:
            n = steps[id(tw)]
            dtime, final, _ = tw.run(n)
            print('torch config=%s dtype=%s round=%d steps=%d steps_per_s=%.1f final_loss=%.3g version=%s threads=%d'
                  % (cfg['config'], str(dt)[6:], r + 1, n, n / dtime, final, torch.__version__.split('+')[0],
                     torch.get_num_threads()))
            sys.stdout.flush()
    return status


if __name__ == '__main__':
    sys.exit(main())
