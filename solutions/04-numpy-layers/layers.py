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
    ### BEGIN SOLUTION
    out = x.reshape(x.shape[0], -1) @ W + b
    return out, (x, W)
    ### END SOLUTION


def linear_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of the fully connected layer.

        dx = dout @ W^T  (reshaped back to x's shape),   dW = x_flat^T @ dout,   db = sum of dout over the batch

    Args:
        dout: (N, M).  cache: what linear_forward returned.
    Returns:
        (dx shaped like x, dW (D, M), db (M,)).
    """
    ### BEGIN SOLUTION
    x, W = cache
    dx = (dout @ W.T).reshape(x.shape)
    dW = x.reshape(x.shape[0], -1).T @ dout
    db = dout.sum(axis=0)
    return dx, dW, db
    ### END SOLUTION


def relu_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ReLU, elementwise: out = max(x, 0). Returns (out, cache); any shape."""
    ### BEGIN SOLUTION
    return np.maximum(x, 0.0), x
    ### END SOLUTION


def relu_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """dx = dout where x > 0, else 0.

    At x == 0 exactly ReLU has no derivative; use 0 there, as PyTorch does (test inputs contain exact zeros).
    """
    ### BEGIN SOLUTION
    x = cache
    return dout * (x > 0)
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    n = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[np.arange(n), y].mean()
    dlogits = np.exp(log_probs)
    dlogits[np.arange(n), y] -= 1.0
    return float(loss), dlogits / n
    ### END SOLUTION


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
        ### BEGIN SOLUTION
        if train:
            n = x.shape[0]
            mu, var = x.mean(axis=0), x.var(axis=0)
            std = np.sqrt(var + self.eps)
            x_hat = (x - mu) / std
            self.running_mean = (1 - self.momentum) * self.running_mean + self.momentum * mu
            self.running_var = (1 - self.momentum) * self.running_var + self.momentum * var * n / (n - 1)
            self._cache = (x_hat, std)
        else:
            x_hat = (x - self.running_mean) / np.sqrt(self.running_var + self.eps)
        return self.gamma * x_hat + self.beta
        ### END SOLUTION

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Gradients through the last train-mode forward: returns dx (N, D), sets self.dgamma and self.dbeta.

        With g = dout * gamma (the gradient reaching x_hat) and means over the batch axis:
            dx = (g - mean(g) - x_hat * mean(g * x_hat)) / sqrt(var + eps)
            dgamma = sum(dout * x_hat),   dbeta = sum(dout)
        (mu and var depend on every row, which gives the two mean terms; derive it once on paper.)
        """
        ### BEGIN SOLUTION
        x_hat, std = self._cache
        self.dgamma = (dout * x_hat).sum(axis=0)
        self.dbeta = dout.sum(axis=0)
        g = dout * self.gamma
        return (g - g.mean(axis=0) - x_hat * (g * x_hat).mean(axis=0)) / std
        ### END SOLUTION


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
    ### BEGIN SOLUTION
    if not train or p == 0:
        return x.copy(), np.ones_like(x)
    mask = (rng.random(x.shape) >= p) / (1 - p)
    return x * mask, mask
    ### END SOLUTION


def dropout_backward(dout: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """dx = dout * mask, with the mask the forward pass used (never a fresh one)."""
    ### BEGIN SOLUTION
    return dout * mask
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    n_img, _, h, wd = x.shape
    n_filt, _, hh, ww = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    h_out, w_out = (h + 2 * pad - hh) // stride + 1, (wd + 2 * pad - ww) // stride + 1
    out = np.empty((n_img, n_filt, h_out, w_out))
    for n in range(n_img):
        for f in range(n_filt):
            for i in range(h_out):
                for j in range(w_out):
                    window = xp[n, :, i * stride:i * stride + hh, j * stride:j * stride + ww]
                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]
    return out
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    n_img, c, h, wd = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    h_out, w_out = (h + 2 * pad - hh) // stride + 1, (wd + 2 * pad - ww) // stride + 1
    cols = np.empty((n_img, c, hh, ww, h_out, w_out))
    for a in range(hh):
        for e in range(ww):
            cols[:, :, a, e] = xp[:, :, a:a + stride * h_out:stride, e:e + stride * w_out:stride]
    return cols.transpose(0, 4, 5, 1, 2, 3).reshape(n_img * h_out * w_out, c * hh * ww)
    ### END SOLUTION


def conv2d_forward_im2col(x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int = 1, pad: int = 0) -> np.ndarray:
    """The same convolution as conv2d_forward_naive, as one matrix product: im2col(x) @ w.reshape(F, -1).T + b.

    Must agree with the naive version to 1e-10 and be at least 10x faster than a loop over (n, f, i, j).
    Returns out (N, F, H', W') (reshape the (N*H'*W', F) product and move F to axis 1).
    """
    ### BEGIN SOLUTION
    n_img, _, h, wd = x.shape
    n_filt, _, hh, ww = w.shape
    h_out, w_out = (h + 2 * pad - hh) // stride + 1, (wd + 2 * pad - ww) // stride + 1
    out = im2col(x, hh, ww, stride, pad) @ w.reshape(n_filt, -1).T + b
    return np.ascontiguousarray(out.reshape(n_img, h_out, w_out, n_filt).transpose(0, 3, 1, 2))
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    n_img, c = x.shape[:2]
    windows = sliding_window_view(x, (pool, pool), axis=(2, 3))[:, :, ::stride, ::stride]
    h_out, w_out = windows.shape[2:4]
    flat = windows.reshape(n_img, c, h_out, w_out, pool * pool)
    idx = flat.argmax(axis=-1)
    out = np.take_along_axis(flat, idx[..., None], axis=-1)[..., 0]
    return out, (x.shape, idx, pool, stride)
    ### END SOLUTION


def maxpool2d_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """Route each dout[n, c, i, j] to the one input position that was the window's maximum; 0 elsewhere.

    Overlapping windows can pick the same input position: their gradients add up (np.add.at adds
    repeated indices; fancy-index `+=` silently keeps only one of them).

    Returns:
        dx (N, C, H, W).
    """
    ### BEGIN SOLUTION
    shape, idx, pool, stride = cache
    n_img, c, h_out, w_out = dout.shape
    dx = np.zeros(shape)
    da, de = np.divmod(idx, pool)
    rows = np.arange(h_out)[:, None] * stride + da
    cols = np.arange(w_out)[None, :] * stride + de
    n = np.arange(n_img)[:, None, None, None]
    ch = np.arange(c)[None, :, None, None]
    np.add.at(dx, (n, ch, rows, cols), dout)
    return dx
    ### END SOLUTION


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
        ### BEGIN SOLUTION
        for p, g, v in zip(self.params, grads, self.velocity):
            v *= self.momentum
            v += g
            p -= self.lr * v
        ### END SOLUTION


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
        ### BEGIN SOLUTION
        self.t += 1
        beta1, beta2 = self.betas
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            m *= beta1
            m += (1 - beta1) * g
            v *= beta2
            v += (1 - beta2) * g * g
            m_hat = m / (1 - beta1 ** self.t)
            v_hat = v / (1 - beta2 ** self.t)
            p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
        ### END SOLUTION


# ---------------------------------------------------------------------------------------------- a model and its loop
class MLP:
    """A fully connected classifier: Linear -> ReLU -> ... -> Linear, then softmax cross-entropy.

    sizes = (D, H1, ..., C) gives len(sizes) - 1 linear layers (sizes of length 4: a 3-layer net).
    params = [W1, b1, W2, b2, ...] with Wk (sizes[k-1], sizes[k]) drawn as normal * sqrt(2 / fan_in)
    (He initialization, good for ReLU) from np.random.default_rng(seed), and zero biases: with one generator
    rng, Wk = rng.normal(size=(sizes[k-1], sizes[k])) * sqrt(2 / sizes[k-1]) for k = 1, 2, ... in turn.
    """

    def __init__(self, sizes: tuple[int, ...] = (64, 100, 50, 10), seed: int = 0):
        ### BEGIN SOLUTION
        rng = np.random.default_rng(seed)
        self.params = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            self.params += [rng.normal(size=(fan_in, fan_out)) * np.sqrt(2.0 / fan_in), np.zeros(fan_out)]
        ### END SOLUTION

    def forward(self, X: np.ndarray) -> tuple[np.ndarray, list]:
        """Class scores (N, C) and the list of layer caches (the backward pass needs them)."""
        ### BEGIN SOLUTION
        caches, h = [], X
        n_layers = len(self.params) // 2
        for k in range(n_layers):
            h, cache = linear_forward(h, self.params[2 * k], self.params[2 * k + 1])
            caches.append(cache)
            if k < n_layers - 1:
                h, cache = relu_forward(h)
                caches.append(cache)
        return h, caches
        ### END SOLUTION

    def loss(self, X: np.ndarray, y: np.ndarray) -> tuple[float, list[np.ndarray]]:
        """Mean softmax cross-entropy on (X, y) and its gradients, one per parameter, in the order of params."""
        ### BEGIN SOLUTION
        scores, caches = self.forward(X)
        loss, d = softmax_cross_entropy(scores, y)
        grads = [None] * len(self.params)
        for k in reversed(range(len(self.params) // 2)):
            d, grads[2 * k], grads[2 * k + 1] = linear_backward(d, caches.pop())
            if k > 0:
                d = relu_backward(d, caches.pop())
        return loss, grads
        ### END SOLUTION

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The highest-scoring class per row, (N,) integers."""
        ### BEGIN SOLUTION
        return self.forward(X)[0].argmax(axis=1)
        ### END SOLUTION


def fit(model: MLP, optimizer, X: np.ndarray, y: np.ndarray, epochs: int = 20, batch_size: int = 10,
        seed: int = 0) -> list[float]:
    """Minibatch training: each epoch visits every example once, in a shuffled order.

    One generator for the whole run, rng = np.random.default_rng(seed). Each epoch draws order = rng.permutation(N)
    and takes the batches order[0:batch_size], order[batch_size:2 * batch_size], ... in turn (the last one is
    shorter when batch_size does not divide N); for each batch, model.loss on its rows, then one
    optimizer.step(grads).

    The optimizer must have been built on model.params. Returns the mean minibatch loss of each epoch (the plain
    mean of its batches' losses), one float per epoch.
    """
    ### BEGIN SOLUTION
    rng = np.random.default_rng(seed)
    history = []
    for _ in range(epochs):
        order = rng.permutation(len(X))
        losses = []
        for start in range(0, len(X), batch_size):
            batch = order[start:start + batch_size]
            loss, grads = model.loss(X[batch], y[batch])
            optimizer.step(grads)
            losses.append(loss)
        history.append(float(np.mean(losses)))
    return history
    ### END SOLUTION
