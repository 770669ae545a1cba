#!/usr/bin/python3
"""ddp_check.py OUTDIR -- scripts/torch_checkpoints.py under DDP: two gloo
processes on CPU train a small tiny_llama model (GQA, RoPE) for 4 SGD steps on
different data, each calling CheckpointWriter.maybe_save every 2 steps. Checks:
only rank 0 writes; OUTDIR holds checkpoint-0/2/4 as 2 bf16 shards with an
index, config.json and the step in the metadata, nothing half-written left;
the saved tensors equal both ranks' parameters rounded to bf16. Then the same
under FSDP (full state dict gathered to rank 0) where torch.distributed.fsdp
imports; where it does not (Debian's torch 1.13 on this Python), says so.
Prints "ok ..." / "not ok ..." / "skip ..." lines; exit 1 on a failure.
Run by tests/cli/test_bridge.sh where python3-torch is installed."""
import json
import os
import struct
import sys
import tempfile

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts"))
sys.path.insert(0, HERE)
import torch_checkpoints as tc  # noqa: E402
from tiny_llama import TinyLlama  # noqa: E402


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        head = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, t in head.items():
        if name == "__metadata__":
            continue
        a, b = t["data_offsets"]
        assert t["dtype"] == "BF16", t["dtype"]
        raw = torch.frombuffer(bytearray(data[a:b]), dtype=torch.int16)
        out[name] = raw.view(torch.bfloat16).reshape(t["shape"])
    return head.get("__metadata__", {}), out


def worker(rank, world, init, out, mode, q):
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=init, rank=rank, world_size=world)
    torch.manual_seed(0)  # same initial model on every rank
    model = TinyLlama(vocab=16, d=16, layers=1, heads=4, kv_heads=2, hd=4, dff=16)
    cfg = model.cfg
    if mode == "fsdp":
        from torch.distributed.fsdp import FullyShardedDataParallel as FSDP
        wrapped = FSDP(model)
    else:
        wrapped = torch.nn.parallel.DistributedDataParallel(model)
    nbytes = sum(p.numel() * 2 for p in model.state_dict().values())
    saver = tc.CheckpointWriter(out, every=2, dtype=torch.bfloat16, max_shard_bytes=nbytes // 2 + 64, config=cfg)
    opt = torch.optim.SGD(wrapped.parameters(), lr=0.1)
    gen = torch.Generator().manual_seed(100 + rank)  # each rank its own data
    paths = []
    for step in range(5):
        p = saver.maybe_save(wrapped, step)
        if p:
            paths.append(p)
        if step == 4:
            break
        x = torch.randint(16, (4, 9), generator=gen)
        loss = torch.nn.functional.cross_entropy(wrapped(x[:, :-1]).reshape(-1, 16), x[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
    sd = tc.full_state_dict(wrapped)
    if rank == 0 or mode == "ddp":
        # plain bytes: torch tensors would travel as shared memory the child takes with it
        q.put((rank, paths, {k: v.detach().to(torch.bfloat16).view(torch.int16).numpy().tobytes() for k, v in sd.items()}))
    dist.barrier()
    dist.destroy_process_group()


def run(mode, out):
    fails = 0
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    fd, f = tempfile.mkstemp()
    os.close(fd)
    os.remove(f)
    procs = [ctx.Process(target=worker, args=(r, 2, "file://" + f, out, mode, q)) for r in range(2)]
    for p in procs:
        p.start()
    got = {}
    for _ in range(2 if mode == "ddp" else 1):
        rank, paths, sd = q.get(timeout=240)
        got[rank] = (paths, sd)
    for p in procs:
        p.join(60)
    if os.path.exists(f):
        os.remove(f)

    def check(cond, what):
        nonlocal fails
        print(("ok - " if cond else "not ok - ") + mode + ": " + what)
        fails += 0 if cond else 1

    check(all(p.exitcode == 0 for p in procs), "both processes ended cleanly")
    check(got[0][0] == [os.path.join(out, "checkpoint-%d" % s) for s in (0, 2, 4)]
          and (mode != "ddp" or got[1][0] == []), "rank 0 wrote checkpoint-0, -2, -4; rank 1 wrote nothing")
    check(sorted(os.listdir(out)) == ["checkpoint-0", "checkpoint-2", "checkpoint-4"], "nothing half-written left behind")
    last = os.path.join(out, "checkpoint-4")
    files = sorted(os.listdir(last))
    check(files == ["config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors",
                    "model.safetensors.index.json"], "2 shards, index and config.json")
    saved, meta = {}, None
    for fn in files:
        if fn.endswith(".safetensors"):
            meta, t = read_safetensors(os.path.join(last, fn))
            saved.update(t)
    check(meta.get("step") == "4", "step in the metadata")
    with open(os.path.join(last, "model.safetensors.index.json")) as fh:
        wm = json.load(fh)["weight_map"]
    check(set(wm) == set(saved), "the index names every tensor")
    for rank, (_, sd) in got.items():
        same = set(sd) == set(saved) and all(sd[k] == saved[k].view(torch.int16).numpy().tobytes() for k in sd)
        check(same, "saved tensors = rank %d's parameters (bf16)" % rank)
    return fails


def main():
    out = sys.argv[1]
    fails = run("ddp", os.path.join(out, "ddp"))
    try:
        import torch.distributed.fsdp  # noqa: F401
        fsdp = None
    except Exception as e:  # Debian's torch 1.13 on Python 3.11 fails to import it
        fsdp = "%s: %s" % (type(e).__name__, str(e).split("\n")[0][:120])
    if fsdp:
        print("skip - fsdp: torch.distributed.fsdp does not import here (%s)" % fsdp)
    else:
        fails += run("fsdp", os.path.join(out, "fsdp"))
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()
