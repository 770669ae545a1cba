"""tiny_llama.py -- a small Qwen2/Llama-style decoder in plain PyTorch with
Hugging Face tensor names (model.layers.N.self_attn.q_proj ...), for the bridge
tests: grouped-query attention (heads, kv_heads), q/k/v biases (Qwen2), RoPE
with rotate-half pairing (Hugging Face) or interleaved pairs, RMSNorm, SwiGLU.
Used by gen_gqa.py (the committed checkpoint series) and ddp_check.py."""
import math

import torch
from torch import nn


class RMSNorm(nn.Module):
    def __init__(self, d, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt((x * x).mean(-1, keepdim=True) + self.eps) * self.weight


def rope(x, pairing, theta=10000.0):
    """x (B, heads, T, hd): rotate plane j by angle t·theta^(-2j/hd)."""
    T, hd = x.shape[-2], x.shape[-1]
    inv = 1.0 / (theta ** (torch.arange(0, hd, 2, dtype=x.dtype) / hd))
    ang = torch.outer(torch.arange(T, dtype=x.dtype), inv)  # (T, hd/2)
    cos, sin = ang.cos(), ang.sin()
    if pairing == "half":  # pairs (j, j + hd/2)
        a, b = x[..., : hd // 2], x[..., hd // 2:]
        return torch.cat((a * cos - b * sin, a * sin + b * cos), dim=-1)
    a, b = x[..., 0::2], x[..., 1::2]  # interleaved: pairs (2j, 2j+1)
    return torch.stack((a * cos - b * sin, a * sin + b * cos), dim=-1).flatten(-2)


class Attention(nn.Module):
    def __init__(self, d, heads, kv_heads, hd, pairing, bias):
        super().__init__()
        self.h, self.g, self.hd, self.pairing = heads, kv_heads, hd, pairing
        self.q_proj = nn.Linear(d, heads * hd, bias=bias)
        self.k_proj = nn.Linear(d, kv_heads * hd, bias=bias)
        self.v_proj = nn.Linear(d, kv_heads * hd, bias=bias)
        self.o_proj = nn.Linear(heads * hd, d, bias=False)

    def forward(self, x):
        B, T, _ = x.shape
        q = self.q_proj(x).view(B, T, self.h, self.hd).transpose(1, 2)
        k = self.k_proj(x).view(B, T, self.g, self.hd).transpose(1, 2)
        v = self.v_proj(x).view(B, T, self.g, self.hd).transpose(1, 2)
        if self.pairing != "none":
            q, k = rope(q, self.pairing), rope(k, self.pairing)
        rep = self.h // self.g  # query head h reads group h // rep (Hugging Face repeat_kv)
        k = k.repeat_interleave(rep, dim=1)
        v = v.repeat_interleave(rep, dim=1)
        s = q @ k.transpose(-1, -2) / math.sqrt(self.hd)
        mask = torch.triu(torch.ones(T, T, dtype=torch.bool), 1)
        a = torch.softmax(s.masked_fill(mask, float("-inf")), dim=-1) @ v
        return self.o_proj(a.transpose(1, 2).reshape(B, T, self.h * self.hd))


class MLP(nn.Module):
    def __init__(self, d, dff):
        super().__init__()
        self.gate_proj = nn.Linear(d, dff, bias=False)
        self.up_proj = nn.Linear(d, dff, bias=False)
        self.down_proj = nn.Linear(dff, d, bias=False)

    def forward(self, x):
        return self.down_proj(nn.functional.silu(self.gate_proj(x)) * self.up_proj(x))


class Layer(nn.Module):
    def __init__(self, d, heads, kv_heads, hd, dff, pairing, bias):
        super().__init__()
        self.input_layernorm = RMSNorm(d)
        self.self_attn = Attention(d, heads, kv_heads, hd, pairing, bias)
        self.post_attention_layernorm = RMSNorm(d)
        self.mlp = MLP(d, dff)

    def forward(self, x):
        x = x + self.self_attn(self.input_layernorm(x))
        return x + self.mlp(self.post_attention_layernorm(x))


class Inner(nn.Module):
    def __init__(self, vocab, d, layers, **kw):
        super().__init__()
        self.embed_tokens = nn.Embedding(vocab, d)
        self.layers = nn.ModuleList([Layer(d, **kw) for _ in range(layers)])
        self.norm = RMSNorm(d)


class TinyLlama(nn.Module):
    def __init__(self, vocab=48, d=32, layers=4, heads=8, kv_heads=2, hd=8, dff=64, pairing="half", bias=True):
        super().__init__()
        self.model = Inner(vocab, d, layers, heads=heads, kv_heads=kv_heads, hd=hd, dff=dff, pairing=pairing, bias=bias)
        self.lm_head = nn.Linear(d, vocab, bias=False)
        self.cfg = dict(model_type="qwen2", vocab_size=vocab, hidden_size=d, num_hidden_layers=layers,
                        num_attention_heads=heads, num_key_value_heads=kv_heads, head_dim=hd, intermediate_size=dff,
                        hidden_act="silu", rope_theta=10000.0, rope_pairing=pairing, tie_word_embeddings=False)

    def forward(self, tokens=None, embeds=None):
        """Logits (B, T, vocab) of token ids, or of input vectors (B, T, d) given as embeds."""
        x = self.model.embed_tokens(tokens) if embeds is None else embeds
        for layer in self.model.layers:
            x = layer(x)
        return self.lm_head(self.model.norm(x))
