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
    D = W.shape[0]
    x_flat = np.ascontiguousarray(x).reshape(N, D)
    out = np.tensordot(x_flat, W, axes=([1], [0])) + b
    cache = (x.shape, x_flat.copy(), W.copy())
    return out, cache


def linear_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of the fully connected layer.

        dx = dout @ W^T  (reshaped back to x's shape),   dW = x_flat^T @ dout,   db = sum of dout over the batch

    Args:
        dout: (N, M).  cache: what linear_forward returned.
    Returns:
        (dx shaped like x, dW (D, M), db (M,)).
    """
    x_shape, x_flat, W = cache
    N = dout.shape[0]
    dx = np.matmul(dout, W.T).reshape(x_shape)
    dW = np.matmul(x_flat.T, dout)
    db = np.ones(N) @ dout
    return dx, dW, db


def relu_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ReLU, elementwise: out = max(x, 0). Returns (out, cache); any shape."""
    out = x.copy()
    out[out < 0] = 0.0
    out[out == 0] = 0.0  # no negative zeros
    return out, x.copy()


def relu_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """dx = dout where x > 0, else 0.

    At x == 0 exactly ReLU has no derivative; use 0 there, as PyTorch does (test inputs contain exact zeros).
    """
    dx = np.array(dout, dtype=np.float64, copy=True)
    dx[cache <= 0] = 0.0
    return dx


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
    labels = np.asarray(y).astype(int)
    N = logits.shape[0]
    z = logits - np.max(logits, axis=1)[:, None]
    expz = np.exp(z)
    sumexp = expz.sum(axis=1)
    logp_true = np.take_along_axis(z, labels[:, None], axis=1)[:, 0] - np.log(sumexp)
    loss = -np.sum(logp_true) / N
    grad = expz / sumexp[:, None]
    for i in range(N):
        grad[i, labels[i]] -= 1.0
    return float(loss), grad / N


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
            mean = x.mean(axis=0)
            var_b = ((x - mean) ** 2).mean(axis=0)
            var_u = x.var(axis=0, ddof=1) if N > 1 else var_b * N / (N - 1)
            istd = 1.0 / np.sqrt(var_b + self.eps)
            xh = (x - mean) * istd
            self.running_mean = (1.0 - self.momentum) * self.running_mean + self.momentum * mean
            self.running_var = (1.0 - self.momentum) * self.running_var + self.momentum * var_u
            self._cache = {"x_hat": xh, "istd": istd}
            return self.gamma * xh + self.beta
        xh = (x - self.running_mean) / np.sqrt(self.running_var + self.eps)
        return self.gamma * xh + self.beta

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Gradients through the last train-mode forward: returns dx (N, D), sets self.dgamma and self.dbeta.

        With g = dout * gamma (the gradient reaching x_hat) and means over the batch axis:
            dx = (g - mean(g) - x_hat * mean(g * x_hat)) / sqrt(var + eps)
            dgamma = sum(dout * x_hat),   dbeta = sum(dout)
        (mu and var depend on every row, which gives the two mean terms; derive it once on paper.)
        """
        xh = self._cache["x_hat"]
        istd = self._cache["istd"]
        N = dout.shape[0]
        self.dgamma = np.sum(dout * xh, axis=0)
        self.dbeta = np.sum(dout, axis=0)
        g = dout * self.gamma
        # compact form: dx = istd / N * (N g - sum(g) - x_hat * sum(g * x_hat))
        dx = (istd / N) * (N * g - g.sum(axis=0) - xh * (g * xh).sum(axis=0))
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
    x = np.asarray(x, dtype=np.float64)
    if train and p > 0:
        keep = rng.random(x.shape) >= p
        scale = 1.0 / (1.0 - p)
        mask = keep.astype(np.float64) * scale
        out = np.where(keep, x * scale, 0.0)
        return out, mask
    return x.copy(), np.ones(x.shape)


def dropout_backward(dout: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """dx = dout * mask, with the mask the forward pass used (never a fresh one)."""
    return np.asarray(dout, dtype=np.float64) * np.asarray(mask, dtype=np.float64)


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
    F, C2, HH, WW = w.shape
    assert C == C2
    Hp, Wp = H + 2 * pad, W_ + 2 * pad
    Ho = (Hp - HH) // stride + 1
    Wo = (Wp - WW) // stride + 1
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant", constant_values=0.0)
    out = np.zeros((N, F, Ho, Wo))
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    acc = b[f]
                    patch = xp[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
                    acc += (patch.ravel() * w[f].ravel()).sum()
                    out[n, f, i, j] = acc
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
    # one output position at a time (still a single BLAS product afterwards)
    N, C, H, W_ = x.shape
    Ho = (H + 2 * pad - hh) // stride + 1
    Wo = (W_ + 2 * pad - ww) // stride + 1
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    cols = np.zeros((N, Ho, Wo, C * hh * ww))
    for i in range(Ho):
        for j in range(Wo):
            cols[:, i, j, :] = xp[:, :, i * stride:i * stride + hh, j * stride:j * stride + ww].reshape(N, -1)
    return cols.reshape(-1, C * hh * ww)


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
    prod = np.matmul(cols, w.reshape(F, -1).T) + b.reshape(1, F)
    out = np.empty((N, F, Ho, Wo))
    out[...] = prod.reshape(N, Ho * Wo, F).transpose(0, 2, 1).reshape(N, F, Ho, Wo)
    return out


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
    out = np.empty((N, C, Ho, Wo))
    argidx = np.empty((N, C, Ho, Wo), dtype=np.int64)
    for i in range(Ho):
        for j in range(Wo):
            win = x[:, :, i * stride:i * stride + pool, j * stride:j * stride + pool].reshape(N, C, pool * pool)
            k = np.argmax(win, axis=2)
            argidx[:, :, i, j] = k
            out[:, :, i, j] = np.take_along_axis(win, k[:, :, None], axis=2)[:, :, 0]
    return out, (x.shape, pool, stride, argidx)


def maxpool2d_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """Route each dout[n, c, i, j] to the one input position that was the window's maximum; 0 elsewhere.

    Overlapping windows can pick the same input position: their gradients add up (np.add.at adds
    repeated indices; fancy-index `+=` silently keeps only one of them).

    Returns:
        dx (N, C, H, W).
    """
    (N, C, H, W_), pool, stride, argidx = cache
    Ho, Wo = argidx.shape[2:]
    dx = np.zeros((N, C, H, W_))
    slots = np.arange(pool * pool)
    for i in range(Ho):
        for j in range(Wo):
            onehot = (slots[None, None, :] == argidx[:, :, i, j][:, :, None]) * dout[:, :, i, j][:, :, None]
            dx[:, :, i * stride:i * stride + pool, j * stride:j * stride + pool] += onehot.reshape(N, C, pool, pool)
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
        mu, lr = self.momentum, self.lr
        new_velocity = []
        for p, g, v in zip(self.params, grads, self.velocity):
            v_new = mu * v + g
            p[...] = p - lr * v_new
            new_velocity.append(v_new)
        self.velocity = new_velocity


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
        beta1, beta2 = self.betas
        for k in range(len(self.params)):
            g = np.asarray(grads[k], dtype=np.float64)
            m = beta1 * self.m[k] + (1 - beta1) * g
            v = beta2 * self.v[k] + (1 - beta2) * (g ** 2)
            self.m[k], self.v[k] = m, v
            m_hat = m / (1 - beta1 ** self.t)
            v_hat = v / (1 - beta2 ** self.t)
            update = self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
            p = self.params[k]
            p[...] = p - update


# ---------------------------------------------------------------------------------------------- a model and its loop
class MLP:
    """A fully connected classifier: Linear -> ReLU -> ... -> Linear, then softmax cross-entropy.

    sizes = (D, H1, ..., C) gives len(sizes) - 1 linear layers (sizes of length 4: a 3-layer net).
    params = [W1, b1, W2, b2, ...] with Wk (sizes[k-1], sizes[k]) drawn as normal * sqrt(2 / fan_in)
    (He initialization, good for ReLU) from np.random.default_rng(seed), and zero biases.
    """

    def __init__(self, sizes: tuple[int, ...] = (64, 100, 50, 10), seed: int = 0):
        rng = np.random.default_rng(seed)
        self.sizes = list(sizes)
        self.params = []
        for k in range(len(sizes) - 1):
            std = np.sqrt(2.0 / sizes[k])
            W = rng.normal(size=(sizes[k], sizes[k + 1])) * std
            b = np.zeros(sizes[k + 1])
            self.params.extend([W, b])

    def forward(self, X: np.ndarray) -> tuple[np.ndarray, list]:
        """Class scores (N, C) and the list of layer caches (the backward pass needs them)."""
        caches = []
        h = np.asarray(X, dtype=np.float64)
        n_lin = len(self.params) // 2
        for k in range(n_lin):
            h, lc = linear_forward(h, self.params[2 * k], self.params[2 * k + 1])
            caches.append(("linear", lc))
            if k != n_lin - 1:
                h, rc = relu_forward(h)
                caches.append(("relu", rc))
        return h, caches

    def loss(self, X: np.ndarray, y: np.ndarray) -> tuple[float, list[np.ndarray]]:
        """Mean softmax cross-entropy on (X, y) and its gradients, one per parameter, in the order of params."""
        scores, caches = self.forward(X)
        loss, d = softmax_cross_entropy(scores, y)
        grads_rev = []
        for kind, c in caches[::-1]:
            if kind == "relu":
                d = relu_backward(d, c)
            else:
                d, dW, db = linear_backward(d, c)
                grads_rev.extend([db, dW])
        return loss, grads_rev[::-1]

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The highest-scoring class per row, (N,) integers."""
        scores, _ = self.forward(X)
        return np.argmax(scores, axis=-1).astype(np.int64)


def fit(model: MLP, optimizer, X: np.ndarray, y: np.ndarray, epochs: int = 20, batch_size: int = 10,
        seed: int = 0) -> list[float]:
    """Minibatch training: each epoch visits every example once, in an order shuffled by
    np.random.default_rng(seed) (one generator for the whole run); one optimizer.step per minibatch.

    The optimizer must have been built on model.params. Returns the mean minibatch loss of each epoch.
    """
    rng = np.random.default_rng(seed)
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    N = X.shape[0]
    n_batches = (N + batch_size - 1) // batch_size
    out = []
    for epoch in range(epochs):
        perm = rng.permutation(N)
        batch_losses = np.zeros(n_batches)
        for k in range(n_batches):
            sel = perm[k * batch_size:(k + 1) * batch_size]
            loss, grads = model.loss(X[sel], y[sel])
            optimizer.step(grads)
            batch_losses[k] = loss
        out.append(float(batch_losses.mean()))
    return out
