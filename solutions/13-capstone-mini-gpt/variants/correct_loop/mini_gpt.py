"""Lab 13: a small GPT from scratch (nanoGPT layout) -- explicit per-head loop / manual softmax variant."""
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
        vocab = set()
        for ch in text:
            vocab.add(ch)
        self.itos = []
        for ch in sorted(vocab):
            self.itos.append(ch)
        self.stoi = {}
        for i, ch in enumerate(self.itos):
            self.stoi[ch] = i

    @property
    def vocab_size(self) -> int:
        return len(self.itos)

    def encode(self, s: str) -> list[int]:
        stoi = self.stoi
        return list(map(stoi.__getitem__, s))

    def decode(self, ids) -> str:
        if isinstance(ids, torch.Tensor):
            ids = [int(t) for t in ids.flatten()]
        pieces = []
        for i in ids:
            pieces.append(self.itos[int(i)])
        return "".join(pieces)


def get_batch(data: torch.Tensor, block_size: int, batch_size: int,
              generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """A random batch of next-token examples from a 1-D tensor of token ids."""
    ix = torch.randint(len(data) - block_size, (batch_size,), generator=generator)
    windows = data.long().unfold(0, block_size + 1, 1)[ix]        # (B, block_size + 1)
    x = windows[:, :-1].clone()
    y = windows[:, 1:].clone()
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
    """Multi-head causal self-attention, one head at a time, hand-written stable softmax."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        assert config.n_embd % config.n_head == 0
        self.n_head = config.n_head
        self.n_embd = config.n_embd
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.attn_dropout = nn.Dropout(config.dropout)
        self.resid_dropout = nn.Dropout(config.dropout)
        mask = torch.ones(config.block_size, config.block_size, dtype=torch.bool).tril()
        self.register_buffer("mask", mask, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, C = x.shape
        hs = C // self.n_head
        qkv = self.c_attn(x)
        q_all = qkv[..., 0:C]
        k_all = qkv[..., C:2 * C]
        v_all = qkv[..., 2 * C:3 * C]
        allowed = self.mask[:T, :T]
        scale = 1.0 / math.sqrt(hs)
        heads = []
        for h in range(self.n_head):
            q = q_all[..., h * hs:(h + 1) * hs]
            k = k_all[..., h * hs:(h + 1) * hs]
            v = v_all[..., h * hs:(h + 1) * hs]
            s = torch.matmul(q, k.transpose(1, 2)) * scale            # (B, T, T)
            s = s.masked_fill(~allowed, float("-inf"))
            s = s - s.amax(dim=-1, keepdim=True)
            e = torch.exp(s)
            p = e / e.sum(dim=-1, keepdim=True)
            p = self.attn_dropout(p)
            heads.append(torch.matmul(p, v))                            # (B, T, hs)
        y = torch.cat(heads, dim=-1)
        y = self.c_proj(y)
        return self.resid_dropout(y)


class MLP(nn.Module):
    """c_fc -> exact GELU -> c_proj -> dropout."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        self.gelu = nn.GELU(approximate="none")
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.c_fc(x)
        h = 0.5 * h * (1.0 + torch.erf(h / math.sqrt(2.0)))   # exact GELU, same as nn.GELU()
        return self.dropout(self.c_proj(h))


class Block(nn.Module):
    """Pre-norm transformer block."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.mlp = MLP(config)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.attn(self.ln_1(x))
        x = x + a
        m = self.mlp(self.ln_2(x))
        x = x + m
        return x


class GPT(nn.Module):
    """The whole model (nanoGPT layout)."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.config = config
        self.transformer = nn.ModuleDict()
        self.transformer["wte"] = nn.Embedding(config.vocab_size, config.n_embd)
        self.transformer["wpe"] = nn.Embedding(config.block_size, config.n_embd)
        self.transformer["drop"] = nn.Dropout(config.dropout)
        self.transformer["h"] = nn.ModuleList([Block(config) for _ in range(config.n_layer)])
        self.transformer["ln_f"] = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.lm_head.weight = self.transformer["wte"].weight
        linear_or_emb_weights = set()
        linear_biases = set()
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                linear_or_emb_weights.add(id(m.weight))
            if isinstance(m, nn.Linear) and m.bias is not None:
                linear_biases.add(id(m.bias))
        with torch.no_grad():
            for name, p in self.named_parameters():
                if name.endswith("c_proj.weight"):
                    p.normal_(mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))
                elif id(p) in linear_or_emb_weights:
                    p.normal_(mean=0.0, std=0.02)
                elif id(p) in linear_biases:
                    p.zero_()

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None):
        B, T = idx.shape
        assert T <= self.config.block_size
        pos = torch.arange(T, dtype=torch.long, device=idx.device).unsqueeze(0)   # (1, T)
        x = self.transformer["wte"](idx) + self.transformer["wpe"](pos)
        x = self.transformer["drop"](x)
        for i in range(len(self.transformer["h"])):
            x = self.transformer["h"][i](x)
        x = self.transformer["ln_f"](x)
        logits = F.linear(x, self.lm_head.weight)
        loss = None
        if targets is not None:
            V = self.config.vocab_size
            loss = F.cross_entropy(logits.view(-1, V), targets.view(-1))
        return logits, loss

    def configure_optimizers(self, weight_decay: float, lr: float) -> torch.optim.AdamW:
        decay = []
        no_decay = []
        for _, p in self.named_parameters(remove_duplicate=True):
            if not p.requires_grad:
                continue
            if p.dim() < 2:
                no_decay.append(p)
            else:
                decay.append(p)
        groups = [{"params": decay, "weight_decay": weight_decay},
                  {"params": no_decay, "weight_decay": 0.0}]
        return torch.optim.AdamW(groups, lr=lr, betas=(0.9, 0.95))

    @torch.no_grad()
    def generate(self, idx: torch.Tensor, n: int, temperature: float = 1.0, top_k: int | None = None,
                 generator: torch.Generator | None = None) -> torch.Tensor:
        bs = self.config.block_size
        for _ in range(n):
            start = max(0, idx.shape[1] - bs)
            logits, _ = self.forward(idx[:, start:])
            last = logits[:, logits.shape[1] - 1, :]
            if temperature == 0:
                nxt = last.max(dim=-1, keepdim=True).indices
            else:
                scaled = last / temperature
                if top_k is not None and top_k > 0:
                    k = min(top_k, scaled.shape[-1])
                    vals, inds = torch.topk(scaled, k, dim=-1)
                    masked = torch.full_like(scaled, float("-inf"))
                    scaled = masked.scatter(-1, inds, vals)          # exactly k kept
                probs = F.softmax(scaled, dim=-1)
                nxt = torch.multinomial(probs, num_samples=1, generator=generator)
            idx = torch.cat((idx, nxt), dim=1)
        return idx


def estimate_loss(model: GPT, data: torch.Tensor, batch_size: int, n_batches: int,
                  generator: torch.Generator) -> torch.Tensor:
    """Per-batch mean losses (n_batches,), eval mode, no graph, mode restored."""
    prev = model.training
    model.train(False)
    vals = []
    dtype = torch.float32
    with torch.no_grad():
        for _ in range(n_batches):
            xb, yb = get_batch(data, model.config.block_size, batch_size, generator)
            logits, loss = model(xb, yb)
            dtype = loss.dtype
            vals.append(loss.item())
    if prev:
        model.train()
    return torch.tensor(vals, dtype=dtype)


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
    losses = [0.0] * cfg.steps
    for step in range(cfg.steps):
        xb, yb = get_batch(data, model.config.block_size, cfg.batch_size, generator)
        loss = model(xb, yb)[1]
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses[step] = loss.item()
    model.eval()
    return losses
