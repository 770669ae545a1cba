"""torch_checkpoints.py -- write checkpoints that `noether` reads, from a
PyTorch training loop (plain, DDP or FSDP).

    import torch_checkpoints as tc
    saver = tc.CheckpointWriter("runs/exp1", every=100, dtype=torch.bfloat16,
                                config=model_config_dict)      # optional
    for step in range(steps + 1):
        saver.maybe_save(model, step)       # every rank calls it
        ...train one step...

    # then, while it trains or afterwards:
    #   noether -e 'laws checkpoints runs/exp1 follow'     (a CSV row per checkpoint)
    #   noether -e 'laws checkpoints runs/exp1'            (the tables)

Every `every` steps it writes DIR/checkpoint-STEP/ holding the consolidated
model as safetensors: model.safetensors, or model-0000k-of-0000n.safetensors
plus model.safetensors.index.json when max_shard_bytes is given, with
__metadata__ {"format": "pt", "step": "STEP"}, and config.json when a config is
given (Hugging Face keys: num_attention_heads, num_key_value_heads, head_dim,
hidden_size, model_type, rope_theta, partial_rotary_factor; "rope_pairing":
"half"|"interleaved"|"none" says the RoPE pairing outright). noether reads
heads, kv heads, head dim and RoPE from it to form the per-head-group laws.

Distributed: under DDP every rank holds the whole model; rank 0 writes, the
others wait at a barrier. Under FSDP the full state dict is gathered to rank 0
(FULL_STATE_DICT, offloaded to CPU; a collective, so every rank must call
maybe_save) and rank 0 writes. A checkpoint appears whole or not at all: it is
written to DIR/.checkpoint-STEP.tmp/ and renamed into place, so a reader that
follows DIR never sees half a checkpoint.

No dependency beyond torch (the safetensors format is written by hand: an
8-byte little-endian header length, the JSON header, the raw little-endian
data). Tested in noether's suite with two gloo processes on CPU.
"""
import json
import os
import shutil
import struct

import torch

__all__ = ["CheckpointWriter", "save_checkpoint", "full_state_dict", "write_safetensors"]

_CODES = {
    torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
    torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
    torch.uint8: "U8", torch.bool: "BOOL",
}
# a same-size integer view to get at the bytes of dtypes numpy lacks
_VIEW = {torch.bfloat16: torch.int16, torch.float16: torch.int16}


def _dist():
    d = torch.distributed
    return d if d.is_available() and d.is_initialized() else None


def _rank():
    d = _dist()
    return d.get_rank() if d else 0


def _barrier():
    d = _dist()
    if d:
        d.barrier()


def _is_fsdp(model):
    try:
        from torch.distributed.fsdp import FullyShardedDataParallel as FSDP
    except Exception:  # not importable here (e.g. Debian's torch 1.13 on Python 3.11)
        return False
    return isinstance(model, FSDP)


def full_state_dict(model):
    """The whole model's state dict on CPU. Under FSDP a collective: call it on
    every rank; only rank 0 gets the tensors (the others get {})."""
    if _is_fsdp(model):
        from torch.distributed.fsdp import FullyShardedDataParallel as FSDP
        from torch.distributed.fsdp import FullStateDictConfig, StateDictType
        cfg = FullStateDictConfig(offload_to_cpu=True, rank0_only=True)
        with FSDP.state_dict_type(model, StateDictType.FULL_STATE_DICT, cfg):
            sd = model.state_dict()
        return sd if _rank() == 0 else {}
    if hasattr(model, "module") and isinstance(model, torch.nn.parallel.DistributedDataParallel):
        model = model.module
    return model.state_dict()


def _bytes(t):
    t = t.detach().cpu().contiguous()
    if t.dtype in _VIEW:
        t = t.view(_VIEW[t.dtype])
    if t.dtype == torch.bool:
        t = t.to(torch.uint8)
    return t.numpy().tobytes()


def write_safetensors(path, tensors, metadata):
    """Writes {name: tensor} to path in the safetensors format."""
    header = {"__metadata__": {k: str(v) for k, v in metadata.items()}}
    blobs, off = [], 0
    for name, t in tensors.items():
        if t.dtype not in _CODES:
            raise ValueError("tensor %s: dtype %s has no safetensors code" % (name, t.dtype))
        b = _bytes(t)
        header[name] = {"dtype": _CODES[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - (8 + len(h)) % 8) % 8)  # data starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def save_checkpoint(state_dict, directory, step, dtype=None, max_shard_bytes=None, config=None):
    """Writes DIR/checkpoint-STEP/ (whole or not at all); returns its path.
    dtype: convert floating tensors to it (e.g. torch.bfloat16); others stay.
    max_shard_bytes: split into shards with an index when the model is larger."""
    tensors = {}
    for name, t in state_dict.items():
        if name.startswith("module."):  # a DDP wrapper's state dict
            name = name[len("module."):]
        t = t.detach()
        if dtype is not None and t.is_floating_point():
            t = t.to(dtype)
        tensors[name] = t.cpu().contiguous().clone()
    shards, cur, size = [], {}, 0
    for name, t in tensors.items():
        n = t.numel() * t.element_size()
        if max_shard_bytes and cur and size + n > max_shard_bytes:
            shards.append(cur)
            cur, size = {}, 0
        cur[name] = t
        size += n
    shards.append(cur)
    final = os.path.join(directory, "checkpoint-%d" % step)
    tmp = os.path.join(directory, ".checkpoint-%d.tmp" % step)
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    meta = {"format": "pt", "step": step}
    if len(shards) == 1:
        write_safetensors(os.path.join(tmp, "model.safetensors"), shards[0], meta)
    else:
        wm, total = {}, 0
        for i, sh in enumerate(shards):
            fn = "model-%05d-of-%05d.safetensors" % (i + 1, len(shards))
            write_safetensors(os.path.join(tmp, fn), sh, meta)
            for name, t in sh.items():
                wm[name] = fn
                total += t.numel() * t.element_size()
        with open(os.path.join(tmp, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {"total_size": total, "step": str(step)}, "weight_map": wm}, f, indent=1)
    if config is not None:
        with open(os.path.join(tmp, "config.json"), "w") as f:
            json.dump(config, f, indent=1)
    shutil.rmtree(final, ignore_errors=True)
    os.rename(tmp, final)
    return final


class CheckpointWriter:
    """Calls save_checkpoint every `every` steps from rank 0 (see the module
    docstring); every rank must call maybe_save with the same steps."""

    def __init__(self, directory, every, dtype=None, max_shard_bytes=None, config=None):
        if every < 1:
            raise ValueError("every must be >= 1")
        self.directory, self.every, self.dtype = directory, every, dtype
        self.max_shard_bytes, self.config = max_shard_bytes, config
        if _rank() == 0:
            os.makedirs(directory, exist_ok=True)

    def maybe_save(self, model, step, force=False):
        """Writes a checkpoint when step is a multiple of every (or force);
        returns its path on rank 0, else None."""
        if not force and step % self.every:
            return None
        sd = full_state_dict(model)  # collective under FSDP
        path = None
        if _rank() == 0:
            path = save_checkpoint(sd, self.directory, step, self.dtype, self.max_shard_bytes, self.config)
        _barrier()
        return path
