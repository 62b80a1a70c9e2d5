"""Recomputes a model's mean loss from its exported safetensors file with numpy alone.

Usage: reference_loss.py MODEL.safetensors TEXT_FILE
Prints {"loss": ..., "tokens": ...} over the non-overlapping windows of the model's context,
as `ddp eval --data TEXT_FILE` does, from the formulas of DESIGN.md section 3 (the tensors
and the config in the header are all it reads). TEXT_FILE must be one paragraph (no blank
line): ddp then reads it as one document, its bytes without trailing line breaks followed by
the document separator "\n%\n". Supports softmax attention with layernorm,
rmsnorm or none in post, pre or residual placement.
"""
import json
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file


def norm(x, w, kind, name):
    if kind == "none":
        return x
    if kind == "layernorm":
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + 1e-5) * w[name + ".weight"] + w[name + ".bias"]
    if kind == "rmsnorm":
        return x / np.sqrt((x ** 2).mean(-1, keepdims=True) + 1e-6) * w[name + ".weight"]
    raise SystemExit(f"reference_loss.py: norm {kind} is not supported here")


def gelu(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))


def attention(x, w, i, heads):
    t, c = x.shape
    hs = c // heads
    qkv = x @ w[f"h.{i}.attn.qkv.weight"].T + w[f"h.{i}.attn.qkv.bias"]
    q, k, v = qkv[:, :c], qkv[:, c:2 * c], qkv[:, 2 * c:]
    out = np.zeros_like(x)
    mask = np.tril(np.ones((t, t), dtype=bool))
    for h in range(heads):
        s = slice(h * hs, (h + 1) * hs)
        scores = q[:, s] @ k[:, s].T / np.sqrt(hs)
        scores = np.where(mask, scores, -np.inf)
        p = np.exp(scores - scores.max(-1, keepdims=True))
        p /= p.sum(-1, keepdims=True)
        out[:, s] = p @ v[:, s]
    return out @ w[f"h.{i}.attn.proj.weight"].T + w[f"h.{i}.attn.proj.bias"]


def mlp(x, w, i):
    h = gelu(x @ w[f"h.{i}.mlp.fc.weight"].T + w[f"h.{i}.mlp.fc.bias"])
    return h @ w[f"h.{i}.mlp.proj.weight"].T + w[f"h.{i}.mlp.proj.bias"]


def forward(tokens, w, cfg):
    kind, placement = cfg["norm"], cfg["placement"]
    x = w["wte.weight"][tokens] + w["wpe.weight"][: len(tokens)]
    xd = x.copy()
    for i in range(cfg["n_layers"]):
        for f, n in ((lambda z: attention(z, w, i, cfg["n_heads"]), "norm_1"),
                     (lambda z: mlp(z, w, i), "norm_2")):
            name = f"h.{i}.{n}"
            if placement == "pre":
                x = x + f(norm(x, w, kind, name))
            elif placement == "post":
                x = norm(x + f(x), w, kind, name)
            else:
                y = f(x)
                xd = xd + y
                x = norm(x + y, w, kind, name)
    if placement == "pre":
        x = norm(x, w, kind, "norm_f")
    elif placement == "residual":
        x = x + norm(xd, w, kind, "norm_f")
    return x @ w["wte.weight"].T


def main():
    path, text = sys.argv[1], sys.argv[2]
    w = {k: v.astype(np.float64) for k, v in load_file(path).items()}
    with safe_open(path, "np") as f:
        cfg = json.loads(f.metadata()["config"])
    if cfg["attention"] != "softmax":
        raise SystemExit("reference_loss.py: only softmax attention is supported here")
    raw = open(text, "rb").read().rstrip(b"\r\n") + b"\n%\n"
    data = np.frombuffer(raw, dtype=np.uint8).astype(np.int64)
    t = cfg["context"]
    windows = (len(data) - 1) // t
    total, count = 0.0, 0
    for i in range(windows):
        chunk = data[i * t: i * t + t + 1]
        logits = forward(chunk[:-1], w, cfg)
        logits -= logits.max(-1, keepdims=True)
        logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
        total -= logp[np.arange(t), chunk[1:]].sum()
        count += t
    print(json.dumps({"loss": total / count, "tokens": count}))


if __name__ == "__main__":
    main()
