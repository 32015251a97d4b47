# targets: q2
# labkit-answers: solution
# A right answer, except that the attention is PyTorch's fused kernel, captured under another name at import
# (a swapped module attribute would not see it): q2 forbids it, by the answer's text and by the operators run.
from torch.nn.functional import scaled_dot_product_attention as _fast_attention


def _forward(self, x):
    B, T, C = x.shape
    q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
    q, k, v = (z.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for z in (q, k, v))
    y = _fast_attention(q, k, v, is_causal=True).transpose(1, 2).contiguous().view(B, T, C)
    return self.resid_dropout(self.c_proj(y))


CausalSelfAttention.forward = _forward
