"""Lab 04: neural-network layers and optimizers in NumPy, the pieces every framework hides.

Conventions (the same as PyTorch's, so that you can check yourself against it):
- Arrays are float64. A batch is the first axis: x (N, D) for vectors, x (N, C, H, W) for images.
- A layer is a pair of functions: `*_forward(...) -> (out, cache)` and `*_backward(dout, cache)`, where
  dout = dLoss/dout has the shape of out and the backward returns dLoss/d(each input) in the same shapes.
  The cache holds whatever the backward needs; its content is yours to choose.
- Nothing modifies its inputs, except the optimizers, which update the parameter arrays in place.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


# ---------------------------------------------------------------------------------------------- dense layers
def linear_forward(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, tuple]:
    """Fully connected layer: out = x_flat @ W + b.

    x may carry extra axes after the batch axis (an image batch (N, C, H, W) feeding a dense layer); they
    are flattened in C order, x_flat = x.reshape(N, D).

    Args:
        x: (N, d1, ..., dk) with d1 * ... * dk = D.  W: (D, M).  b: (M,).
    Returns:
        out (N, M), and the cache for linear_backward.
    """
    N = x.shape[0]
    x_flat = x.reshape(N, -1)
    out = x_flat @ W + b
    cache = (x, W)
    return out, cache


def linear_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of the fully connected layer.

        dx = dout @ W^T  (reshaped back to x's shape),   dW = x_flat^T @ dout,   db = sum of dout over the batch

    Args:
        dout: (N, M).  cache: what linear_forward returned.
    Returns:
        (dx shaped like x, dW (D, M), db (M,)).
    """
    x, W = cache
    N = x.shape[0]
    x_flat = x.reshape(N, -1)
    dx = (dout @ W.T).reshape(x.shape)
    dW = x_flat.T @ dout
    db = dout.sum(axis=0)
    return dx, dW, db


def relu_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ReLU, elementwise: out = max(x, 0). Returns (out, cache); any shape."""
    out = np.maximum(x, 0.0)
    return out, x.copy()


def relu_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """dx = dout where x > 0, else 0.

    At x == 0 exactly ReLU has no derivative; use 0 there, as PyTorch does (test inputs contain exact zeros).
    """
    x = cache
    return np.where(x > 0, dout, 0.0)


def softmax_cross_entropy(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of softmax(logits) against integer labels, and its gradient.

        log p[i, c] = logits[i, c] - logsumexp(logits[i, :])
        loss        = -(1/N) * sum_i log p[i, y_i]
        dlogits     = (softmax(logits) - onehot(y)) / N

    Numerical advice: subtract each row's maximum before exp (logits of 1000 must give a finite loss).

    Args:
        logits: (N, C) scores.  y: (N,) integers in [0, C).
    Returns:
        (loss as a Python float, dlogits (N, C)).
    """
    logits = np.asarray(logits, dtype=np.float64)
    y = np.asarray(y).astype(np.int64)
    N = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)
    lse = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    logp = shifted - lse
    loss = -logp[np.arange(N), y].mean()
    dlogits = np.exp(logp)
    dlogits[np.arange(N), y] -= 1.0
    dlogits /= N
    return float(loss), dlogits


# ---------------------------------------------------------------------------------------------- batch norm
class BatchNorm1d:
    """Batch normalization over the batch axis of an (N, D) input, with PyTorch's conventions.

    Train mode (forward(x, train=True)), with the batch mean mu and the biased batch variance var (divide by N):
        x_hat = (x - mu) / sqrt(var + eps),   out = gamma * x_hat + beta
        running_mean <- (1 - momentum) * running_mean + momentum * mu
        running_var  <- (1 - momentum) * running_var  + momentum * var * N / (N - 1)     (unbiased, as PyTorch)
    Eval mode (train=False) uses the running statistics instead of the batch's and updates nothing:
        out = gamma * (x - running_mean) / sqrt(running_var + eps) + beta

    Attributes:
        gamma (D,) ones, beta (D,) zeros, running_mean (D,) zeros, running_var (D,) ones at the start;
        dgamma, dbeta (D,): set by backward.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1):
        self.eps = eps
        self.momentum = momentum
        self.gamma = np.ones(num_features)
        self.beta = np.zeros(num_features)
        self.running_mean = np.zeros(num_features)
        self.running_var = np.ones(num_features)
        self.dgamma = None
        self.dbeta = None
        self._cache = None

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        """Normalize x (N, D); train mode also updates the running statistics. Returns out (N, D)."""
        x = np.asarray(x, dtype=np.float64)
        if train:
            N = x.shape[0]
            mu = x.mean(axis=0)
            var = x.var(axis=0)
            std = np.sqrt(var + self.eps)
            x_hat = (x - mu) / std
            out = self.gamma * x_hat + self.beta
            m = self.momentum
            self.running_mean = (1 - m) * self.running_mean + m * mu
            self.running_var = (1 - m) * self.running_var + m * var * N / (N - 1)
            self._cache = (x_hat, std, self.gamma.copy())
            return out
        return self.gamma * (x - self.running_mean) / np.sqrt(self.running_var + self.eps) + self.beta

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Gradients through the last train-mode forward: returns dx (N, D), sets self.dgamma and self.dbeta.

        With g = dout * gamma (the gradient reaching x_hat) and means over the batch axis:
            dx = (g - mean(g) - x_hat * mean(g * x_hat)) / sqrt(var + eps)
            dgamma = sum(dout * x_hat),   dbeta = sum(dout)
        (mu and var depend on every row, which gives the two mean terms; derive it once on paper.)
        """
        x_hat, std, gamma = self._cache
        self.dbeta = dout.sum(axis=0)
        self.dgamma = (dout * x_hat).sum(axis=0)
        g = dout * gamma
        dx = (g - g.mean(axis=0) - x_hat * (g * x_hat).mean(axis=0)) / std
        return dx


# ---------------------------------------------------------------------------------------------- dropout
def dropout_forward(x: np.ndarray, p: float, train: bool, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Inverted dropout: drop each entry with probability p, scale the survivors by 1 / (1 - p).

    Scaling at train time keeps E[out] = x, so that eval needs no change at all (eval is the identity).
    Draw the randomness with exactly one call, keep = rng.random(x.shape) >= p, so that a seeded rng gives
    the same mask as the reference.

    Args:
        x: any shape.  p: drop probability, 0 <= p < 1.  train: False means eval.  rng: a numpy Generator
        (eval and p == 0 must not draw from it).
    Returns:
        (out, mask) where mask is the array dropout_backward multiplies by: keep / (1 - p) in train mode,
        ones in eval mode.
    """
    if not train or p == 0:
        mask = np.ones(x.shape, dtype=np.float64)
        return x * mask, mask
    keep = rng.random(x.shape) >= p
    mask = keep / (1.0 - p)
    return x * mask, mask


def dropout_backward(dout: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """dx = dout * mask, with the mask the forward pass used (never a fresh one)."""
    return dout * mask


# ---------------------------------------------------------------------------------------------- convolution
def conv2d_forward_naive(x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int = 1, pad: int = 0) -> np.ndarray:
    """2-D convolution as deep-learning frameworks define it (a cross-correlation: the kernel is NOT flipped).

        out[n, f, i, j] = b[f] + sum_{c, a, e} x_pad[n, c, i * stride + a, j * stride + e] * w[f, c, a, e]

    x_pad is x with `pad` zeros on each side of H and W. Output size: H' = (H + 2 pad - HH) // stride + 1,
    and the same for W'. Write it with plain loops over n, f, i, j (a window sum inside is fine): it is
    the reference your fast version is checked against, so make it obviously right rather than fast.

    Args:
        x: (N, C, H, W).  w: (F, C, HH, WW).  b: (F,).  stride, pad: ints.
    Returns:
        out (N, F, H', W').
    """
    N, C, H, W_ = x.shape
    F, _, HH, WW = w.shape
    Ho = (H + 2 * pad - HH) // stride + 1
    Wo = (W_ + 2 * pad - WW) // stride + 1
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((N, F, Ho, Wo))
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    win = x_pad[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
                    out[n, f, i, j] = np.sum(win * w[f]) + b[f]
    return out


def im2col(x: np.ndarray, hh: int, ww: int, stride: int = 1, pad: int = 0) -> np.ndarray:
    """Unfold every receptive field of x into one row, so that convolution becomes one matrix product.

    Row (n, i, j) (in that C order) holds x_pad[n, :, i*stride : i*stride+hh, j*stride : j*stride+ww]
    flattened in (c, a, e) order, the same order as w.reshape(F, -1).

    Advice: loop over the hh * ww kernel offsets (a few iterations), never over output positions; each
    offset (a, e) is one strided slice x_pad[:, :, a : a + stride*H' : stride, e : e + stride*W' : stride].

    Args:
        x: (N, C, H, W).  hh, ww: kernel size.
    Returns:
        cols (N * H' * W', C * hh * ww).
    """
    N, C, H, W_ = x.shape
    Ho = (H + 2 * pad - hh) // stride + 1
    Wo = (W_ + 2 * pad - ww) // stride + 1
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    cols = np.empty((N, C, hh, ww, Ho, Wo), dtype=x_pad.dtype)
    for a in range(hh):
        for e in range(ww):
            cols[:, :, a, e] = x_pad[:, :, a:a + stride * Ho:stride, e:e + stride * Wo:stride]
    # (N, C, hh, ww, Ho, Wo) -> (N, Ho, Wo, C, hh, ww)
    return cols.transpose(0, 4, 5, 1, 2, 3).reshape(N * Ho * Wo, C * hh * ww)


def conv2d_forward_im2col(x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int = 1, pad: int = 0) -> np.ndarray:
    """The same convolution as conv2d_forward_naive, as one matrix product: im2col(x) @ w.reshape(F, -1).T + b.

    Must agree with the naive version to 1e-10 and be at least 10x faster than a loop over (n, f, i, j).
    Returns out (N, F, H', W') (reshape the (N*H'*W', F) product and move F to axis 1).
    """
    N, C, H, W_ = x.shape
    F, _, HH, WW = w.shape
    Ho = (H + 2 * pad - HH) // stride + 1
    Wo = (W_ + 2 * pad - WW) // stride + 1
    cols = im2col(x, HH, WW, stride, pad)
    out = cols @ w.reshape(F, -1).T + b
    return out.reshape(N, Ho, Wo, F).transpose(0, 3, 1, 2).copy()


# ---------------------------------------------------------------------------------------------- max pooling
def maxpool2d_forward(x: np.ndarray, pool: int = 2, stride: int = 2) -> tuple[np.ndarray, tuple]:
    """Max pooling over pool x pool windows moved by `stride` (windows may overlap when stride < pool).

        out[n, c, i, j] = max_{a, e < pool} x[n, c, i * stride + a, j * stride + e]
        H' = (H - pool) // stride + 1, the same for W'; no padding.

    Remember where each maximum was: the backward pass needs it. When a window holds several equal
    maxima, pick the first in row-major order (what np.argmax does, and what PyTorch does).

    Args:
        x: (N, C, H, W).
    Returns:
        out (N, C, H', W'), and the cache for maxpool2d_backward.
    """
    N, C, H, W_ = x.shape
    Ho = (H - pool) // stride + 1
    Wo = (W_ - pool) // stride + 1
    win = sliding_window_view(x, (pool, pool), axis=(2, 3))[:, :, ::stride, ::stride][:, :, :Ho, :Wo]
    flat = win.reshape(N, C, Ho, Wo, pool * pool)
    arg = flat.argmax(axis=-1)
    out = np.take_along_axis(flat, arg[..., None], axis=-1)[..., 0]
    cache = (x.shape, arg, pool, stride)
    return out, cache


def maxpool2d_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """Route each dout[n, c, i, j] to the one input position that was the window's maximum; 0 elsewhere.

    Overlapping windows can pick the same input position: their gradients add up (np.add.at adds
    repeated indices; fancy-index `+=` silently keeps only one of them).

    Returns:
        dx (N, C, H, W).
    """
    shape, arg, pool, stride = cache
    N, C, H, W_ = shape
    Ho, Wo = arg.shape[2:]
    a, e = np.divmod(arg, pool)
    rows = np.arange(Ho)[None, None, :, None] * stride + a
    colsi = np.arange(Wo)[None, None, None, :] * stride + e
    nn = np.broadcast_to(np.arange(N)[:, None, None, None], arg.shape)
    cc = np.broadcast_to(np.arange(C)[None, :, None, None], arg.shape)
    dx = np.zeros(shape, dtype=np.float64)
    np.add.at(dx, (nn, cc, rows, colsi), dout)
    return dx


# ---------------------------------------------------------------------------------------------- optimizers
class SGDMomentum:
    """Stochastic gradient descent with momentum, as torch.optim.SGD(momentum=...) (no dampening, no Nesterov).

    For each parameter p with gradient g and velocity v (zeros at the start):
        v <- momentum * v + g
        p <- p - lr * v
    The parameter arrays are updated IN PLACE (p -= ..., or p[...] = ...): a model holds the same arrays.

    Attributes:
        params: list of parameter arrays.  velocity: list of arrays shaped like params.
    """

    def __init__(self, params: list[np.ndarray], lr: float = 0.01, momentum: float = 0.9):
        self.params = list(params)
        self.lr = lr
        self.momentum = momentum
        self.velocity = [np.zeros_like(p) for p in self.params]

    def step(self, grads: list[np.ndarray]) -> None:
        """One update of every parameter; grads[k] is the gradient of params[k]."""
        for p, g, v in zip(self.params, grads, self.velocity):
            v *= self.momentum
            v += g
            p -= self.lr * v


class Adam:
    """Adam, as torch.optim.Adam (no weight decay, no amsgrad).

    Each step first increments t (so the first step uses t = 1), then for each parameter p with gradient g:
        m <- beta1 * m + (1 - beta1) * g
        v <- beta2 * v + (1 - beta2) * g * g
        m_hat = m / (1 - beta1 ** t),   v_hat = v / (1 - beta2 ** t)         (bias correction)
        p <- p - lr * m_hat / (sqrt(v_hat) + eps)
    Parameters are updated IN PLACE.

    Attributes:
        params: list of arrays.  m, v: lists of arrays shaped like params (zeros at the start).  t: int, 0.
    """

    def __init__(self, params: list[np.ndarray], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8):
        self.params = list(params)
        self.lr = lr
        self.betas = betas
        self.eps = eps
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]
        self.t = 0

    def step(self, grads: list[np.ndarray]) -> None:
        """One update of every parameter; grads[k] is the gradient of params[k]."""
        self.t += 1
        b1, b2 = self.betas
        bc1 = 1 - b1 ** self.t
        bc2 = 1 - b2 ** self.t
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            m_hat = m / bc1
            v_hat = v / bc2
            p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


# ---------------------------------------------------------------------------------------------- a model and its loop
class MLP:
    """A fully connected classifier: Linear -> ReLU -> ... -> Linear, then softmax cross-entropy.

    sizes = (D, H1, ..., C) gives len(sizes) - 1 linear layers (sizes of length 4: a 3-layer net).
    params = [W1, b1, W2, b2, ...] with Wk (sizes[k-1], sizes[k]) drawn as normal * sqrt(2 / fan_in)
    (He initialization, good for ReLU) from np.random.default_rng(seed), and zero biases.
    """

    def __init__(self, sizes: tuple[int, ...] = (64, 100, 50, 10), seed: int = 0):
        self.sizes = tuple(sizes)
        rng = np.random.default_rng(seed)
        self.params = []
        for fan_in, fan_out in zip(self.sizes[:-1], self.sizes[1:]):
            W = rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)
            self.params += [W, np.zeros(fan_out)]

    def forward(self, X: np.ndarray) -> tuple[np.ndarray, list]:
        """Class scores (N, C) and the list of layer caches (the backward pass needs them)."""
        L = len(self.params) // 2
        caches = []
        h = X
        for k in range(L):
            h, c = linear_forward(h, self.params[2 * k], self.params[2 * k + 1])
            caches.append(c)
            if k < L - 1:
                h, c = relu_forward(h)
                caches.append(c)
        return h, caches

    def loss(self, X: np.ndarray, y: np.ndarray) -> tuple[float, list[np.ndarray]]:
        """Mean softmax cross-entropy on (X, y) and its gradients, one per parameter, in the order of params."""
        scores, caches = self.forward(X)
        loss, d = softmax_cross_entropy(scores, y)
        L = len(self.params) // 2
        grads = [None] * len(self.params)
        for k in reversed(range(L)):
            if k < L - 1:
                d = relu_backward(d, caches[2 * k + 1])
            d, dW, db = linear_backward(d, caches[2 * k])
            grads[2 * k], grads[2 * k + 1] = dW, db
        return loss, grads

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The highest-scoring class per row, (N,) integers."""
        scores, _ = self.forward(X)
        return np.argmax(scores, axis=1)


def fit(model: MLP, optimizer, X: np.ndarray, y: np.ndarray, epochs: int = 20, batch_size: int = 10,
        seed: int = 0) -> list[float]:
    """Minibatch training: each epoch visits every example once, in an order shuffled by
    np.random.default_rng(seed) (one generator for the whole run); one optimizer.step per minibatch.

    The optimizer must have been built on model.params. Returns the mean minibatch loss of each epoch.
    """
    rng = np.random.default_rng(seed)
    N = X.shape[0]
    history = []
    for _ in range(epochs):
        order = rng.permutation(N)
        losses = []
        for start in range(0, N, batch_size):
            idx = order[start:start + batch_size]
            loss, grads = model.loss(X[idx], y[idx])
            optimizer.step(grads)
            losses.append(loss)
        history.append(float(np.mean(losses)))
    return history
