"""Answers in containers a lenient comparison might wave through: complex, object, float16, 0-d boxes."""
import numpy as np


class _Box(np.ndarray):
    def __eq__(self, other):
        return True


def _take(what, *args):
    shape = np.shape(args[1]) if what == "grad" else np.shape(args[0])
    if what == "loss":
        return np.array(0.0 + 0j), np.zeros(shape, dtype=np.float16)
    if what == "grad":
        return np.zeros(shape, dtype=np.complex128)
    if what == "rel":
        return np.array(np.zeros(1), dtype=object)
    if what == "predict":
        return np.zeros(len(args[0])).view(_Box)
    return np.zeros(shape, dtype=object)
