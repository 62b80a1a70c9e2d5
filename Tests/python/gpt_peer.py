"""PyTorch peer of `ddp bench`: the same GPT (pre-LN, tied head, GELU tanh, AdamW), tokens/s.

Usage: gpt_peer.py [--d-model 256] [--layers 6] [--heads 8] [--context 128] [--batch 8]
                   [--steps 10] [--warmup 2] [--threads 1]
configs/bench.toml's model by default; --batch is per worker. Under torchrun it runs DDP (gloo).
Prints one JSON line: {"tokens_per_second": ..., "ms_per_step": ...} (median step, all workers).
launch/peer-bench runs it against `ddp bench`, interleaved. Not run by launch/test.
"""
import argparse, json, os, statistics, time
import torch, torch.nn as nn, torch.nn.functional as F

a = argparse.ArgumentParser()
for name, default in [("d-model", 256), ("layers", 6), ("heads", 8), ("context", 128),
                      ("batch", 8), ("steps", 10), ("warmup", 2), ("threads", 1)]:
    a.add_argument("--" + name, type=int, default=default)
a = a.parse_args()
torch.set_num_threads(a.threads)
C, T, H, V = a.d_model, a.context, a.heads, 256
world = int(os.environ.get("WORLD_SIZE", "1"))
if world > 1:
    torch.distributed.init_process_group("gloo")


class Block(nn.Module):
    def __init__(s):
        super().__init__()
        s.n1, s.qkv, s.proj = nn.LayerNorm(C), nn.Linear(C, 3 * C), nn.Linear(C, C)
        s.n2, s.fc, s.out = nn.LayerNorm(C), nn.Linear(C, 4 * C), nn.Linear(4 * C, C)

    def forward(s, x):  # x: (B, T, C)
        q, k, v = s.qkv(s.n1(x)).view(x.shape[0], T, 3, H, C // H).permute(2, 0, 3, 1, 4)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # (B, H, T, hs)
        x = x + s.proj(y.transpose(1, 2).reshape(x.shape))
        return x + s.out(F.gelu(s.fc(s.n2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(s):
        super().__init__()
        s.wte, s.wpe = nn.Embedding(V, C), nn.Embedding(T, C)
        s.h, s.nf = nn.Sequential(*[Block() for _ in range(a.layers)]), nn.LayerNorm(C)

    def forward(s, idx, targets):  # (B, T) each -> mean cross-entropy over all B·T positions
        x = s.nf(s.h(s.wte(idx) + s.wpe.weight))
        return F.cross_entropy((x @ s.wte.weight.T).view(-1, V), targets.reshape(-1))


model = GPT()
if world > 1:
    model = nn.parallel.DistributedDataParallel(model, bucket_cap_mb=4)
decay = [p for p in model.parameters() if p.dim() == 2]
rest = [p for p in model.parameters() if p.dim() < 2]
opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": rest, "weight_decay": 0}],
                        lr=1e-3, betas=(0.9, 0.95))
times = []
for i in range(a.warmup + a.steps):
    window = torch.randint(0, V, (a.batch, T + 1))
    start = time.perf_counter()
    loss = model(window[:, :-1], window[:, 1:])
    opt.zero_grad(set_to_none=True)
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    times.append(time.perf_counter() - start)
step = statistics.median(times[a.warmup:])
if int(os.environ.get("RANK", "0")) == 0:
    print(json.dumps({"tokens_per_second": world * a.batch * T / step, "ms_per_step": step * 1e3}))
