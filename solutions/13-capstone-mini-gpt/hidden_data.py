"""Hidden evaluation data for lab 13, made in the grader's process (autograder.hidden_data).

The pre-train / fine-tune test evaluates on text a learner can load (pydoc_data.topics, scikit-learn's DESCR
texts). Here both are resampled with a seed that stays in this file: topics in a shuffled order with a random
set of topics held out as the corpus's validation text, the dataset descriptions cut into paragraphs, shuffled,
and split 80 / 20 into fine-tuning and held-out text. Texts travel as arrays of Unicode code points (uint32).
"""
import numpy as np

SEED = 0x6E7_13  # never copied into a grading job
DESCR_DATASETS = ("iris", "wine", "breast_cancer", "diabetes", "digits", "linnerud")


def _codes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).copy()


def finetune_texts():
    """pretrain (~420k characters of topics), corpus_val (~40k, other topics), finetune (~80 % of the
    description paragraphs) and held_out (the other paragraphs), each as code points."""
    from pydoc_data.topics import topics
    from sklearn import datasets

    rng = np.random.default_rng(SEED)
    keys = sorted(topics)
    order = rng.permutation(len(keys))
    val_keys, size = [], 0
    for i in order:  # topics for the validation text, in the shuffled order, until ~40k characters
        if size >= 40_000:
            break
        val_keys.append(keys[i])
        size += len(topics[keys[i]])
    val = set(val_keys)
    pretrain = "".join(topics[keys[i]] for i in order if keys[i] not in val)
    corpus_val = "".join(topics[k] for k in val_keys)

    paragraphs = []
    for name in DESCR_DATASETS:
        text = getattr(datasets, f"load_{name}")().DESCR.replace("`", "'")
        paragraphs += [p + "\n\n" for p in text.split("\n\n") if p.strip()]
    paragraphs = [paragraphs[i] for i in rng.permutation(len(paragraphs))]
    total, cut, acc = sum(map(len, paragraphs)), 0, 0
    while acc < 0.8 * total:
        acc += len(paragraphs[cut])
        cut += 1
    finetune, held_out = "".join(paragraphs[:cut]), "".join(paragraphs[cut:])
    inputs = {"pretrain": _codes(pretrain), "corpus_val": _codes(corpus_val), "finetune": _codes(finetune),
              "held_out": _codes(held_out)}
    return inputs, {}
