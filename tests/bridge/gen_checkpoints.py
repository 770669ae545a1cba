#!/usr/bin/python3
"""gen_checkpoints.py -- writes the bridge example: a tiny Qwen-style layer
(RMSNorm, RoPE attention without q/k bias, rotate-half pairing; SwiGLU MLP;
residuals) trained on a teacher with plain SGD (no momentum) and with Adam,
checkpoints written by hand in the safetensors format (struct + json, no
safetensors module needed): SGD run as F64, Adam run as F32.

Run with Debian's python3 (python3-torch):  /usr/bin/python3 gen_checkpoints.py
Outputs (committed): sgd/step_NNNNNN.safetensors, adam/step_NNNNNN.safetensors.
The map file qwen_tiny.map says which tensor is which part of which block."""
import json
import os
import struct

import torch

D, HEADS, HD, DFF, T, N = 8, 2, 4, 12, 6, 32
STEPS, EVERY = 1000, 250
HERE = os.path.dirname(os.path.abspath(__file__))
PFX = "model.layers.0."


def init_params(gen):
    def w(o, i):
        return torch.randn(o, i, generator=gen, dtype=torch.float64) / i ** 0.5
    return {
        PFX + "input_layernorm.weight": torch.ones(D, dtype=torch.float64),
        PFX + "self_attn.q_proj.weight": w(HEADS * HD, D),
        PFX + "self_attn.k_proj.weight": w(HEADS * HD, D),
        PFX + "self_attn.v_proj.weight": w(HEADS * HD, D),
        PFX + "self_attn.o_proj.weight": w(D, HEADS * HD),
        PFX + "post_attention_layernorm.weight": torch.ones(D, dtype=torch.float64),
        PFX + "mlp.gate_proj.weight": w(DFF, D),
        PFX + "mlp.up_proj.weight": w(DFF, D),
        PFX + "mlp.down_proj.weight": w(D, DFF),
    }


def rms(x, g):
    return x * torch.rsqrt((x * x).mean(-1, keepdim=True) + 1e-6) * g


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def rope(x):  # x (B, heads, T, HD), pairs (j, j + HD/2) as in Hugging Face Qwen
    inv = 1.0 / (10000.0 ** (torch.arange(0, HD, 2, dtype=torch.float64) / HD))
    f = torch.outer(torch.arange(T, dtype=torch.float64), inv)
    emb = torch.cat((f, f), dim=-1)
    return x * emb.cos() + rotate_half(x) * emb.sin()


def layer(p, x):
    B = x.shape[0]
    h = rms(x, p[PFX + "input_layernorm.weight"])
    def heads(t):
        return t.view(B, T, HEADS, HD).transpose(1, 2)
    q = rope(heads(h @ p[PFX + "self_attn.q_proj.weight"].T))
    k = rope(heads(h @ p[PFX + "self_attn.k_proj.weight"].T))
    v = heads(h @ p[PFX + "self_attn.v_proj.weight"].T)
    s = q @ k.transpose(-1, -2) / HD ** 0.5
    mask = torch.triu(torch.ones(T, T, dtype=torch.bool), 1)
    a = torch.softmax(s.masked_fill(mask, float("-inf")), dim=-1) @ v
    x = x + a.transpose(1, 2).reshape(B, T, HEADS * HD) @ p[PFX + "self_attn.o_proj.weight"].T
    h = rms(x, p[PFX + "post_attention_layernorm.weight"])
    m = torch.nn.functional.silu(h @ p[PFX + "mlp.gate_proj.weight"].T) * (h @ p[PFX + "mlp.up_proj.weight"].T)
    return x + m @ p[PFX + "mlp.down_proj.weight"].T


def save(path, params, dtype, step):
    code, fmt, size = ("F64", "<%dd", 8) if dtype == "F64" else ("F32", "<%df", 4)
    header, blobs, off = {"__metadata__": {"format": "pt", "step": str(step)}}, [], 0
    for name, t in params.items():
        flat = t.detach().reshape(-1).tolist()
        blob = struct.pack(fmt % len(flat), *flat)
        header[name] = {"dtype": code, "shape": list(t.shape), "data_offsets": [off, off + len(blob)]}
        blobs.append(blob)
        off += len(blob)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - (8 + len(h)) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
    os.replace(tmp, path)


def train(kind, lr, dtype):
    gen = torch.Generator().manual_seed(1)
    teacher = init_params(gen)
    x = torch.randn(N, T, D, generator=gen, dtype=torch.float64)
    with torch.no_grad():
        y = layer(teacher, x)
    p = {k: v.clone().requires_grad_(True) for k, v in init_params(torch.Generator().manual_seed(2)).items()}
    opt = torch.optim.SGD(p.values(), lr=lr, momentum=0.0) if kind == "sgd" else torch.optim.Adam(p.values(), lr=lr)
    out = os.path.join(HERE, kind)
    os.makedirs(out, exist_ok=True)
    for step in range(STEPS + 1):
        if step % EVERY == 0:
            save(os.path.join(out, "step_%06d.safetensors" % step), p, dtype, step)
        if step == STEPS:
            break
        opt.zero_grad()
        loss = ((layer(p, x) - y) ** 2).mean()
        loss.backward()
        opt.step()
    print("%s: final loss %.6g" % (kind, loss.item()))


if __name__ == "__main__":
    torch.manual_seed(0)
    train("sgd", 0.02, "F64")
    train("adam", 0.01, "F32")


def write_bad():
    """Damaged copies for the refusal tests: bad/truncated.safetensors (cut in
    the data), bad/garbled.safetensors (header bytes overwritten)."""
    src = os.path.join(HERE, "sgd", "step_000000.safetensors")
    out = os.path.join(HERE, "bad")
    os.makedirs(out, exist_ok=True)
    with open(src, "rb") as f:
        blob = f.read()
    with open(os.path.join(out, "truncated.safetensors"), "wb") as f:
        f.write(blob[: len(blob) - 100])
    g = bytearray(blob)
    g[20:28] = b"}{,:]\"[x"
    with open(os.path.join(out, "garbled.safetensors"), "wb") as f:
        f.write(bytes(g))


if __name__ == "__main__":
    write_bad()
