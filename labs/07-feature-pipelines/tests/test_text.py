"""Public tests for lab 07 part B (text.py). Run them with `labkit check 07`.

Oracles: hand-worked BPE examples, a plain re-application of the learned merges one after another,
collections.Counter, scikit-learn's TfidfVectorizer, numpy for the embedding model, scipy's binomtest.
Hidden tests at grading train on another slice of the corpus and use other strings and documents.

Tolerances: token ids, merges and strings are exact; float64 values (TF-IDF, logits) agree to ~1e-15 between
correct implementations, so 1e-10 leaves room for another summation order and catches any formula slip.
"""
from collections import Counter

import numpy as np
import torch
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import binomtest
from sklearn.feature_extraction.text import TfidfVectorizer

import helpers  # tests/helpers.py: shared with the hidden tests of grading
from helpers import pydoc_corpus


def sequential_encode(text, merges):
    """The definition of encoding: apply every merge, in the order learned, to the whole byte sequence."""
    ids = list(text.encode("utf-8"))
    for new_id, (a, b) in enumerate(merges, start=256):
        out, i = [], 0
        while i < len(ids):
            if i + 1 < len(ids) and ids[i] == a and ids[i + 1] == b:
                out.append(new_id)
                i += 2
            else:
                out.append(ids[i])
                i += 1
        ids = out
    return ids


def review_task(n, seed):
    """Templated reviews: the label is the opinion word's polarity, flipped by "not"."""
    rng = np.random.default_rng(seed)
    topics = ["the film", "this phone", "the hotel", "our dinner", "the lecture", "my flight"]
    fillers = ["really", "quite", "very", "truly", "rather", "so"]
    good, bad = ["good", "great", "lovely", "excellent"], ["bad", "awful", "poor", "boring"]
    docs, labels = [], []
    for _ in range(n):
        positive, negated = rng.random() < 0.5, rng.random() < 0.5
        words = [rng.choice(topics), "was", "not" if negated else "", rng.choice(fillers),
                 rng.choice(good if positive else bad)]
        docs.append(" ".join(w for w in words if w))
        labels.append(int(positive != negated))
    return docs, np.array(labels)


# --- q8: byte-pair encoding -------------------------------------------------------------------------------------
def test_bpe_pair_counts_and_merge(answers, verdict):
    t = answers.text
    counts = t.get_pair_counts([1, 2, 2, 2, 3, 1, 2])
    pairs = sorted(counts)
    verdict.equal("pairs", pairs, expected=[(1, 2), (2, 2), (2, 3), (3, 1)])
    verdict.equal("counts", [counts[p] for p in pairs], expected=[2, 2, 1, 1])  # (2, 2) overlaps: counted twice
    ids = [7, 7, 7, 1, 7, 7]
    verdict.equal("merged", t.merge_pair(ids, (7, 7), 300), expected=[300, 7, 1, 300])  # left to right, no overlap
    assert ids == [7, 7, 7, 1, 7, 7], "merge_pair changed its input list"


def test_bpe_decode_cut_character(answers, verdict):
    tok = answers.text.BPETokenizer([])
    # an id sequence may end in the middle of a multi-byte character: errors="replace" gives U+FFFD, not an exception
    verdict.equal("cut 'é'", tok.decode([99, 97, 102, 195]), expected="caf\ufffd")


def test_bpe_train_hand_example(answers, verdict):
    # 'aaabdaaabac': 'aa' occurs 4 times -> 256; then (256,'a') and ('a','b') both occur twice: the tie goes to
    # the smaller tuple (97, 98) -> 257; then (256, 257) -> 258; then four pairs occur once: (97, 99) is smallest
    tok = answers.text.BPETokenizer.train("aaabdaaabac", 260)
    verdict.equal("merges", [list(m) for m in tok.merges], expected=[[97, 97], [97, 98], [256, 257], [97, 99]])
    verdict.equal("encode", tok.encode("aaabdaaabac"), expected=[258, 100, 258, 259])
    verdict.equal("vocab[258]", list(tok.vocab[258]), expected=list(b"aaab"))


def test_bpe_first_merge_is_the_most_frequent_pair(answers, verdict):
    text = pydoc_corpus()[:4000]
    data = text.encode("utf-8")
    counts = Counter(zip(data, data[1:]))
    best = min(counts, key=lambda p: (-counts[p], p))
    tok = answers.text.BPETokenizer.train(text, 270)
    assert len(tok.merges) == 14, f"vocab_size 270 means 14 merges, got {len(tok.merges)}"
    verdict.equal("first merge", list(tok.merges[0]), expected=list(best))
    for i, (a, b) in enumerate(tok.merges):
        assert tok.vocab[256 + i] == tok.vocab[a] + tok.vocab[b], f"vocab[{256 + i}] is not vocab[a] + vocab[b]"


def test_bpe_encode_applies_merges_in_learned_order(answers, verdict):
    # 'bc' was learned first: 'abc' must become [97, 256]; applying the later merge 'ab' first gives [257, 99]
    tok = answers.text.BPETokenizer([(98, 99), (97, 98)])
    verdict.equal("abc", tok.encode("abc"), expected=[97, 256])
    verdict.equal("xabcab", tok.encode("xabcab"), expected=[120, 97, 256, 257])


def test_bpe_encode_equals_sequential_merges_on_pydoc(answers, verdict):
    corpus = pydoc_corpus()
    tok = answers.text.BPETokenizer.train(corpus[:5000], 300)
    sample = corpus[100_000:104_000]
    ids = tok.encode(sample)
    verdict.equal("ids", list(ids), expected=sequential_encode(sample, tok.merges))
    ratio = len(sample.encode("utf-8")) / len(ids)
    assert 1.3 < ratio < 1.6, f"{ratio:.3f} bytes per token; 44 merges learned on 5k characters give ~1.4"


PROPERTY = helpers.property_settings(30)
# code points drawn directly (hypothesis' st.text first builds a unicode table, ~3 s): mostly ASCII so that merges
# apply, plus anything up to U+10FFFF except surrogates, which no UTF-8 string can hold
CHARS = st.one_of(st.integers(32, 126), st.integers(0, 0x10FFFF)).filter(lambda c: not 0xD800 <= c <= 0xDFFF).map(chr)
STRINGS = st.lists(CHARS, max_size=40).map("".join)


def test_bpe_decode_encode_round_trip(answers, verdict):
    tok = answers.text.BPETokenizer.train(pydoc_corpus()[:3000], 290)
    inputs, outputs = [], []

    @PROPERTY
    @given(STRINGS)
    def run(s):
        back = tok.decode(tok.encode(s))
        assert back == s, f"decode(encode({s!r})) gave {back!r}: characters unseen in training need the byte fallback"
        inputs.append(s)
        outputs.append(back)

    run()
    for s in ["naïve café", "東京 🚀", "tab\tnew\nline", ""]:
        inputs.append(s)
        outputs.append(tok.decode(tok.encode(s)))
    verdict.equal("round trips", "\x00".join(outputs), expected="\x00".join(inputs))


# --- q9: TF-IDF ---------------------------------------------------------------------------------------------------
def test_tfidf_matches_sklearn(answers, verdict):
    docs, _ = review_task(200, 0)
    new = ["The film was wonderful", "unknown words only", "not not not good"]
    ours = answers.text.TfIdf().fit(docs[:150])
    sk = TfidfVectorizer(tokenizer=str.split, lowercase=True, token_pattern=None).fit(docs[:150])
    assert list(ours.vocabulary_) and sorted(ours.vocabulary_, key=ours.vocabulary_.get) == list(
        sk.get_feature_names_out()), "vocabulary_ must map the sorted words to columns 0, 1, ..."
    verdict.close("idf_", ours.idf_, expected=sk.idf_, rtol=1e-12)
    verdict.close("transform", ours.transform(docs[150:] + new), expected=sk.transform(docs[150:] + new).toarray(),
                  rtol=1e-10, atol=1e-12)


# --- q10: learned embedding, and a paired comparison ---------------------------------------------------------------
def test_embed_vocab_and_encoding(answers, verdict):
    t = answers.text
    vocab = t.build_vocab(["the cat sat", "The dog"])
    words = ["<pad>", "<unk>", "cat", "dog", "sat", "the"]
    verdict.equal("ids of the words", [vocab.get(w, -1) for w in words], expected=[0, 1, 2, 3, 4, 5])
    assert len(vocab) == 6, f"vocab has {len(vocab)} entries, expected 6: {vocab}"
    ids = t.encode_docs(["the bird sat", "dog"], vocab)
    verdict.equal("ids", ids, expected=torch.tensor([[5, 1, 4], [3, 0, 0]]))
    verdict.equal("max_len", t.encode_docs(["the bird sat", "dog"], vocab, max_len=2), expected=torch.tensor([[5, 1], [3, 0]]))


def oracle_logits(emb, W1, b1, W2, b2, ids):
    mask = ids != 0
    pooled = (emb[ids] * mask[..., None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), 1)
    return np.maximum(pooled @ W1.T + b1, 0) @ W2.T + b2


def copy_weights(model, rng, vocab_size, dim, hidden, n_classes):
    emb = rng.normal(size=(vocab_size, dim))
    emb[0] = 0.0  # the padding row, as nn.Embedding(padding_idx=0) keeps it
    W1, b1 = rng.normal(size=(hidden, dim)), rng.normal(size=hidden)
    W2, b2 = rng.normal(size=(n_classes, hidden)), rng.normal(size=n_classes)
    with torch.no_grad():
        model.embedding.weight.copy_(torch.from_numpy(emb))
        model.head[0].weight.copy_(torch.from_numpy(W1))
        model.head[0].bias.copy_(torch.from_numpy(b1))
        model.head[2].weight.copy_(torch.from_numpy(W2))
        model.head[2].bias.copy_(torch.from_numpy(b2))
    return emb, W1, b1, W2, b2


def test_embed_mean_pooling_ignores_padding(answers, verdict):
    model = answers.text.MeanEmbeddingClassifier(10, dim=4, hidden=5, n_classes=3).double()
    weights = copy_weights(model, np.random.default_rng(0), 10, 4, 5, 3)
    ids = np.array([[3, 4, 9, 0, 0], [2, 0, 0, 0, 0], [5, 5, 1, 7, 8]])
    with torch.no_grad():
        logits = model(torch.from_numpy(ids))
        shorter = model(torch.from_numpy(ids[:2, :3]))
    # float64 on both sides: the same sums in a different order, ~1e-15
    verdict.close("logits", logits, expected=torch.from_numpy(oracle_logits(*weights, ids)), rtol=1e-10, atol=1e-12)
    verdict.close("less padding, same logits", shorter, expected=logits[:2], rtol=1e-10, atol=1e-12)


def test_embed_mcnemar_matches_binomtest(answers, verdict):
    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, 300)
    a = np.where(rng.random(300) < 0.8, y, 1 - y)
    b = np.where(rng.random(300) < 0.7, y, 1 - y)
    a_only, b_only = int(np.sum((a == y) & (b != y))), int(np.sum((a != y) & (b == y)))
    verdict.close("p", answers.text.mcnemar_exact(y, a, b), expected=binomtest(a_only, a_only + b_only).pvalue, rtol=1e-10)
    verdict.close("identical predictions", answers.text.mcnemar_exact(y, a, a), expected=1.0, rtol=0)


def test_embed_learns_the_task(answers, verdict):
    docs, y = review_task(1200, 1)
    model, vocab = answers.text.train_embedding_classifier(docs[:800], y[:800], seed=0)
    with torch.no_grad():
        pred = model(answers.text.encode_docs(docs[800:], vocab)).argmax(dim=1).numpy()
    # the reference gets every test review right; 0.95 leaves room for other initializations
    verdict.accuracy("embedding accuracy", pred, y_true=y[800:], minimum=0.95)


def test_embed_compare_representations(answers, verdict):
    docs, y = review_task(1400, 2)
    r = answers.text.compare_representations(docs[:1000], y[:1000], docs[1000:], y[1000:], seed=0)
    yte = y[1000:]
    # a linear model on word counts cannot express "polarity XOR negation": ~0.5; the embedding's MLP head can
    verdict.accuracy("embedding", np.asarray(r["pred_embedding"]), y_true=yte, minimum=0.95)
    tfidf_right, emb_right = np.asarray(r["pred_tfidf"]) == yte, np.asarray(r["pred_embedding"]) == yte
    b, c = int(np.sum(tfidf_right & ~emb_right)), int(np.sum(~tfidf_right & emb_right))
    verdict.close("p_value", r["p_value"], expected=binomtest(b, b + c).pvalue, rtol=1e-9)
    verdict.equal("winner", r["winner"], expected="embedding")
