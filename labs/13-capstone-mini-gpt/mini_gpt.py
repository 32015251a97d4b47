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
        # YOUR CODE HERE
        raise NotImplementedError()

    @property
    def vocab_size(self) -> int:
        # YOUR CODE HERE
        raise NotImplementedError()

    def encode(self, s: str) -> list[int]:
        # YOUR CODE HERE
        raise NotImplementedError()

    def decode(self, ids) -> str:
        # YOUR CODE HERE
        raise NotImplementedError()


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
    # YOUR CODE HERE
    raise NotImplementedError()


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
        # YOUR CODE HERE
        raise NotImplementedError()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # YOUR CODE HERE
        raise NotImplementedError()


class MLP(nn.Module):
    """c_fc = nn.Linear(n_embd, 4 * n_embd, bias), exact GELU (nn.GELU()), c_proj = nn.Linear(4 * n_embd, n_embd,
    bias), then dropout."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        # YOUR CODE HERE
        raise NotImplementedError()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # YOUR CODE HERE
        raise NotImplementedError()


class Block(nn.Module):
    """Pre-norm transformer block. Modules: ln_1 = nn.LayerNorm(n_embd, bias=config.bias),
    attn = CausalSelfAttention, ln_2 = nn.LayerNorm(n_embd, bias=config.bias), mlp = MLP.
        x = x + attn(ln_1(x));  x = x + mlp(ln_2(x))
    """

    def __init__(self, config: GPTConfig):
        super().__init__()
        # YOUR CODE HERE
        raise NotImplementedError()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # YOUR CODE HERE
        raise NotImplementedError()


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
        # YOUR CODE HERE
        raise NotImplementedError()

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None):
        """idx (B, T) int64 with T <= block_size -> (logits (B, T, V), loss).

        x = drop(wte(idx) + wpe(arange(T))); x = each block in order; logits = lm_head(ln_f(x)).
        loss = F.cross_entropy(logits.view(-1, V), targets.view(-1)) (the mean over all B*T positions)
        when targets is given, else None.
        """
        # YOUR CODE HERE
        raise NotImplementedError()

    def configure_optimizers(self, weight_decay: float, lr: float) -> torch.optim.AdamW:
        """AdamW with two parameter groups (the nanoGPT rule):
            group 0: every parameter with p.dim() >= 2 (matmul weights, embeddings), weight_decay=weight_decay
            group 1: every parameter with p.dim() < 2 (biases, LayerNorm weights), weight_decay=0.0
        Only parameters with requires_grad; each tied Parameter once; lr=lr, betas=(0.9, 0.95).
        """
        # YOUR CODE HERE
        raise NotImplementedError()

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
        # YOUR CODE HERE
        raise NotImplementedError()


def estimate_loss(model: GPT, data: torch.Tensor, batch_size: int, n_batches: int,
                  generator: torch.Generator) -> torch.Tensor:
    """Loss of model on n_batches batches of get_batch(data, model.config.block_size, batch_size, generator).

    Runs in eval mode without building a graph (torch.no_grad), and puts the model back in the mode it
    was in. Returns the n_batches per-batch mean losses as a float tensor of shape (n_batches,): keeping
    them apart lets you compare two models on the SAME batches (a paired comparison).
    """
    # YOUR CODE HERE
    raise NotImplementedError()


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
    # YOUR CODE HERE
    raise NotImplementedError()
