"""Lab 13: a small GPT from scratch (nanoGPT layout) -- einsum / vectorised-indexing variant."""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


def load_topics() -> str:
    """The pre-training corpus: every help topic of the standard library, keys sorted for a stable order."""
    from pydoc_data.topics import topics
    return "".join(topics[key] for key in sorted(topics))


class CharTokenizer:
    """Character-level tokenizer: the vocabulary is the sorted set of characters of `text`."""

    def __init__(self, text: str):
        self.itos = sorted(set(text))
        self.stoi = dict(zip(self.itos, range(len(self.itos))))

    @property
    def vocab_size(self) -> int:
        return len(self.stoi)

    def encode(self, s: str) -> list[int]:
        out = []
        for ch in s:
            out.append(self.stoi[ch])  # KeyError on unknown characters
        return out

    def decode(self, ids) -> str:
        if torch.is_tensor(ids):
            ids = ids.reshape(-1).tolist()
        return "".join(map(lambda i: self.itos[i], (int(i) for i in ids)))


def get_batch(data: torch.Tensor, block_size: int, batch_size: int,
              generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """A random batch of next-token examples from a 1-D tensor of token ids."""
    ix = torch.randint(len(data) - block_size, (batch_size,), generator=generator)
    offs = ix.unsqueeze(1) + torch.arange(block_size).unsqueeze(0)       # (B, T)
    x = data[offs].to(torch.int64)
    y = data[offs + 1].to(torch.int64)
    return x, y


@dataclass
class GPTConfig:
    """Hyper-parameters of the model (defaults: the ~117k-parameter model of the README)."""
    block_size: int = 64     # longest context the model sees
    vocab_size: int = 103    # len(set(load_topics()))
    n_layer: int = 2
    n_head: int = 4
    n_embd: int = 64         # must be divisible by n_head
    dropout: float = 0.0
    bias: bool = True        # biases in Linear layers and LayerNorms


class CausalSelfAttention(nn.Module):
    """Multi-head causal self-attention; mask computed on the fly (no buffer), einsum contractions."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        if config.n_embd % config.n_head != 0:
            raise ValueError("n_embd must be divisible by n_head")
        self.n_head = config.n_head
        self.n_embd = config.n_embd
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.attn_dropout = nn.Dropout(config.dropout)
        self.resid_dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, C = x.shape
        H = self.n_head
        hs = C // H
        qkv = self.c_attn(x).view(B, T, 3, H, hs)
        q, k, v = qkv.unbind(dim=2)                                # each (B, T, H, hs)
        att = torch.einsum("bthd,bshd->bhts", q, k) / math.sqrt(hs)
        future = torch.triu(torch.ones(T, T, dtype=torch.bool, device=x.device), diagonal=1)
        att = torch.where(future, torch.full_like(att, float("-inf")), att)
        att = torch.softmax(att, dim=-1)
        att = self.attn_dropout(att)
        y = torch.einsum("bhts,bshd->bthd", att, v).reshape(B, T, C)
        return self.resid_dropout(self.c_proj(y))


class MLP(nn.Module):
    """c_fc -> exact GELU -> c_proj -> dropout."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        self.gelu = nn.GELU()
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))


class Block(nn.Module):
    """Pre-norm transformer block."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.mlp = MLP(config)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x + self.attn(self.ln_1(x))
        return h + self.mlp(self.ln_2(h))


class GPT(nn.Module):
    """The whole model (nanoGPT layout)."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.config = config
        C = config.n_embd
        self.transformer = nn.ModuleDict({
            "wte": nn.Embedding(config.vocab_size, C),
            "wpe": nn.Embedding(config.block_size, C),
            "drop": nn.Dropout(config.dropout),
            "h": nn.ModuleList(Block(config) for _ in range(config.n_layer)),
            "ln_f": nn.LayerNorm(C, bias=config.bias),
        })
        self.lm_head = nn.Linear(C, config.vocab_size, bias=False)
        self.lm_head.weight = self.transformer.wte.weight  # tie: one Parameter
        std_proj = 0.02 / math.sqrt(2 * config.n_layer)
        with torch.no_grad():
            for name, mod in self.named_modules():
                if isinstance(mod, (nn.Linear, nn.Embedding)):
                    std = std_proj if name.endswith("c_proj") else 0.02
                    mod.weight.normal_(0.0, std)
                    if getattr(mod, "bias", None) is not None:
                        mod.bias.zero_()

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None):
        B, T = idx.shape
        if T > self.config.block_size:
            raise ValueError(f"sequence length {T} exceeds block_size {self.config.block_size}")
        tr = self.transformer
        x = tr.drop(tr.wte(idx) + tr.wpe(torch.arange(T, device=idx.device)))
        for blk in tr.h:
            x = blk(x)
        logits = self.lm_head(tr.ln_f(x))
        if targets is None:
            return logits, None
        V = logits.shape[-1]
        loss = F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1))
        return logits, loss

    def configure_optimizers(self, weight_decay: float, lr: float) -> torch.optim.AdamW:
        seen = set()
        decay, no_decay = [], []
        for p in self.parameters():
            if not p.requires_grad or id(p) in seen:
                continue
            seen.add(id(p))
            (decay if p.ndim >= 2 else no_decay).append(p)
        return torch.optim.AdamW(
            [dict(params=decay, weight_decay=weight_decay), dict(params=no_decay, weight_decay=0.0)],
            lr=lr, betas=(0.9, 0.95),
        )

    @torch.no_grad()
    def generate(self, idx: torch.Tensor, n: int, temperature: float = 1.0, top_k: int | None = None,
                 generator: torch.Generator | None = None) -> torch.Tensor:
        bs = self.config.block_size
        out = idx
        for _ in range(n):
            logits = self(out[:, -bs:])[0][:, -1, :]
            if temperature == 0:
                nxt = logits.argmax(dim=-1).unsqueeze(-1)
            else:
                logits = logits / temperature
                if top_k:
                    k = min(int(top_k), logits.shape[-1])
                    kth = torch.topk(logits, k, dim=-1).values[:, -1:]
                    logits = logits.masked_fill(logits < kth, float("-inf"))
                probs = torch.softmax(logits, dim=-1)
                nxt = torch.multinomial(probs, num_samples=1, generator=generator)
            out = torch.cat([out, nxt], dim=1)
        return out


def estimate_loss(model: GPT, data: torch.Tensor, batch_size: int, n_batches: int,
                  generator: torch.Generator) -> torch.Tensor:
    """Per-batch mean losses (n_batches,), eval mode, no graph, mode restored."""
    mode = model.training
    dtype = next(model.parameters()).dtype
    out = torch.empty(n_batches, dtype=dtype)
    try:
        model.eval()
        with torch.no_grad():
            for i in range(n_batches):
                x, y = get_batch(data, model.config.block_size, batch_size, generator)
                out[i] = model(x, y)[1]
    finally:
        model.train(mode)
    return out


@dataclass
class TrainConfig:
    """How to (re)train: `steps` optimizer steps on batches of `batch_size`, AdamW from configure_optimizers."""
    steps: int = 100
    batch_size: int = 16
    lr: float = 1e-3
    weight_decay: float = 0.1
    seed: int = 0


def finetune(model: GPT, tokenizer: CharTokenizer, text: str, cfg: TrainConfig) -> list[float]:
    """Continue training `model` on `text`; returns the training loss of every step."""
    data = torch.tensor(tokenizer.encode(text), dtype=torch.long)
    generator = torch.Generator().manual_seed(cfg.seed)
    optimizer = model.configure_optimizers(cfg.weight_decay, cfg.lr)
    model.train()
    history: list[float] = []
    step = 0
    while step < cfg.steps:
        x, y = get_batch(data, model.config.block_size, cfg.batch_size, generator)
        loss = model(x, y)[1]
        for p in model.parameters():
            p.grad = None
        loss.backward()
        optimizer.step()
        history.append(float(loss.detach()))
        step += 1
    model.eval()
    return history
