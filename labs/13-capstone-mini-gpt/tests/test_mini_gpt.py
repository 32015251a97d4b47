"""Public tests for lab 13. Run them with `labkit check 13` (or plain pytest from this folder).

Each test compares your code with an oracle written here in plain torch: most of them copy seeded
weights into your model BY PARAMETER NAME (the names in the docstrings are API), so your outputs are
fixed by the spec and can be checked in float64. Hidden tests at grading use other seeds, shapes and texts.
"""
import copy
import math

import helpers
import numpy as np
import torch
import torch.nn.functional as F


# ---------------------------------------------------------------- oracles (plain torch, not your code)
PUBLIC = dict(block_size=10, vocab_size=17, n_layer=2, n_head=2, n_embd=16)


def public_model(answers, seed, scale=0.3, dtype=torch.float64, **kw):
    return helpers.gpt(answers, {**PUBLIC, **kw}, seed, scale, dtype)


def oracle_attention(p, prefix, x, n_head):
    B, T, C = x.shape
    q, k, v = F.linear(x, p[prefix + "c_attn.weight"], p.get(prefix + "c_attn.bias")).split(C, dim=-1)
    heads = [z.view(B, T, n_head, C // n_head).transpose(1, 2) for z in (q, k, v)]
    y = F.scaled_dot_product_attention(*heads, is_causal=True).transpose(1, 2).reshape(B, T, C)
    return F.linear(y, p[prefix + "c_proj.weight"], p.get(prefix + "c_proj.bias"))


def oracle_forward(m, cfg, idx):
    """The GPT of the docstrings written with functional torch calls on your model's parameters."""
    p = dict(m.named_parameters())
    C = cfg.n_embd
    ln = lambda z, name: F.layer_norm(z, (C,), p[name + ".weight"], p.get(name + ".bias"))
    x = p["transformer.wte.weight"][idx] + p["transformer.wpe.weight"][: idx.shape[1]]
    for i in range(cfg.n_layer):
        h = f"transformer.h.{i}."
        x = x + oracle_attention(p, h + "attn.", ln(x, h + "ln_1"), cfg.n_head)
        z = F.gelu(F.linear(ln(x, h + "ln_2"), p[h + "mlp.c_fc.weight"], p.get(h + "mlp.c_fc.bias")))
        x = x + F.linear(z, p[h + "mlp.c_proj.weight"], p.get(h + "mlp.c_proj.bias"))
    return ln(x, "transformer.ln_f") @ p["transformer.wte.weight"].T


def oracle_batch(data, block_size, batch_size, generator):
    ix = torch.randint(len(data) - block_size, (batch_size,), generator=generator)
    return helpers.windows(data, ix.tolist(), block_size)


# ---------------------------------------------------------------- q1 data
def test_data_tokenizer_roundtrip(answers, verdict):
    text = helpers.topics_text()
    tok = answers.CharTokenizer(text)
    chars = sorted(set(text))
    verdict.equal("vocab_size", tok.vocab_size, expected=len(chars))
    piece = text[1000:1400]
    ids = tok.encode(piece)
    verdict.equal("ids", [int(i) for i in ids], expected=[chars.index(c) for c in piece])
    verdict.equal("decode", tok.decode(ids), expected=piece)
    verdict.equal("decode_tensor", tok.decode(torch.tensor(ids)), expected=piece)


def test_data_get_batch(answers, verdict):
    data = torch.arange(100) % 37
    x, y = answers.get_batch(data, 8, 5, torch.Generator().manual_seed(0))
    want_x, want_y = oracle_batch(data, 8, 5, torch.Generator().manual_seed(0))
    assert x.dtype == torch.long and y.dtype == torch.long, "x and y must be int64"
    verdict.equal("x", x, expected=want_x)
    verdict.equal("y", y, expected=want_y)


# ---------------------------------------------------------------- q2 attention
def test_attention_matches_sdpa_float64(answers, verdict):
    attn = helpers.attention(answers, dict(block_size=8, vocab_size=5, n_layer=1, n_head=2, n_embd=12), 0)
    x = torch.randn(2, 8, 12, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    with torch.no_grad():
        out = attn(x)
        want = oracle_attention(dict(attn.named_parameters()), "", x, 2)
    # float64: a correct implementation agrees to ~1e-15; the curriculum's gate is 1e-6
    verdict.close("out", out, rtol=1e-6, atol=1e-6, expected=want)


def test_attention_is_causal(answers, verdict):
    attn = helpers.attention(answers, dict(block_size=8, vocab_size=5, n_layer=1, n_head=2, n_embd=12), 2)
    x = torch.randn(1, 8, 12, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    x2 = x.clone()
    x2[:, 5:] = 7.0
    with torch.no_grad():
        a, b = attn(x), attn(x2)
    # a property of your own outputs: positions 0..4 must not read positions 5..7. Masked weights are exact
    # zeros, but a matmul may round a sum differently when other rows change (~4e-16); a leak is ~1e-1
    verdict.same("positions 0..4 unchanged when 5..7 change", b[:, :5], a[:, :5], rtol=1e-12, atol=1e-12)


def test_attention_writes_its_own_attention(answers, verdict):
    attn = helpers.attention(answers, dict(block_size=8, vocab_size=5, n_layer=1, n_head=2, n_embd=12), 4)
    x = torch.randn(2, 8, 12, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    with torch.no_grad():
        _, fused = helpers.fused_attention_ops(lambda: attn(x))
    assert not fused, f"write the attention yourself: these fused attention kernels ran: {', '.join(fused)}"
    verdict.bound("fused attention kernels that ran", len(fused), high=0)


# ---------------------------------------------------------------- q3 model
def test_model_parameter_count_closed_form(answers, verdict):
    cfg = answers.GPTConfig(block_size=64, vocab_size=103, n_layer=2, n_head=4, n_embd=64)
    m = answers.GPT(cfg)
    C, L, V, T = 64, 2, 103, 64
    # per block: ln_1, ln_2 (2C each), c_attn 3C^2+3C, c_proj C^2+C, c_fc 4C^2+4C, mlp.c_proj 4C^2+C;
    # wte is shared with lm_head (weight tying), plus wpe and ln_f
    closed = V * C + T * C + L * (12 * C * C + 13 * C) + 2 * C
    verdict.equal("n_params", int(sum(p.numel() for p in m.parameters())), expected=closed)


def test_model_forward_matches_oracle(answers, verdict):
    m, cfg = public_model(answers, 4)
    g = torch.Generator().manual_seed(5)
    idx = torch.randint(0, 17, (2, 10), generator=g)
    targets = torch.randint(0, 17, (2, 10), generator=g)
    with torch.no_grad():
        logits, loss = m(idx, targets)
        want = oracle_forward(m, cfg, idx)
    verdict.close("logits", logits, rtol=1e-8, atol=1e-9, expected=want)
    verdict.close("loss", loss, rtol=1e-9, expected=F.cross_entropy(want.reshape(-1, 17), targets.reshape(-1)))


def test_model_is_causal(answers, verdict):
    m, cfg = public_model(answers, 6)
    idx = torch.randint(0, 17, (2, 10), generator=torch.Generator().manual_seed(7))
    idx2 = idx.clone()
    idx2[:, 4:] = (idx2[:, 4:] + 1) % 17
    with torch.no_grad():
        a, b = m(idx)[0], m(idx2)[0]
    # as test_attention_is_causal: rounding (~1e-15 in float64) may move the prefix, a leak moves it by ~1e-1
    verdict.same("logits 0..3 unchanged when tokens 4.. change", b[:, :4], a[:, :4], rtol=1e-12, atol=1e-12)


def test_model_initial_loss_near_log_vocab(answers, verdict):
    text = helpers.topics_text()
    tok = answers.CharTokenizer(text)
    m = answers.GPT(answers.GPTConfig(block_size=32, vocab_size=tok.vocab_size, n_layer=2, n_head=4, n_embd=32))
    x, y = oracle_batch(torch.tensor(tok.encode(text[:50_000])), 32, 16, torch.Generator().manual_seed(0))
    with torch.no_grad():
        loss = m(x, y)[1].item()
    # N(0, 0.02) weights: logits ~0.01, so the loss is within ~0.05 of ln V; the curriculum's gate is +-0.5
    verdict.bound("initial_loss", loss, low=math.log(tok.vocab_size) - 0.5, high=math.log(tok.vocab_size) + 0.5)


def test_model_bf16_autocast(answers, verdict, device):
    if device == "cpu":
        import pytest
        pytest.skip("bf16 autocast check runs on CUDA only")
    m, cfg = public_model(answers, 8, scale=0.1, dtype=torch.float32)
    m = m.to(device)
    idx = torch.randint(0, 17, (2, 10), generator=torch.Generator().manual_seed(9)).to(device)
    with torch.no_grad():
        full = m(idx)[0]
        with torch.autocast(device_type=device, dtype=torch.bfloat16):
            half = m(idx)[0]
    # bf16 keeps 8 mantissa bits (~4e-3 relative); logits are O(1), so 0.1 absolute is a loose, safe gate
    verdict.same("bf16 logits near float32 logits", half.float().cpu(), full.float().cpu(), atol=0.1)


# ---------------------------------------------------------------- q4 optimizer and overfitting
def test_train_optimizer_groups(answers, verdict):
    m, cfg = public_model(answers, 10, dtype=torch.float32)
    names = {id(p): n for n, p in m.named_parameters()}
    opt = m.configure_optimizers(weight_decay=0.1, lr=1e-3)
    assert isinstance(opt, torch.optim.AdamW), "return a torch.optim.AdamW"
    got = [sorted(names[id(p)] for p in g["params"]) for g in opt.param_groups]
    decay = sorted(n for n, p in m.named_parameters() if p.dim() >= 2)
    no_decay = sorted(n for n, p in m.named_parameters() if p.dim() < 2)
    verdict.equal("groups", " | ".join(", ".join(g) for g in got),
                  expected=", ".join(decay) + " | " + ", ".join(no_decay))
    verdict.close("weight_decay", [g["weight_decay"] for g in opt.param_groups], rtol=0, expected=[0.1, 0.0])
    verdict.close("betas", list(opt.param_groups[0]["betas"]), rtol=0, expected=[0.9, 0.95])


def test_train_overfit_one_batch(answers, verdict):
    m, cfg = public_model(answers, 11, scale=0.02, block_size=16, vocab_size=40, n_embd=32, n_head=4)
    m.train()
    g = torch.Generator().manual_seed(0)
    x, y = torch.randint(0, 40, (8, 16), generator=g), torch.randint(0, 40, (8, 16), generator=g)
    opt = m.configure_optimizers(weight_decay=0.0, lr=1e-2)
    for _ in range(80):
        loss = m(x, y)[1]
        opt.zero_grad()
        loss.backward()
        opt.step()
    # a working model memorises 128 random tokens: loss < 0.1 within 80 steps (measured: 0.013 at step 80)
    verdict.bound("final_loss", loss.item(), high=0.1)


# ---------------------------------------------------------------- q5 sampling
def test_generate_top_k_follows_exact_distribution(answers, verdict):
    from scipy.stats import chisquare

    m, cfg = public_model(answers, 12)
    prompt = torch.randint(0, 17, (1, 6), generator=torch.Generator().manual_seed(13))
    n, k, temperature = 3000, 5, 0.9
    out = m.generate(prompt.repeat(n, 1), 1, temperature=temperature, top_k=k,
                     generator=torch.Generator().manual_seed(0))
    assert out.shape == (n, 7), "generate returns idx with the new tokens appended"
    with torch.no_grad():
        logits = oracle_forward(m, cfg, prompt)[0, -1] / temperature
    keep = torch.topk(logits, k).indices
    p = torch.zeros(17, dtype=torch.float64)
    p[keep] = torch.softmax(logits[keep], dim=0)
    counts = np.bincount(out[:, -1].numpy(), minlength=17)
    assert counts[(p == 0).numpy()].sum() == 0, "sampled a token outside the top-k"
    _, pvalue = chisquare(counts[keep.numpy()], n * p[keep].numpy())
    # pinned generator, alpha = 1e-4: a correct sampler is far above it; wrong temperature or leaked mass is far below
    assert pvalue > 1e-4, f"samples do not follow softmax(logits / T) over the top-k (chi-square p = {pvalue:.1e})"
    verdict.close("frequencies", counts / n, atol=0.05, expected=p.numpy())


def test_generate_temperature_zero_is_greedy(answers, verdict):
    m, cfg = public_model(answers, 14)
    prompt = torch.randint(0, 17, (2, 8), generator=torch.Generator().manual_seed(15))
    out = m.generate(prompt, 5, temperature=0.0)
    idx = prompt.clone()
    with torch.no_grad():
        for _ in range(5):  # the context is cropped to block_size = 10
            idx = torch.cat([idx, oracle_forward(m, cfg, idx[:, -10:])[:, -1].argmax(-1, keepdim=True)], dim=1)
    verdict.equal("greedy", out, expected=idx)
    cold = m.generate(prompt, 5, temperature=1e-4, generator=torch.Generator().manual_seed(0))
    verdict.equal("cold", cold, expected=idx)


# ---------------------------------------------------------------- q6 evaluation and fine-tuning
def test_finetune_estimate_loss(answers, verdict):
    m, cfg = public_model(answers, 16, dropout=0.5)
    m.train()
    data = torch.randint(0, 17, (300,), generator=torch.Generator().manual_seed(17))
    got = answers.estimate_loss(m, data, 4, 5, torch.Generator().manual_seed(18))
    assert m.training, "estimate_loss must restore the mode the model was in"
    g = torch.Generator().manual_seed(18)
    want = []
    for _ in range(5):
        x, y = oracle_batch(data, 10, 4, g)
        with torch.no_grad():
            want.append(F.cross_entropy(oracle_forward(m, cfg, x).reshape(-1, 17), y.reshape(-1)).item())
    # float64 model: the losses agree to ~1e-15, but the docstring allows a float32 tensor (rounding 6e-8)
    verdict.close("losses", got, rtol=1e-6, expected=torch.tensor(want, dtype=torch.float64))


def test_finetune_follows_documented_loop(answers, verdict):
    text = helpers.descr_text()
    tok = answers.CharTokenizer(text)
    m, cfg = public_model(answers, 19, scale=0.02, vocab_size=tok.vocab_size, block_size=16, n_embd=16)
    twin = copy.deepcopy(m)
    losses = answers.finetune(m, tok, text[:3000], answers.TrainConfig(steps=20, batch_size=4, lr=1e-3, seed=3))
    # the oracle: the docstring's loop, on an identical copy of the model
    data = torch.tensor(tok.encode(text[:3000]))
    g = torch.Generator().manual_seed(3)
    opt = torch.optim.AdamW([{"params": [p for p in twin.parameters() if p.dim() >= 2], "weight_decay": 0.1},
                             {"params": [p for p in twin.parameters() if p.dim() < 2], "weight_decay": 0.0}],
                            lr=1e-3, betas=(0.9, 0.95))
    want = []
    for _ in range(20):
        x, y = oracle_batch(data, 16, 4, g)
        loss = F.cross_entropy(oracle_forward(twin, cfg, x).reshape(-1, tok.vocab_size), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        want.append(loss.item())
    assert not m.training, "finetune leaves the model in eval mode"
    verdict.close("losses", [float(v) for v in losses], rtol=1e-6, expected=want)


def test_finetune_lowers_held_out_loss(answers, verdict):
    text = helpers.descr_text()
    tok = answers.CharTokenizer(text)
    m, cfg = public_model(answers, 20, scale=0.02, dtype=torch.float32, vocab_size=tok.vocab_size, block_size=16,
                          n_embd=16)
    cut = int(0.8 * len(text))
    held = torch.tensor(tok.encode(text[cut:]))
    before = answers.estimate_loss(m, held, 8, 30, torch.Generator().manual_seed(1)).numpy()
    answers.finetune(m, tok, text[:cut], answers.TrainConfig(steps=60, batch_size=8, lr=3e-3, seed=2))
    after = answers.estimate_loss(m, held, 8, 30, torch.Generator().manual_seed(1)).numpy()
    diff = before - after  # paired: the same 30 batches before and after
    boots = np.random.default_rng(0).choice(diff, size=(4000, diff.size)).mean(axis=1)
    low = float(np.quantile(boots, 0.0005))
    assert low > 0, f"the 99.9 % bootstrap CI of the held-out gain includes 0 (lower end {low:.3f})"
    verdict.bound("lower end of the 99.9 % CI of the held-out gain", low, low=0.0)
