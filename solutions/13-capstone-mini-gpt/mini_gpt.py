"""Lab 13: a small GPT from scratch (nanoGPT layout), tested like a production model and fine-tuned.

Conventions used by every graded piece:
  * token ids are int64 tensors; `idx` is (B, T) with T <= config.block_size;
  * the model returns logits for EVERY position, (B, T, V), never only the last one;
  * parameter names are part of the API: the grader copies its own weights into your model by name
    (see `GPT`), so keep the module names exactly as written in the docstrings;
  * randomness only through the `generator` you are given (a torch.Generator), never the global RNG.
"""
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
    """Character-level tokenizer: the vocabulary is the sorted set of characters of `text`.

    stoi[c] = position of c in sorted(set(text)); itos is the inverse list.
    encode(s) -> list[int] raises KeyError on a character outside the vocabulary (no silent <unk>);
    decode(ids) -> str accepts a list of ints or a 1-D tensor.
    """

    def __init__(self, text: str):
        ### BEGIN SOLUTION
        self.itos = sorted(set(text))
        self.stoi = {c: i for i, c in enumerate(self.itos)}
        ### END SOLUTION

    @property
    def vocab_size(self) -> int:
        ### BEGIN SOLUTION
        return len(self.itos)
        ### END SOLUTION

    def encode(self, s: str) -> list[int]:
        ### BEGIN SOLUTION
        return [self.stoi[c] for c in s]
        ### END SOLUTION

    def decode(self, ids) -> str:
        ### BEGIN SOLUTION
        return "".join(self.itos[int(i)] for i in ids)
        ### END SOLUTION


def get_batch(data: torch.Tensor, block_size: int, batch_size: int,
              generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """A random batch of next-token examples from a 1-D tensor of token ids.

    Draw the start offsets with exactly one call
        ix = torch.randint(len(data) - block_size, (batch_size,), generator=generator)
    then x[b] = data[ix[b] : ix[b] + block_size] and y[b] = data[ix[b] + 1 : ix[b] + 1 + block_size]
    (y is x shifted left by one: y[b, t] is the token that follows x[b, t]).

    Returns:
        (x, y), both int64 of shape (batch_size, block_size).
    """
    ### BEGIN SOLUTION
    ix = torch.randint(len(data) - block_size, (batch_size,), generator=generator)
    x = torch.stack([data[i:i + block_size] for i in ix.tolist()])
    y = torch.stack([data[i + 1:i + 1 + block_size] for i in ix.tolist()])
    return x.long(), y.long()
    ### END SOLUTION


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
    """Multi-head causal self-attention. Modules (names are API):
        c_attn = nn.Linear(n_embd, 3 * n_embd, bias=config.bias)   # q, k, v in that order along the last dim
        c_proj = nn.Linear(n_embd, n_embd, bias=config.bias)
        attn_dropout, resid_dropout = nn.Dropout(config.dropout)
    A causal mask may be kept as a buffer, but register it with persistent=False (it is not a parameter).

    forward(x): x (B, T, C) -> (B, T, C). With hs = C // n_head and heads split as
    q.view(B, T, n_head, hs).transpose(1, 2):
        att = (q @ k^T) / sqrt(hs);  att[..., i, j] = -inf for j > i  (BEFORE the softmax)
        att = softmax(att, dim=-1);  y = att @ v;  merge heads back to (B, T, C);  y = c_proj(y)
    Write the attention yourself: F.scaled_dot_product_attention is the public tests' oracle, not your tool
    (the grader records the PyTorch operators your forward runs: a fused attention kernel fails, however imported).
    Works in the dtype of x (float64 in the exact tests).
    """

    def __init__(self, config: GPTConfig):
        super().__init__()
        ### BEGIN SOLUTION
        assert config.n_embd % config.n_head == 0, "n_embd must be divisible by n_head"
        self.n_head, self.n_embd = config.n_head, config.n_embd
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.attn_dropout = nn.Dropout(config.dropout)
        self.resid_dropout = nn.Dropout(config.dropout)
        mask = torch.tril(torch.ones(config.block_size, config.block_size, dtype=torch.bool))
        self.register_buffer("mask", mask.view(1, 1, config.block_size, config.block_size), persistent=False)
        ### END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ### BEGIN SOLUTION
        B, T, C = x.shape
        hs = C // self.n_head
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        q, k, v = (z.view(B, T, self.n_head, hs).transpose(1, 2) for z in (q, k, v))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(hs)
        att = att.masked_fill(~self.mask[:, :, :T, :T], float("-inf"))
        att = F.softmax(att, dim=-1)
        att = self.attn_dropout(att)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        return self.resid_dropout(self.c_proj(y))
        ### END SOLUTION


class MLP(nn.Module):
    """c_fc = nn.Linear(n_embd, 4 * n_embd, bias), exact GELU (nn.GELU()), c_proj = nn.Linear(4 * n_embd, n_embd,
    bias), then dropout."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        ### BEGIN SOLUTION
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        self.gelu = nn.GELU()
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)
        ### END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ### BEGIN SOLUTION
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))
        ### END SOLUTION


class Block(nn.Module):
    """Pre-norm transformer block. Modules: ln_1 = nn.LayerNorm(n_embd, bias=config.bias),
    attn = CausalSelfAttention, ln_2 = nn.LayerNorm(n_embd, bias=config.bias), mlp = MLP.
        x = x + attn(ln_1(x));  x = x + mlp(ln_2(x))
    """

    def __init__(self, config: GPTConfig):
        super().__init__()
        ### BEGIN SOLUTION
        self.ln_1 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.mlp = MLP(config)
        ### END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ### BEGIN SOLUTION
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))
        ### END SOLUTION


class GPT(nn.Module):
    """The whole model (nanoGPT layout). Modules, names are API:
        transformer = nn.ModuleDict(wte=nn.Embedding(V, C), wpe=nn.Embedding(block_size, C),
                                    drop=nn.Dropout(dropout), h=nn.ModuleList(Block x n_layer),
                                    ln_f=nn.LayerNorm(C, bias=bias))
        lm_head = nn.Linear(C, V, bias=False), its weight TIED to transformer.wte.weight (the same Parameter).
    So model.named_parameters() lists transformer.wte.weight once and no lm_head.weight.

    Initialisation: every Linear and Embedding weight ~ N(0, 0.02^2), Linear biases 0, and the
    residual projections (names ending in c_proj.weight) ~ N(0, (0.02 / sqrt(2 * n_layer))^2).
    With these, the logits start near 0 and the first loss is close to ln(V).
    """

    def __init__(self, config: GPTConfig):
        super().__init__()
        ### BEGIN SOLUTION
        self.config = config
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(config.vocab_size, config.n_embd),
            wpe=nn.Embedding(config.block_size, config.n_embd),
            drop=nn.Dropout(config.dropout),
            h=nn.ModuleList([Block(config) for _ in range(config.n_layer)]),
            ln_f=nn.LayerNorm(config.n_embd, bias=config.bias),
        ))
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.lm_head.weight = self.transformer.wte.weight
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))
            elif name.endswith("weight") and "ln_" not in name:  # Linear and Embedding weights
                nn.init.normal_(p, mean=0.0, std=0.02)
            elif name.endswith("bias") and "ln_" not in name:
                nn.init.zeros_(p)
        ### END SOLUTION

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None):
        """idx (B, T) int64 with T <= block_size -> (logits (B, T, V), loss).

        x = drop(wte(idx) + wpe(arange(T))); x = each block in order; logits = lm_head(ln_f(x)).
        loss = F.cross_entropy(logits.view(-1, V), targets.view(-1)) (the mean over all B*T positions)
        when targets is given, else None.
        """
        ### BEGIN SOLUTION
        B, T = idx.shape
        if T > self.config.block_size:
            raise ValueError(f"sequence of length {T} is longer than block_size={self.config.block_size}")
        pos = torch.arange(T, device=idx.device)
        x = self.transformer.drop(self.transformer.wte(idx) + self.transformer.wpe(pos))
        for block in self.transformer.h:
            x = block(x)
        logits = self.lm_head(self.transformer.ln_f(x))
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))
        return logits, loss
        ### END SOLUTION

    def configure_optimizers(self, weight_decay: float, lr: float) -> torch.optim.AdamW:
        """AdamW with two parameter groups (the nanoGPT rule):
            group 0: every parameter with p.dim() >= 2 (matmul weights, embeddings), weight_decay=weight_decay
            group 1: every parameter with p.dim() < 2 (biases, LayerNorm weights), weight_decay=0.0
        Only parameters with requires_grad; each tied Parameter once; lr=lr, betas=(0.9, 0.95).
        """
        ### BEGIN SOLUTION
        params = [p for p in self.parameters() if p.requires_grad]
        decay = [p for p in params if p.dim() >= 2]
        no_decay = [p for p in params if p.dim() < 2]
        groups = [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
        return torch.optim.AdamW(groups, lr=lr, betas=(0.9, 0.95))
        ### END SOLUTION

    @torch.no_grad()
    def generate(self, idx: torch.Tensor, n: int, temperature: float = 1.0, top_k: int | None = None,
                 generator: torch.Generator | None = None) -> torch.Tensor:
        """Append n sampled tokens to idx (B, T); returns (B, T + n).

        Each step: crop the context to the last block_size tokens; logits of the last position;
          temperature == 0: greedy, next = argmax (no sampling);
          else logits = logits / temperature; if top_k: keep the top_k largest logits, set the others to
          -inf (so the softmax renormalises over the kept tokens only); probs = softmax(logits);
          next = torch.multinomial(probs, num_samples=1, generator=generator).
        One multinomial call per step for the whole batch, so a pinned generator gives pinned samples.
        """
        ### BEGIN SOLUTION
        for _ in range(n):
            logits, _ = self(idx[:, -self.config.block_size:])
            logits = logits[:, -1, :]
            if temperature == 0:
                nxt = logits.argmax(dim=-1, keepdim=True)
            else:
                logits = logits / temperature
                if top_k is not None:
                    kth = torch.topk(logits, min(top_k, logits.size(-1))).values[:, [-1]]
                    logits = logits.masked_fill(logits < kth, float("-inf"))
                probs = F.softmax(logits, dim=-1)
                nxt = torch.multinomial(probs, num_samples=1, generator=generator)
            idx = torch.cat([idx, nxt], dim=1)
        return idx
        ### END SOLUTION


def estimate_loss(model: GPT, data: torch.Tensor, batch_size: int, n_batches: int,
                  generator: torch.Generator) -> torch.Tensor:
    """Loss of model on n_batches batches of get_batch(data, model.config.block_size, batch_size, generator).

    Runs in eval mode without building a graph (torch.no_grad), and puts the model back in the mode it
    was in. Returns the n_batches per-batch mean losses as a float tensor of shape (n_batches,): keeping
    them apart lets you compare two models on the SAME batches (a paired comparison).
    """
    ### BEGIN SOLUTION
    was_training = model.training
    model.eval()
    losses = torch.empty(n_batches)
    with torch.no_grad():
        for i in range(n_batches):
            x, y = get_batch(data, model.config.block_size, batch_size, generator)
            losses[i] = model(x, y)[1].item()
    model.train(was_training)
    return losses
    ### END SOLUTION


@dataclass
class TrainConfig:
    """How to (re)train: `steps` optimizer steps on batches of `batch_size`, AdamW from configure_optimizers."""
    steps: int = 100
    batch_size: int = 16
    lr: float = 1e-3
    weight_decay: float = 0.1
    seed: int = 0


def finetune(model: GPT, tokenizer: CharTokenizer, text: str, cfg: TrainConfig) -> list[float]:
    """Continue training `model` on `text`; returns the training loss of every step (a list of floats).

    data = torch.tensor(tokenizer.encode(text), dtype=torch.long); generator = torch.Generator().manual_seed(cfg.seed);
    optimizer = model.configure_optimizers(cfg.weight_decay, cfg.lr); model.train(); then cfg.steps times:
        x, y = get_batch(data, model.config.block_size, cfg.batch_size, generator); loss = model(x, y)[1];
        zero the gradients; loss.backward(); optimizer.step().
    Leaves the model in eval mode. Also the pre-training loop: fine-tuning is the same loop on new text.
    """
    ### BEGIN SOLUTION
    data = torch.tensor(tokenizer.encode(text), dtype=torch.long)
    generator = torch.Generator().manual_seed(cfg.seed)
    optimizer = model.configure_optimizers(cfg.weight_decay, cfg.lr)
    model.train()
    losses = []
    for _ in range(cfg.steps):
        x, y = get_batch(data, model.config.block_size, cfg.batch_size, generator)
        _, loss = model(x, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    model.eval()
    return losses
    ### END SOLUTION
