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
    return dict(Counter(zip(ids, ids[1:])))


def merge_pair(ids: list[int], pair: tuple[int, int], new_id: int) -> list[int]:
    """Replace every occurrence of `pair` in ids by new_id, scanning left to right without overlaps:
    merge_pair([7, 7, 7], (7, 7), 300) == [300, 7]. Returns a new list; ids is not changed."""
    out: list[int] = []
    skip = False
    for i, tok in enumerate(ids):
        if skip:
            skip = False
            continue
        if i + 1 < len(ids) and tok == pair[0] and ids[i + 1] == pair[1]:
            out.append(new_id)
            skip = True
        else:
            out.append(tok)
    return out


class BPETokenizer:
    """Byte-level BPE. Token ids 0..255 are the bytes; merge number i creates id 256 + i.

    BPETokenizer(merges) rebuilds a tokenizer from its merge list: merges[i] = (a, b) means that
    id 256 + i stands for the bytes of a followed by the bytes of b.
    Attributes: merges (list of (int, int) tuples, in the order learned),
                vocab (dict id -> bytes, for all 256 + len(merges) ids).
    """

    def __init__(self, merges=()):
        self.merges = []
        self.vocab = {i: bytes([i]) for i in range(256)}
        for a, b in merges:
            a, b = int(a), int(b)
            self.vocab[256 + len(self.merges)] = self.vocab[a] + self.vocab[b]
            self.merges.append((a, b))

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
        merges: list[tuple[int, int]] = []
        while len(merges) < vocab_size - 256:
            counts = get_pair_counts(ids)
            if not counts:
                break
            best = max(counts.values())
            pair = min(p for p, c in counts.items() if c == best)
            ids = merge_pair(ids, pair, 256 + len(merges))
            merges.append(pair)
        return cls(merges)

    def encode(self, text: str) -> list[int]:
        """Token ids of text: start from its UTF-8 bytes, then apply merges in the order they were
        learned. Efficiently: while some adjacent pair has a merge, merge (everywhere) the pair whose
        merge was learned FIRST. Applying a later merge before an earlier one gives other tokens than
        training produced, and longer sequences. Returns a list of ints."""
        # Applying the merges one after the other in learned order is the same as repeatedly merging the
        # earliest-learned pair present: a merge only creates pairs that involve its new id, whose own merges
        # (if any) were learned later.
        ids = list(text.encode("utf-8"))
        for i, pair in enumerate(self.merges):
            if len(ids) < 2:
                break
            if pair in set(zip(ids, ids[1:])):
                ids = merge_pair(ids, pair, 256 + i)
        return ids

    def decode(self, ids) -> str:
        """The text of token ids: join their bytes and decode as UTF-8 (errors="replace", since an
        arbitrary id sequence may cut a multi-byte character). decode(encode(s)) == s for every str s."""
        buf = bytearray()
        for i in ids:
            buf.extend(self.vocab[int(i)])
        return bytes(buf).decode("utf-8", errors="replace")


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
        docs = list(docs)
        df = Counter()
        for d in docs:
            df.update(set(tokenize(d)))
        self.vocabulary_ = {w: i for i, w in enumerate(sorted(df))}
        n = len(docs)
        dfs = np.array([df[w] for w in sorted(df)], dtype=np.float64)
        self.idf_ = np.log(1.0 + n) - np.log(1.0 + dfs) + 1.0
        return self

    def transform(self, docs) -> np.ndarray:
        check_is_fitted(self, "idf_")
        docs = list(docs)
        X = np.zeros((len(docs), len(self.vocabulary_)), dtype=np.float64)
        for i, d in enumerate(docs):
            for w, c in Counter(tokenize(d)).items():
                if w in self.vocabulary_:
                    j = self.vocabulary_[w]
                    X[i, j] = c * self.idf_[j]
        norms = np.linalg.norm(X, axis=1)
        nz = norms > 0
        X[nz] /= norms[nz, None]
        return X


# ---------------------------------------------------------------------------- learned embedding
def build_vocab(docs) -> dict[str, int]:
    """Word ids for the embedding: {"<pad>": 0, "<unk>": 1}, then the distinct words of
    tokenize(doc) over docs in sorted order, from id 2."""
    words = set()
    for d in docs:
        words.update(tokenize(d))
    words.discard("<pad>")
    words.discard("<unk>")
    vocab = {"<pad>": 0, "<unk>": 1}
    vocab.update({w: i + 2 for i, w in enumerate(sorted(words))})
    return vocab


def encode_docs(docs, vocab: dict[str, int], max_len: int | None = None) -> torch.Tensor:
    """(N, T) int64 tensor of word ids: unknown words -> 1, each row cut to max_len and right-padded
    with 0. T = max_len, or the longest document's length when max_len is None (at least 1)."""
    rows = [[vocab.get(w, 1) for w in tokenize(d)] for d in docs]
    if max_len is None:
        T = max([1] + [len(r) for r in rows])
    else:
        T = int(max_len)
    padded = [r[:T] + [0] * (T - len(r[:T])) for r in rows]
    return torch.tensor(padded, dtype=torch.int64).reshape(len(rows), T)


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
        self.embedding = nn.Embedding(vocab_size, dim, padding_idx=0)
        self.head = nn.Sequential(
            nn.Linear(dim, hidden),
            nn.ReLU(),
            nn.Linear(hidden, n_classes),
        )

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        mask = (ids != 0).to(self.embedding.weight.dtype)  # (B, T)
        summed = torch.einsum("bt,btd->bd", mask, self.embedding(ids))
        counts = torch.clamp(mask.sum(dim=1, keepdim=True), min=1.0)
        return self.head(summed / counts)


def train_embedding_classifier(docs, y, dim: int = 16, hidden: int = 32, steps: int = 100, lr: float = 0.05,
                               seed: int = 0) -> tuple[MeanEmbeddingClassifier, dict[str, int]]:
    """Fit a MeanEmbeddingClassifier on (docs, y) and return (model in eval mode, vocab).

    vocab = build_vocab(docs); ids = encode_docs(docs, vocab); torch.manual_seed(seed) right before
    building the model (so the same seed gives the same model); `steps` full-batch steps of Adam(lr)
    on the cross-entropy loss. Budget: a few hundred steps on 2,000 short documents take ~1 s.
    """
    vocab = build_vocab(docs)
    ids = encode_docs(docs, vocab)
    labels = torch.tensor(np.asarray(y, dtype=np.int64).ravel())
    n_classes = max(2, int(labels.max().item()) + 1) if labels.numel() else 2
    torch.manual_seed(seed)
    model = MeanEmbeddingClassifier(len(vocab), dim, hidden, n_classes)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(steps):
        logits = model(ids)
        loss = loss_fn(logits, labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.eval(), vocab


def mcnemar_exact(y_true, pred_a, pred_b) -> float:
    """Two-sided exact McNemar test of "A and B are equally accurate" on the same examples.

    Only the discordant examples count: b = A right and B wrong, c = A wrong and B right. Under the
    null each discordant example is a fair coin, so p = binomtest(b, b + c, 0.5).pvalue (two-sided);
    p = 1.0 when b + c == 0. Returns p as a Python float.
    """
    from scipy.stats import binom

    y_true = list(np.asarray(y_true).ravel())
    b = c = 0
    for t, pa, pb in zip(y_true, np.asarray(pred_a).ravel(), np.asarray(pred_b).ravel()):
        if pa == t and pb != t:
            b += 1
        elif pa != t and pb == t:
            c += 1
    n = b + c
    if n == 0:
        return 1.0
    return float(min(1.0, 2.0 * binom.cdf(min(b, c), n, 0.5)))


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
    y_test = np.asarray(y_test).ravel()
    vec = TfIdf()
    X_train = vec.fit_transform(train_docs)
    X_test = vec.transform(test_docs)
    lr_model = LogisticRegression(C=10.0, max_iter=1000)
    lr_model.fit(X_train, np.asarray(y_train).ravel())
    pred_tfidf = lr_model.predict(X_test).astype(np.int64)

    model, vocab = train_embedding_classifier(train_docs, y_train, seed=seed)
    model.eval()
    with torch.no_grad():
        pred_embedding = model(encode_docs(test_docs, vocab)).argmax(dim=-1).cpu().numpy().astype(np.int64)

    acc_tfidf = float((pred_tfidf == y_test).mean())
    acc_embedding = float((pred_embedding == y_test).mean())
    p = mcnemar_exact(y_test, pred_tfidf, pred_embedding)
    winner = "tie"
    if p < alpha:
        winner = "embedding" if acc_embedding > acc_tfidf else "tfidf"
    return dict(pred_tfidf=pred_tfidf, pred_embedding=pred_embedding, acc_tfidf=acc_tfidf,
                acc_embedding=acc_embedding, p_value=p, winner=winner)
