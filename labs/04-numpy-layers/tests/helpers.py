"""Helpers shared by lab 04's public tests and the hidden tests of grading (both `import helpers`).

Nothing here is an answer: a deterministic input generator, the loop convolution that the speed test times
your im2col version against, the timing itself, and an optimizer that only watches what `fit` hands it.
Each test passes its own shapes and seeds.
"""
import time

import numpy as np


def lin(shape, lo=-1.0, hi=1.0):
    """Deterministic input in the CS231n style: evenly spaced values from lo to hi, reshaped."""
    return np.linspace(lo, hi, int(np.prod(shape))).reshape(shape)


def loop_conv(x, w, b, stride, pad):
    """The baseline of the speed check: a plain loop over (n, f, i, j), written here so that how fast the
    learner's own naive version is does not matter."""
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    (n_img, _, h, wd), (n_filt, _, hh, ww) = x.shape, w.shape
    out = np.empty((n_img, n_filt, (h + 2 * pad - hh) // stride + 1, (wd + 2 * pad - ww) // stride + 1))
    for n, f, i, j in np.ndindex(out.shape):
        out[n, f, i, j] = np.sum(xp[n, :, i * stride:i * stride + hh, j * stride:j * stride + ww] * w[f]) + b[f]
    return out


def conv_speedup(conv, x, w, b, stride, pad, repeats=5):
    """(best loop_conv time / best time of conv(x, w, b, stride=, pad=), conv's last output).

    Interleaved, best of `repeats`: load on a busy machine hits both sides alike, so the ratio is stable
    where seconds are not."""
    loop_times, fast_times = [], []
    out = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        loop_conv(x, w, b, stride, pad)
        t1 = time.perf_counter()
        out = conv(x, w, b, stride=stride, pad=pad)
        t2 = time.perf_counter()
        loop_times.append(t1 - t0)
        fast_times.append(t2 - t1)
    return min(loop_times) / max(min(fast_times), 1e-9), out


class Recorder:
    """An optimizer that changes nothing and keeps the gradients fit hands it, one list of copies per step.

    The model never changes, so what it saw depends only on which rows formed each batch."""

    def __init__(self, params):
        self.params = params
        self.seen = []

    def step(self, grads):
        self.seen.append([np.array(g, dtype=np.float64) for g in grads])
