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
    x_flat = np.reshape(x, (x.shape[0], -1))
    out = np.einsum("nd,dm->nm", x_flat, W) + b[None, :]
    return out, (x_flat, x.shape, W)


def linear_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of the fully connected layer.

        dx = dout @ W^T  (reshaped back to x's shape),   dW = x_flat^T @ dout,   db = sum of dout over the batch

    Args:
        dout: (N, M).  cache: what linear_forward returned.
    Returns:
        (dx shaped like x, dW (D, M), db (M,)).
    """
    x_flat, x_shape, W = cache
    dx = np.einsum("nm,dm->nd", dout, W).reshape(x_shape)
    dW = np.einsum("nd,nm->dm", x_flat, dout)
    db = np.einsum("nm->m", dout)
    return dx, dW, db


def relu_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ReLU, elementwise: out = max(x, 0). Returns (out, cache); any shape."""
    positive = x > 0
    return np.where(positive, x, 0.0), positive


def relu_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """dx = dout where x > 0, else 0.

    At x == 0 exactly ReLU has no derivative; use 0 there, as PyTorch does (test inputs contain exact zeros).
    """
    return dout * cache


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
    N, C = logits.shape
    m = np.max(logits, axis=1, keepdims=True)
    e = np.exp(logits - m)
    s = np.sum(e, axis=1, keepdims=True)
    probs = e / s
    onehot = np.eye(C)[np.asarray(y, dtype=np.intp)]
    log_norm = m[:, 0] + np.log(s[:, 0])
    picked = np.einsum("nc,nc->n", logits, onehot)
    loss = np.sum(log_norm - picked) / N
    dlogits = (probs - onehot) / N
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
        if not train:
            inv = 1.0 / np.sqrt(self.running_var + self.eps)
            return (x - self.running_mean) * inv * self.gamma + self.beta
        N = x.shape[0]
        mu = np.sum(x, axis=0) / N
        xc = x - mu
        var = np.sum(xc * xc, axis=0) / N
        inv_std = 1.0 / np.sqrt(var + self.eps)
        x_hat = xc * inv_std
        self._cache = (xc, var, inv_std, x_hat)
        mom = self.momentum
        self.running_mean = self.running_mean + mom * (mu - self.running_mean)
        self.running_var = self.running_var + mom * (var * N / (N - 1) - self.running_var)
        return x_hat * self.gamma + self.beta

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Gradients through the last train-mode forward: returns dx (N, D), sets self.dgamma and self.dbeta.

        With g = dout * gamma (the gradient reaching x_hat) and means over the batch axis:
            dx = (g - mean(g) - x_hat * mean(g * x_hat)) / sqrt(var + eps)
            dgamma = sum(dout * x_hat),   dbeta = sum(dout)
        (mu and var depend on every row, which gives the two mean terms; derive it once on paper.)
        """
        # textbook chain rule through x_hat, var and mu (the computational graph, step by step)
        xc, var, inv_std, x_hat = self._cache
        N = dout.shape[0]
        self.dbeta = np.sum(dout, axis=0)
        self.dgamma = np.sum(dout * x_hat, axis=0)
        dx_hat = dout * self.gamma
        dvar = np.sum(dx_hat * xc, axis=0) * -0.5 * inv_std ** 3
        dmu = -np.sum(dx_hat, axis=0) * inv_std + dvar * (-2.0 / N) * np.sum(xc, axis=0)
        dx = dx_hat * inv_std + dvar * 2.0 * xc / N + dmu / N
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
    if (not train) or p == 0:
        return np.array(x, dtype=np.float64, copy=True), np.ones_like(x, dtype=np.float64)
    keep = rng.random(x.shape) >= p
    mask = np.where(keep, 1.0 / (1.0 - p), 0.0)
    return x * mask, mask


def dropout_backward(dout: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """dx = dout * mask, with the mask the forward pass used (never a fresh one)."""
    return np.multiply(dout, mask)


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
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W_ + 2 * pad - WW) // stride
    xp = np.zeros((N, C, H + 2 * pad, W_ + 2 * pad))
    xp[:, :, pad:pad + H, pad:pad + W_] = x
    out = np.empty((N, F, H_out, W_out))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                r = i * stride
                for j in range(W_out):
                    c0 = j * stride
                    out[n, f, i, j] = b[f] + np.einsum("cae,cae->", xp[n, :, r:r + HH, c0:c0 + WW], w[f])
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
    xp = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)], mode="constant")
    N, C = x.shape[:2]
    # windows[n, c, i, j, a, e] = xp[n, c, i*stride + a, j*stride + e]
    windows = sliding_window_view(xp, (hh, ww), axis=(2, 3))[:, :, ::stride, ::stride]
    Ho, Wo = windows.shape[2], windows.shape[3]
    return np.ascontiguousarray(windows.transpose(0, 2, 3, 1, 4, 5)).reshape(N * Ho * Wo, C * hh * ww)


def conv2d_forward_im2col(x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int = 1, pad: int = 0) -> np.ndarray:
    """The same convolution as conv2d_forward_naive, as one matrix product: im2col(x) @ w.reshape(F, -1).T + b.

    Must agree with the naive version to 1e-10 and be at least 10x faster than a loop over (n, f, i, j).
    Returns out (N, F, H', W') (reshape the (N*H'*W', F) product and move F to axis 1).
    """
    N = x.shape[0]
    F, C, HH, WW = w.shape
    Ho = (x.shape[2] + 2 * pad - HH) // stride + 1
    Wo = (x.shape[3] + 2 * pad - WW) // stride + 1
    cols = im2col(x, HH, WW, stride=stride, pad=pad)
    res = np.dot(cols, w.reshape(F, -1).T) + b
    return np.ascontiguousarray(np.moveaxis(res.reshape(N, Ho, Wo, F), 3, 1))


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
    # scan the pool*pool offsets in row-major order; a strict '>' keeps the first maximum on ties
    N, C, H, W_ = x.shape
    Ho = (H - pool) // stride + 1
    Wo = (W_ - pool) // stride + 1
    best = None
    arg = np.zeros((N, C, Ho, Wo), dtype=np.intp)
    for a in range(pool):
        for e in range(pool):
            cand = x[:, :, a:a + stride * (Ho - 1) + 1:stride, e:e + stride * (Wo - 1) + 1:stride]
            if best is None:
                best = cand.copy()
            else:
                better = cand > best
                best = np.where(better, cand, best)
                arg = np.where(better, a * pool + e, arg)
    return best, (x.shape, pool, stride, arg)


def maxpool2d_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """Route each dout[n, c, i, j] to the one input position that was the window's maximum; 0 elsewhere.

    Overlapping windows can pick the same input position: their gradients add up (np.add.at adds
    repeated indices; fancy-index `+=` silently keeps only one of them).

    Returns:
        dx (N, C, H, W).
    """
    shape, pool, stride, arg = cache
    Ho, Wo = arg.shape[2], arg.shape[3]
    dx = np.zeros(shape)
    for a in range(pool):
        for e in range(pool):
            # one offset: the strided slice touches distinct positions, so '+=' on the slice is safe
            dx[:, :, a:a + stride * (Ho - 1) + 1:stride, e:e + stride * (Wo - 1) + 1:stride] += \
                np.where(arg == a * pool + e, dout, 0.0)
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
        for k in range(len(self.params)):
            self.velocity[k] = self.momentum * self.velocity[k] + grads[k]
            self.params[k] -= self.lr * self.velocity[k]


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
        # PyTorch's own arrangement: step_size = lr / bc1, denom = sqrt(v) / sqrt(bc2) + eps
        beta1, beta2 = self.betas
        self.t = self.t + 1
        bias1 = 1.0 - beta1 ** self.t
        bias2 = 1.0 - beta2 ** self.t
        step_size = self.lr / bias1
        for k, g in enumerate(grads):
            self.m[k] = beta1 * self.m[k] + (1.0 - beta1) * g
            self.v[k] = beta2 * self.v[k] + (1.0 - beta2) * np.square(g)
            denom = np.sqrt(self.v[k]) / np.sqrt(bias2) + self.eps
            self.params[k] -= step_size * self.m[k] / denom


# ---------------------------------------------------------------------------------------------- a model and its loop
class MLP:
    """A fully connected classifier: Linear -> ReLU -> ... -> Linear, then softmax cross-entropy.

    sizes = (D, H1, ..., C) gives len(sizes) - 1 linear layers (sizes of length 4: a 3-layer net).
    params = [W1, b1, W2, b2, ...] with Wk (sizes[k-1], sizes[k]) drawn as normal * sqrt(2 / fan_in)
    (He initialization, good for ReLU) from np.random.default_rng(seed), and zero biases.
    """

    def __init__(self, sizes: tuple[int, ...] = (64, 100, 50, 10), seed: int = 0):
        self.sizes = tuple(int(s) for s in sizes)
        gen = np.random.default_rng(seed)
        params = []
        for k in range(1, len(self.sizes)):
            fan_in, fan_out = self.sizes[k - 1], self.sizes[k]
            params.append(gen.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_in, fan_out)))
            params.append(np.zeros(fan_out))
        self.params = params

    def forward(self, X: np.ndarray) -> tuple[np.ndarray, list]:
        """Class scores (N, C) and the list of layer caches (the backward pass needs them)."""
        n_layers = len(self.params) // 2
        caches = []
        a = X
        for k in range(n_layers):
            W, b = self.params[2 * k], self.params[2 * k + 1]
            a, lin = linear_forward(a, W, b)
            if k == n_layers - 1:
                caches.append((lin, None))
            else:
                a, rc = relu_forward(a)
                caches.append((lin, rc))
        return a, caches

    def loss(self, X: np.ndarray, y: np.ndarray) -> tuple[float, list[np.ndarray]]:
        """Mean softmax cross-entropy on (X, y) and its gradients, one per parameter, in the order of params."""
        scores, caches = self.forward(X)
        loss, dscores = softmax_cross_entropy(scores, y)
        grads = []
        d = dscores
        for lin, rc in reversed(caches):
            if rc is not None:
                d = relu_backward(d, rc)
            d, dW, db = linear_backward(d, lin)
            grads = [dW, db] + grads
        return loss, grads

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The highest-scoring class per row, (N,) integers."""
        return self.forward(X)[0].argmax(axis=1)


def fit(model: MLP, optimizer, X: np.ndarray, y: np.ndarray, epochs: int = 20, batch_size: int = 10,
        seed: int = 0) -> list[float]:
    """Minibatch training: each epoch visits every example once, in an order shuffled by
    np.random.default_rng(seed) (one generator for the whole run); one optimizer.step per minibatch.

    The optimizer must have been built on model.params. Returns the mean minibatch loss of each epoch.
    """
    gen = np.random.default_rng(seed)
    n = len(X)
    epoch_losses = []
    for epoch in range(epochs):
        order = np.arange(n)
        gen.shuffle(order)
        total, count = 0.0, 0
        start = 0
        while start < n:
            batch = order[start:start + batch_size]
            loss, grads = model.loss(X[batch], y[batch])
            optimizer.step(grads)
            total += loss
            count += 1
            start += batch_size
        epoch_losses.append(total / count)
    return epoch_losses
