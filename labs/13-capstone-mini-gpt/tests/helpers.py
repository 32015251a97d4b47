"""Helpers shared by lab 13's public tests and the hidden tests of grading (both `import helpers`).

Nothing here is an answer: the texts, the parameter names and shapes the docstrings ask for, a filler that
copies seeded weights into your model by name (so its outputs are fixed by the spec, whatever your
initialisation does), batches cut at given offsets, and a recorder of the fused attention kernels that ran.
"""
import torch

# ---------------------------------------------------------------- texts
DESCR_DATASETS = ("iris", "wine", "breast_cancer", "diabetes", "digits", "linnerud")


def topics_text() -> str:
    """pydoc_data.topics, keys sorted for a stable order (as load_topics in the stub)."""
    from pydoc_data.topics import topics
    return "".join(topics[k] for k in sorted(topics))


def descr_texts() -> list[str]:
    """The DESCR texts of scikit-learn's bundled datasets, backticks replaced by quotes."""
    from sklearn import datasets
    return [getattr(datasets, f"load_{n}")().DESCR.replace("`", "'") for n in DESCR_DATASETS]


def descr_text() -> str:
    return "".join(descr_texts())


def text_of(codes) -> str:
    """A text sent as an array of Unicode code points (the hidden tests' data)."""
    return "".join(map(chr, codes.tolist()))


# ---------------------------------------------------------------- parameters by name
def attn_shapes(cfg, prefix=""):
    """CausalSelfAttention's parameters: c_attn (3C, C), c_proj (C, C), biases when cfg.bias."""
    C = cfg.n_embd
    shapes = {prefix + "c_attn.weight": (3 * C, C), prefix + "c_proj.weight": (C, C)}
    if cfg.bias:
        shapes.update({prefix + "c_attn.bias": (3 * C,), prefix + "c_proj.bias": (C,)})
    return shapes


def block_shapes(cfg, prefix=""):
    C = cfg.n_embd
    shapes = {prefix + "ln_1.weight": (C,), prefix + "ln_2.weight": (C,), **attn_shapes(cfg, prefix + "attn."),
              prefix + "mlp.c_fc.weight": (4 * C, C), prefix + "mlp.c_proj.weight": (C, 4 * C)}
    if cfg.bias:
        shapes.update({prefix + "ln_1.bias": (C,), prefix + "ln_2.bias": (C,), prefix + "mlp.c_fc.bias": (4 * C,),
                       prefix + "mlp.c_proj.bias": (C,)})
    return shapes


def param_shapes(cfg):
    """The parameter names and shapes GPT's docstring asks for (lm_head.weight is tied to wte: listed once)."""
    C = cfg.n_embd
    shapes = {"transformer.wte.weight": (cfg.vocab_size, C), "transformer.wpe.weight": (cfg.block_size, C),
              "transformer.ln_f.weight": (C,)}
    if cfg.bias:
        shapes["transformer.ln_f.bias"] = (C,)
    for i in range(cfg.n_layer):
        shapes.update(block_shapes(cfg, f"transformer.h.{i}."))
    return shapes


def fill(module, shapes, seed, scale=0.3, dtype=torch.float64):
    """Copy seeded weights into module by name: LayerNorm weights near 1, everything else N(0, scale^2)."""
    params = dict(module.named_parameters())
    missing, extra = sorted(set(shapes) - set(params)), sorted(set(params) - set(shapes))
    assert not missing and not extra, \
        f"parameter names differ from the docstring: missing {missing[:3]}, unexpected {extra[:3]}"
    module.to(dtype)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name in sorted(shapes):
            assert tuple(params[name].shape) == shapes[name], \
                f"{name} has shape {tuple(params[name].shape)}, expected {shapes[name]}"
            noise = torch.randn(shapes[name], generator=g, dtype=torch.float64)
            norm_weight = name.split(".")[-2].startswith("ln_") and name.endswith("weight")
            params[name].copy_(1.0 + 0.1 * noise if norm_weight else scale * noise)
    return module


def gpt(answers, config: dict, seed, scale=0.3, dtype=torch.float64):
    """answers.GPT(GPTConfig(**config)) with seeded weights copied in by name, in eval mode: (model, config)."""
    cfg = answers.GPTConfig(**config)
    return fill(answers.GPT(cfg), param_shapes(cfg), seed, scale, dtype).eval(), cfg


def attention(answers, config: dict, seed, scale=0.3, dtype=torch.float64):
    cfg = answers.GPTConfig(**config)
    return fill(answers.CausalSelfAttention(cfg), attn_shapes(cfg), seed, scale, dtype).eval()


def windows(data: torch.Tensor, starts, block_size: int):
    """Next-token examples cut at the given offsets: x[b] = data[s : s + T], y[b] = data[s + 1 : s + 1 + T]."""
    x = torch.stack([data[s:s + block_size] for s in starts]).long()
    y = torch.stack([data[s + 1:s + 1 + block_size] for s in starts]).long()
    return x, y


def as_tensor(x) -> torch.Tensor:
    assert type(x) is torch.Tensor, f"expected a torch.Tensor, got {type(x).__name__}"
    return x


# ---------------------------------------------------------------- the fused attention kernels
# Every way into PyTorch's fused attention (F.scaled_dot_product_attention however it was imported,
# torch.ops.aten..., nn.MultiheadAttention's fast path) passes through one of these dispatcher operators.
FUSED_ATTENTION = ("scaled_dot_product", "efficient_attention", "flash_attention", "cudnn_attention",
                   "fused_sdp", "native_multi_head_attention", "fused_attention")


def fused_attention_ops(fn):
    """Run fn() and return (its result, the sorted names of the fused attention operators that ran).

    Two independent recorders, both started here, after the answers were imported, so a reference to
    scaled_dot_product_attention captured at import time is seen like any other call: the profiler records
    every operator at the dispatcher's entry (composite ones included), a torch-function mode every call of
    a torch function (F.scaled_dot_product_attention under any name). The autograd profiler without kineto
    starts in milliseconds (torch.profiler.profile imports torch._dynamo on its first use with a Module)."""
    from torch.autograd.profiler import profile
    from torch.overrides import TorchFunctionMode

    class Calls(TorchFunctionMode):
        def __init__(self):
            super().__init__()
            self.names = set()

        def __torch_function__(self, func, types, args=(), kwargs=None):
            self.names.add(getattr(func, "__name__", str(func)))
            return func(*args, **(kwargs or {}))

    calls = Calls()
    with profile(use_kineto=False) as prof:
        with calls:
            result = fn()
    names = {e.name for e in prof.function_events} | calls.names
    return result, sorted(n for n in names if any(f in n for f in FUSED_ATTENTION))
