"""Recomputes a model's mean loss from its exported safetensors file with numpy alone.

Usage: reference_loss.py MODEL.safetensors TEXT_FILE
Prints {"loss": ..., "tokens": ...} over the non-overlapping windows of the model's context,
as `ddp eval --data TEXT_FILE` does, from the formulas of DESIGN.md section 3 (the tensors
and the config in the header are all it reads). TEXT_FILE must be one paragraph (no blank
line): ddp then reads it as one document, its bytes without trailing line breaks followed by
the document separator "\n%\n". Supports the attention kinds softmax, linear, fastweight and
fastweight_sum (the linear kinds as their plain recurrences over t, one state per head, nothing
shared with the trainer's chunkwise or T x T kernels) with layernorm, rmsnorm or none in post,
pre or residual placement.
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


def elu_plus_one(x):
    return np.where(x > 0, x + 1, np.exp(np.minimum(x, 0)))


def softmax_head(q, k, v):
    t, hs = q.shape
    scores = q @ k.T / np.sqrt(hs)
    scores = np.where(np.tril(np.ones((t, t), dtype=bool)), scores, -np.inf)
    p = np.exp(scores - scores.max(-1, keepdims=True))
    return (p / p.sum(-1, keepdims=True)) @ v


def linear_head(q, k, v):
    """Katharopoulos et al. 2020: S += phi(k) v^T, z += phi(k), y = phi(q)^T S / (phi(q)^T z + 1e-6)."""
    hs = q.shape[1]
    state, z, out = np.zeros((hs, hs)), np.zeros(hs), np.zeros_like(v)
    for t in range(len(q)):
        pk, pq = elu_plus_one(k[t]), elu_plus_one(q[t])
        state += np.outer(pk, v[t])
        z += pk
        out[t] = pq @ state / (pq @ z + 1e-6)
    return out


def fast_weight_head(q, k, v, beta):
    """Schlag et al. 2021, phi summing to 1: W += beta (v - W phi(k)) phi(k)^T (the delta rule),
    or W += v phi(k)^T when beta is None (the sum rule); y = W phi(q)."""
    hs = q.shape[1]
    weights, out = np.zeros((hs, hs)), np.zeros_like(v)
    for t in range(len(q)):
        pk, pq = elu_plus_one(k[t]), elu_plus_one(q[t])
        pk, pq = pk / pk.sum(), pq / pq.sum()
        if beta is None:
            weights += np.outer(v[t], pk)
        else:
            weights += beta[t] * np.outer(v[t] - weights @ pk, pk)
        out[t] = weights @ pq
    return out


def attention(x, w, i, heads, kind):
    t, c = x.shape
    hs = c // heads
    qkv = x @ w[f"h.{i}.attn.qkv.weight"].T + w[f"h.{i}.attn.qkv.bias"]
    q, k, v = qkv[:, :c], qkv[:, c:2 * c], qkv[:, 2 * c:]
    if kind == "fastweight":
        logits = x @ w[f"h.{i}.attn.beta.weight"].T + w[f"h.{i}.attn.beta.bias"]
        beta = 1 / (1 + np.exp(-logits))  # (T, H)
    out = np.zeros_like(x)
    for h in range(heads):
        s = slice(h * hs, (h + 1) * hs)
        if kind == "softmax":
            out[:, s] = softmax_head(q[:, s], k[:, s], v[:, s])
        elif kind == "linear":
            out[:, s] = linear_head(q[:, s], k[:, s], v[:, s])
        elif kind == "fastweight":
            out[:, s] = fast_weight_head(q[:, s], k[:, s], v[:, s], beta[:, h])
        elif kind == "fastweight_sum":
            out[:, s] = fast_weight_head(q[:, s], k[:, s], v[:, s], None)
        else:
            raise SystemExit(f"reference_loss.py: attention {kind} is not supported here")
    return out @ w[f"h.{i}.attn.proj.weight"].T + w[f"h.{i}.attn.proj.bias"]


def mlp(x, w, i):
    h = gelu(x @ w[f"h.{i}.mlp.fc.weight"].T + w[f"h.{i}.mlp.fc.bias"])
    return h @ w[f"h.{i}.mlp.proj.weight"].T + w[f"h.{i}.mlp.proj.bias"]


def forward(tokens, w, cfg):
    kind, placement = cfg["norm"], cfg["placement"]
    x = w["wte.weight"][tokens] + w["wpe.weight"][: len(tokens)]
    xd = x.copy()
    for i in range(cfg["n_layers"]):
        for f, n in ((lambda z: attention(z, w, i, cfg["n_heads"], cfg["attention"]), "norm_1"),
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
