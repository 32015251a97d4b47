"""Lab 07 part B: text representation.

1. A byte-level byte-pair-encoding (BPE) tokenizer, the kind GPT-2 and its successors use: it starts
   from the 256 byte values, so any string can be encoded (a character never seen in training falls
   back to its UTF-8 bytes), and it learns merges of frequent adjacent pairs to shorten sequences.
2. Two representations of short documents for classification: TF-IDF vectors with a linear model, and
   a small learned embedding (nn.Embedding, mean pooling over the words, an MLP head), compared on the
   same test documents with a paired test.
"""
from __future__ import annotations

from collections import Counter
from itertools import islice

from sklearn.feature_extraction.text import TfidfVectorizer

import numpy as np
import torch
from scipy.stats import binomtest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted
from torch import nn


def pydoc_corpus() -> str:
    """The Python documentation topics shipped with the standard library (~465k characters), in a
    stable order (sorted keys), joined by blank lines. Train on a slice: pure-Python BPE is slow."""
    from pydoc_data.topics import topics

    return "\n\n".join(topics[key] for key in sorted(topics))


# ---------------------------------------------------------------------------------------------- BPE
def get_pair_counts(ids: list[int]) -> dict[tuple[int, int], int]:
    """How often each adjacent pair (ids[i], ids[i+1]) occurs, overlapping occurrences included:
    [7, 7, 7] holds the pair (7, 7) twice. Returns {pair: count}."""
    return dict(Counter(zip(ids, islice(ids, 1, None))))


def merge_pair(ids: list[int], pair: tuple[int, int], new_id: int) -> list[int]:
    """Replace every occurrence of `pair` in ids by new_id, scanning left to right without overlaps:
    merge_pair([7, 7, 7], (7, 7), 300) == [300, 7]. Returns a new list; ids is not changed."""
    first, second = pair
    result = []
    i = 0
    while i < len(ids):
        if ids[i] == first and i + 1 < len(ids) and ids[i + 1] == second:
            result.append(new_id)
            i += 2
            continue
        result.append(ids[i])
        i += 1
    return result


class BPETokenizer:
    """Byte-level BPE. Token ids 0..255 are the bytes; merge number i creates id 256 + i.

    BPETokenizer(merges) rebuilds a tokenizer from its merge list: merges[i] = (a, b) means that
    id 256 + i stands for the bytes of a followed by the bytes of b.
    Attributes: merges (list of (int, int) tuples, in the order learned),
                vocab (dict id -> bytes, for all 256 + len(merges) ids).
    """

    def __init__(self, merges=()):
        self.merges = [tuple(int(t) for t in m) for m in merges]
        vocab = [bytes([i]) for i in range(256)]
        for a, b in self.merges:
            vocab.append(vocab[a] + vocab[b])
        self.vocab = dict(enumerate(vocab))

    @classmethod
    def train(cls, text: str, vocab_size: int) -> "BPETokenizer":
        """Learn vocab_size - 256 merges from text, treated as one sequence of UTF-8 bytes.

        Repeat: count the adjacent pairs of the current sequence (get_pair_counts); pick the most
        frequent pair; TIES go to the smallest pair, comparing (a, b) as tuples of ids (so (32, 116)
        beats (101, 32) at equal counts); append it to the merges and replace it everywhere
        (merge_pair) with the next new id. Stop early when the sequence has no pair left.
        Returns a new BPETokenizer.
        """
        ids = list(text.encode("utf-8"))
        merges = []
        n_merges = vocab_size - 256
        next_id = 256
        while next_id - 256 < n_merges and len(ids) > 1:
            counts = get_pair_counts(ids)
            pair = max(counts, key=lambda p: (counts[p], -p[0], -p[1]))
            merges.append(pair)
            ids = merge_pair(ids, pair, next_id)
            next_id += 1
        return cls(merges)

    def encode(self, text: str) -> list[int]:
        """Token ids of text: start from its UTF-8 bytes, then apply merges in the order they were
        learned. Efficiently: while some adjacent pair has a merge, merge (everywhere) the pair whose
        merge was learned FIRST. Applying a later merge before an earlier one gives other tokens than
        training produced, and longer sequences. Returns a list of ints."""
        rank = {}
        for i, p in enumerate(self.merges):
            if p not in rank:
                rank[p] = i
        ids = list(text.encode("utf-8"))
        while len(ids) > 1:
            pairs = get_pair_counts(ids)
            pair = min(pairs, key=lambda p: rank.get(p, float("inf")))
            if pair not in rank:
                break
            ids = merge_pair(ids, pair, 256 + rank[pair])
        return ids

    def decode(self, ids) -> str:
        """The text of token ids: join their bytes and decode as UTF-8 (errors="replace", since an
        arbitrary id sequence may cut a multi-byte character). decode(encode(s)) == s for every str s."""
        data = b"".join(map(self.vocab.__getitem__, (int(i) for i in ids)))
        return data.decode("utf-8", errors="replace")


def compression_ratio(tokenizer: BPETokenizer, text: str) -> float:
    """UTF-8 bytes per token: len(text.encode("utf-8")) / len(tokenizer.encode(text)) (1.0 with no merges)."""
    return len(text.encode("utf-8")) / max(1, len(tokenizer.encode(text)))


# ----------------------------------------------------------------------- a templated text task
def make_review_task(n: int, seed: int) -> tuple[list[str], np.ndarray]:
    """n short reviews generated from templates, with labels 1 = positive, 0 = negative.

    A review praises or blames with one opinion word, and may negate it ("was not great"); the label
    is the opinion word's polarity, flipped by the negation. Fillers and topics carry no signal.
    """
    rng = np.random.default_rng(seed)
    topics = ["the film", "this phone", "the hotel", "our dinner", "the lecture", "my flight", "the concert",
              "this book", "the service", "the update"]
    fillers = ["really", "quite", "very", "truly", "rather", "so", "honestly", "pretty"]
    tails = ["overall", "to be honest", "i think", "for the price", "this time", "as expected", "again"]
    good = ["good", "great", "lovely", "excellent", "pleasant", "superb"]
    bad = ["bad", "awful", "poor", "boring", "terrible", "dull"]
    docs, labels = [], []
    for _ in range(n):
        positive, negated = rng.random() < 0.5, rng.random() < 0.5
        word = rng.choice(good if positive else bad)
        parts = [rng.choice(topics), "was", "not" if negated else "", rng.choice(fillers), word]
        if rng.random() < 0.6:
            parts.append(rng.choice(tails))
        docs.append(" ".join(p for p in parts if p))
        labels.append(int(positive != negated))
    return docs, np.array(labels, dtype=np.int64)


def tokenize(doc: str) -> list[str]:
    """Words of a document: lower-cased, split on whitespace."""
    return doc.lower().split()


# ---------------------------------------------------------------------------------------------- TF-IDF
class TfIdf(TransformerMixin, BaseEstimator):
    """TF-IDF vectors of documents, as TfidfVectorizer(tokenizer=str.split, lowercase=True,
    token_pattern=None) computes them with its defaults (smooth_idf=True, norm="l2").

    fit(docs):  vocabulary_ = {word: column}, the distinct words of tokenize(doc) in sorted order;
                idf_[w] = ln((1 + n) / (1 + df(w))) + 1, n documents, df(w) = documents containing w.
    transform(docs): x[i, w] = count of w in doc i * idf_[w], then each row divided by its L2 norm
                (an all-zero row stays zero). Words not in vocabulary_ are ignored.
    Output: (N, V) float64 dense array.
    """

    def fit(self, docs, y=None) -> "TfIdf":
        self._vectorizer = TfidfVectorizer(tokenizer=str.split, lowercase=True, token_pattern=None)
        self._vectorizer.fit(list(docs))
        self.vocabulary_ = {w: int(i) for w, i in sorted(self._vectorizer.vocabulary_.items())}
        self.idf_ = np.asarray(self._vectorizer.idf_, dtype=np.float64)
        return self

    def transform(self, docs) -> np.ndarray:
        check_is_fitted(self, "vocabulary_")
        return np.asarray(self._vectorizer.transform(list(docs)).toarray(), dtype=np.float64)


# ---------------------------------------------------------------------------- learned embedding
def build_vocab(docs) -> dict[str, int]:
    """Word ids for the embedding: {"<pad>": 0, "<unk>": 1}, then the distinct words of
    tokenize(doc) over docs in sorted order, from id 2."""
    words = sorted({w for doc in docs for w in tokenize(doc)} - {"<pad>", "<unk>"})
    return {"<pad>": 0, "<unk>": 1, **{w: i for i, w in enumerate(words, start=2)}}


def encode_docs(docs, vocab: dict[str, int], max_len: int | None = None) -> torch.Tensor:
    """(N, T) int64 tensor of word ids: unknown words -> 1, each row cut to max_len and right-padded
    with 0. T = max_len, or the longest document's length when max_len is None (at least 1)."""
    seqs = [torch.tensor([vocab.get(w, 1) for w in tokenize(d)], dtype=torch.int64) for d in docs]
    if max_len is not None:
        seqs = [s[:max_len] for s in seqs]
        width = max_len
    else:
        width = max([1] + [len(s) for s in seqs])
    out = torch.zeros((len(seqs), width), dtype=torch.int64)
    if seqs:
        padded = nn.utils.rnn.pad_sequence(seqs + [torch.zeros(width, dtype=torch.int64)], batch_first=True)
        out[:] = padded[:-1, :width]
    return out


class MeanEmbeddingClassifier(nn.Module):
    """Embedding -> mean over the real (non-padding) words -> MLP head -> class logits.

    Layers, with these attribute names (tests copy weights into them):
        self.embedding = nn.Embedding(vocab_size, dim, padding_idx=0)
        self.head = nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(), nn.Linear(hidden, n_classes))
    forward(ids): ids (B, T) int64 with 0 = padding  ->  logits (B, n_classes).
        pooled[b] = sum over t with ids[b, t] != 0 of embedding(ids[b, t]) / max(1, number of such t)
    Padding must not count: the same document padded to another length gives the same logits.
    Mean pooling forgets word order, like a bag of words; the hidden layer is what lets the model
    combine words (a negation with an opinion word), which a linear model on word counts cannot.
    """

    def __init__(self, vocab_size: int, dim: int = 16, hidden: int = 32, n_classes: int = 2):
        super().__init__()
        self.embedding = nn.Embedding(num_embeddings=vocab_size, embedding_dim=dim, padding_idx=0)
        layers = [nn.Linear(dim, hidden), nn.ReLU(), nn.Linear(hidden, n_classes)]
        self.head = nn.Sequential(*layers)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        real = (ids != 0).unsqueeze(-1)
        vectors = torch.where(real, self.embedding(ids), torch.zeros((), dtype=self.embedding.weight.dtype))
        n_real = real.sum(dim=1).clamp_min(1).to(vectors.dtype)
        return self.head(vectors.sum(dim=1) / n_real)


def train_embedding_classifier(docs, y, dim: int = 16, hidden: int = 32, steps: int = 100, lr: float = 0.05,
                               seed: int = 0) -> tuple[MeanEmbeddingClassifier, dict[str, int]]:
    """Fit a MeanEmbeddingClassifier on (docs, y) and return (model in eval mode, vocab).

    vocab = build_vocab(docs); ids = encode_docs(docs, vocab); torch.manual_seed(seed) right before
    building the model (so the same seed gives the same model); `steps` full-batch steps of Adam(lr)
    on the cross-entropy loss. Budget: a few hundred steps on 2,000 short documents take ~1 s.
    """
    vocab = build_vocab(docs)
    ids = encode_docs(docs, vocab)
    y = torch.from_numpy(np.asarray(y).astype(np.int64).reshape(-1))
    n_classes = max(2, int(y.max()) + 1) if y.numel() > 0 else 2
    torch.manual_seed(seed)
    model = MeanEmbeddingClassifier(len(vocab), dim=dim, hidden=hidden, n_classes=n_classes)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    for step in range(steps):
        optimizer.zero_grad(set_to_none=True)
        nn.functional.cross_entropy(model(ids), y).backward()
        optimizer.step()
    model.train(False)
    return model, vocab


def mcnemar_exact(y_true, pred_a, pred_b) -> float:
    """Two-sided exact McNemar test of "A and B are equally accurate" on the same examples.

    Only the discordant examples count: b = A right and B wrong, c = A wrong and B right. Under the
    null each discordant example is a fair coin, so p = binomtest(b, b + c, 0.5).pvalue (two-sided);
    p = 1.0 when b + c == 0. Returns p as a Python float.
    """
    truth = np.asarray(y_true).reshape(-1)
    a_ok = np.equal(np.asarray(pred_a).reshape(-1), truth)
    b_ok = np.equal(np.asarray(pred_b).reshape(-1), truth)
    n01 = int(np.count_nonzero(a_ok & ~b_ok))
    n10 = int(np.count_nonzero(~a_ok & b_ok))
    if n01 + n10 == 0:
        return 1.0
    return float(binomtest(n10, n01 + n10, p=0.5, alternative="two-sided").pvalue)


def compare_representations(train_docs, y_train, test_docs, y_test, seed: int = 0, alpha: float = 1e-3) -> dict:
    """Train both representations on the training documents, predict the test documents, and decide.

    TF-IDF: TfIdf fitted on the training documents, then LogisticRegression(C=10.0, max_iter=1000).
    Embedding: train_embedding_classifier(train_docs, y_train, seed=seed) with its defaults; predict
    the argmax of the logits of encode_docs(test_docs, vocab).
    Returns a dict:
        "pred_tfidf", "pred_embedding": (N_test,) int64 arrays of predicted labels,
        "acc_tfidf", "acc_embedding": accuracies (floats),
        "p_value": mcnemar_exact(y_test, pred_tfidf, pred_embedding),
        "winner": "tfidf" or "embedding" (the more accurate one) when p_value < alpha, else "tie".
    """
    truth = np.asarray(y_test).reshape(-1)
    rep = TfIdf().fit(train_docs)
    linear = LogisticRegression(C=10.0, max_iter=1000).fit(rep.transform(train_docs), np.asarray(y_train).reshape(-1))
    pred_tfidf = np.asarray(linear.predict(rep.transform(test_docs)), dtype=np.int64)
    net, vocab = train_embedding_classifier(train_docs, y_train, seed=seed)
    with torch.inference_mode():
        pred_embedding = torch.argmax(net(encode_docs(test_docs, vocab)), dim=1).numpy().astype(np.int64)
    out = {
        "pred_tfidf": pred_tfidf,
        "pred_embedding": pred_embedding,
        "acc_tfidf": float(np.mean(pred_tfidf == truth)),
        "acc_embedding": float(np.mean(pred_embedding == truth)),
    }
    out["p_value"] = mcnemar_exact(truth, pred_tfidf, pred_embedding)
    if out["p_value"] >= alpha:
        out["winner"] = "tie"
    elif out["acc_tfidf"] > out["acc_embedding"]:
        out["winner"] = "tfidf"
    else:
        out["winner"] = "embedding"
    return out
