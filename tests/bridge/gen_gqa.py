#!/usr/bin/python3
"""gen_gqa.py -- writes the bridge's grouped-query-attention series.

gqa/: a 4-layer Qwen2-style model (tiny_llama.py: d 32, heads 8, kv_heads 2,
head_dim 8, q/k/v biases, RoPE rotate-half, RMSNorm, SwiGLU 64) trained with
plain SGD (torch.optim.SGD, no momentum, lr 0.15, full batch) for 600 steps to
imitate a teacher of the same architecture (MSE on the logits; random input
vectors fed in place of the token embeddings, so embed_tokens stays as
initialised), float32; a checkpoint every 60 steps written by
scripts/torch_checkpoints.py in bf16 as 2 shards with an index and config.json
(gqa/checkpoint-N/). gqa_interleaved/: the same with interleaved RoPE pairs,
2 layers, 3 checkpoints of one file each.

Run with Debian's python3 (python3-torch):  /usr/bin/python3 gen_gqa.py
The tests read the committed files and need no Python."""
import os
import shutil
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts"))
import torch_checkpoints as tc  # noqa: E402
from tiny_llama import TinyLlama  # noqa: E402

N, T = 32, 8


def init(model, gen):
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 2:
                p.normal_(0, p.shape[1] ** -0.5, generator=gen)
            elif name.endswith("bias"):
                p.normal_(0, 0.3, generator=gen)


def train(out, steps, every, lr, shards, **kw):
    torch.manual_seed(0)
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(1)
    teacher, model = TinyLlama(**kw), TinyLlama(**kw)
    init(teacher, gen)
    init(model, gen)
    d = model.cfg["hidden_size"]
    x = torch.randn(N, T, d, generator=gen)
    with torch.no_grad():
        y = teacher(embeds=x)
    shutil.rmtree(out, ignore_errors=True)
    nbytes = sum(p.numel() * 2 for p in model.state_dict().values())
    saver = tc.CheckpointWriter(out, every=every, dtype=torch.bfloat16,
                                max_shard_bytes=nbytes // 2 + 64 if shards == 2 else None, config=model.cfg)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.0)
    for step in range(steps + 1):
        saver.maybe_save(model, step)
        if step == steps:
            break
        loss = ((model(embeds=x) - y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % every == 0:
            print("%s step %d loss %.4f" % (os.path.basename(out), step, loss.item()))


if __name__ == "__main__":
    train(os.path.join(HERE, "gqa"), 600, 60, 0.15, 2)
    train(os.path.join(HERE, "gqa_interleaved"), 600, 300, 0.15, 1, layers=2, pairing="interleaved")
