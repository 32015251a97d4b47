"""Hidden tests for lab 07 part B: values go to the grader, which compares them with the reference solution's.

No expected value is stored here. The tokenizer is trained on other slices of the standard library's
pydoc_data.topics than the public tests use (sorted keys; the grader's reference runs in the same Python, so
both see the same text), and encodes other strings, including characters that never occur in the training
slice. The text task is generated here from other templates than the public one.
"""
import numpy as np
import torch
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from scipy.stats import binomtest


def _examples_independent_of_answer_code():
    """Hypothesis mixes literals it finds in local modules (your answer files too) into the examples it draws: two
    submissions would then see different examples, and the values they record could not be compared with the
    reference's. Switch that off (hypothesis is pinned in pyproject.toml; if its internals move, nothing happens)."""
    try:
        from hypothesis.internal.conjecture import providers

        empty = providers.Constants()
        providers._get_local_constants = lambda: empty
        providers.CONSTANTS_CACHE.cache.clear()
    except (ImportError, AttributeError):  # pragma: no cover
        pass


_examples_independent_of_answer_code()


def pydoc_corpus():
    from pydoc_data.topics import topics

    return "\n\n".join(topics[key] for key in sorted(topics))


def ints(seq):
    return np.asarray(list(seq), dtype=np.int64)


def hidden_review_task(n, seed):
    """Other topics, fillers and opinion words than the public task; negation by "not" or "never"."""
    rng = np.random.default_rng(seed)
    topics = ["the museum", "this laptop", "the ferry", "our lunch", "the seminar", "the podcast", "this game"]
    fillers = ["really", "fairly", "extremely", "somewhat", "incredibly", "utterly"]
    good = ["brilliant", "charming", "solid", "fun", "wonderful"]
    bad = ["clumsy", "noisy", "slow", "bland", "disappointing"]
    docs, labels = [], []
    for _ in range(n):
        positive, negated = rng.random() < 0.5, rng.random() < 0.5
        words = [rng.choice(topics), "was" if rng.random() < 0.5 else "felt",
                 rng.choice(["not", "never"]) if negated else "", rng.choice(fillers),
                 rng.choice(good if positive else bad)]
        if rng.random() < 0.4:
            words.append(rng.choice(["today", "for us", "in the end"]))
        docs.append(" ".join(w for w in words if w))
        labels.append(int(positive != negated))
    return docs, np.array(labels, dtype=np.int64)


# --- q8: byte-pair encoding -------------------------------------------------------------------------------------
def test_bpe_hidden_pairs_and_merge(answers, verdict):
    t = answers.text
    ids = [5, 5, 5, 5, 9, 5, 5, 9, 9]
    counts = t.get_pair_counts(ids)
    pairs = sorted(counts)
    verdict.equal("pairs", ints(x for p in pairs for x in p))
    verdict.equal("counts", ints(counts[p] for p in pairs))
    verdict.equal("merge (5, 5)", ints(t.merge_pair(ids, (5, 5), 256)))
    verdict.equal("merge (9, 9)", ints(t.merge_pair(ids, (9, 9), 400)))
    verdict.equal("merge absent pair", ints(t.merge_pair(ids, (1, 2), 300)))
    verdict.equal("empty", ints(t.merge_pair([], (1, 2), 300)))


def test_bpe_hidden_merges_match_reference(answers, verdict):
    text = pydoc_corpus()[200_000:212_000]
    tok = answers.text.BPETokenizer.train(text, 306)
    merges = ints(x for m in tok.merges for x in m)
    verdict.equal("merges", merges)  # all 50, in order: the tie rule is documented, so no freedom is left
    verdict.equal("token lengths", ints(len(tok.vocab[256 + i]) for i in range(len(tok.merges))))


def test_bpe_hidden_compression_ratio(answers, verdict):
    corpus = pydoc_corpus()
    tok = answers.text.BPETokenizer.train(corpus[150_000:162_000], 316)
    sample = corpus[330_000:336_000]
    ids = tok.encode(sample)
    ratio = len(sample.encode("utf-8")) / len(ids)
    # within 1% of the reference's 1.479 bytes per token. Measured variants on this slice: ties to the largest pair
    # 1.479, non-overlapping pair counts 1.488 (+0.6%), merges applied latest-first 1.466 (-0.9%): details that the
    # exact merge and id checks grade elsewhere keep this point; no merging (1.0) or a broken trainer does not
    verdict.close("bytes per token", float(ratio), rtol=0.01)
    assert tok.decode(ids) == sample, "decode(encode(sample)) != sample"


def test_bpe_hidden_encode_respects_merge_order(answers, verdict):
    # ' t' (32,116) -> 256, 'he' (104,101) -> 257, 'th' (116,104) -> 258, ' t'+'he' -> 259, 'e ' (101,32) -> 260
    tok = answers.text.BPETokenizer([(32, 116), (104, 101), (116, 104), (256, 257), (101, 32)])
    for s in [" the", "the theme", "tthhee  the", "xthe the "]:
        verdict.equal(repr(s), ints(tok.encode(s)))
    verdict.equal("decode", tok.decode([259, 260, 258, 101]))


# characters that never occur in pydoc's English text: the byte fallback must carry them
RARE = st.sampled_from(list("äßçœøñ€→≠∑λЖ中文한국ğ") + ["\U0001F40D", "\U0001F680", "\u200b", "\x00", "\r", "\x7f"])
COMMON = st.sampled_from(list("etaoinshrdlu ,.()\n"))
STRINGS = st.lists(st.one_of(COMMON, COMMON, RARE), max_size=50).map("".join)


def test_bpe_hidden_round_trip_property(answers, verdict):
    tok = answers.text.BPETokenizer.train(pydoc_corpus()[60_000:66_000], 300)
    all_ids, texts = [], []

    @settings(max_examples=25, phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(STRINGS)
    def run(s):
        ids = tok.encode(s)
        back = tok.decode(ids)
        assert back == s, "decode(encode(s)) != s"
        all_ids.extend([*ids, -1])
        texts.append(back)

    run()
    verdict.equal("ids", ints(all_ids))
    verdict.equal("texts", "\x00".join(texts))


def test_bpe_hidden_round_trip_fixed_strings(answers, verdict):
    tok = answers.text.BPETokenizer.train(pydoc_corpus()[60_000:66_000], 300)
    strings = ["Ünïcödé ≠ ASCII — ✓", "print('\U0001F40D\U0001F680')", "한국어 and 中文 in one line", "",
               "\x00\x01\x02 control \t\r\n", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 math letters", "def f(x):\n    return x ** 2\n"]
    for i, s in enumerate(strings):
        ids = tok.encode(s)
        assert tok.decode(ids) == s, f"hidden string {i} does not survive decode(encode(s))"
        verdict.equal(f"ids {i}", ints(ids))
        verdict.equal(f"text {i}", tok.decode(ids))


# --- q9: TF-IDF ---------------------------------------------------------------------------------------------------
def test_tfidf_hidden(answers, verdict):
    docs, _ = hidden_review_task(300, 7)
    serve = docs[250:] + ["", "Never NEVER never", "completely unseen vocabulary here", "the museum was fun fun fun"]
    t = answers.text.TfIdf().fit(docs[:250])
    words = sorted(t.vocabulary_)
    verdict.equal("columns of sorted words", ints(t.vocabulary_[w] for w in words))
    verdict.close("idf_", np.asarray(t.idf_, dtype=np.float64), rtol=1e-12)
    # float64, same formula: ~1e-16; zero rows must stay zero (not nan)
    verdict.close("transform", np.asarray(t.transform(serve), dtype=np.float64), rtol=1e-10, atol=1e-12)


# --- q10: learned embedding, and a paired comparison ---------------------------------------------------------------
def test_embed_hidden_vocab_and_encoding(answers, verdict):
    t = answers.text
    docs = ["Zebra apple", "apple  banana apple", "CHERRY"]
    vocab = t.build_vocab(docs)
    verdict.equal("vocab ids", ints(vocab.get(w, -1) for w in ["<pad>", "<unk>", "apple", "banana", "cherry", "zebra"]))
    verdict.equal("vocab size", len(vocab))
    queries = ["apple kiwi zebra apple", "", "banana"]
    verdict.equal("ids", torch.as_tensor(t.encode_docs(queries, vocab)))
    verdict.equal("ids max_len 3", torch.as_tensor(t.encode_docs(queries, vocab, max_len=3)))
    verdict.equal("ids max_len 6", torch.as_tensor(t.encode_docs(queries, vocab, max_len=6)))


def test_embed_hidden_pooling(answers, verdict):
    rng = np.random.default_rng(12)
    model = answers.text.MeanEmbeddingClassifier(20, dim=6, hidden=7, n_classes=4).double()
    emb = rng.normal(size=(20, 6))
    emb[0] = 0.0
    with torch.no_grad():
        model.embedding.weight.copy_(torch.from_numpy(emb))
        for layer, shape in ((model.head[0], (7, 6)), (model.head[2], (4, 7))):
            layer.weight.copy_(torch.from_numpy(rng.normal(size=shape)))
            layer.bias.copy_(torch.from_numpy(rng.normal(size=shape[0])))
        ids = torch.tensor([[7, 3, 19, 2, 0, 0, 0], [11, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0],
                            [4, 4, 4, 4, 4, 4, 5]])
        logits = model(ids)
        trimmed = model(ids[:2, :4])
    # float64: any correct masking gives ~1e-15 differences; including padding changes logits by O(1)
    verdict.close("logits", logits, rtol=1e-10, atol=1e-12)
    verdict.close("trimmed padding", trimmed, rtol=1e-10, atol=1e-12)


def test_embed_hidden_mcnemar(answers, verdict):
    m = answers.text.mcnemar_exact
    rng = np.random.default_rng(40)
    y = rng.integers(0, 3, 500)  # three classes: both can be wrong in different ways
    a = np.where(rng.random(500) < 0.75, y, (y + 1) % 3)
    b = np.where(rng.random(500) < 0.7, y, (y + 2) % 3)
    ps = [m(y, a, b), m(y, b, a), m(y, a, a), m(y[:20], y[:20], 1 - y[:20] % 2)]
    verdict.close("p values", np.array([float(p) for p in ps]), rtol=1e-10, atol=1e-300)
    yb = y % 2
    one_sided = m(yb, yb, 1 - yb)  # B always wrong, A always right: p = 2 * 0.5**500
    verdict.close("extreme p", float(one_sided), rtol=1e-8, atol=0)


def test_embed_hidden_training(answers, verdict):
    docs, y = hidden_review_task(1000, 3)
    model, vocab = answers.text.train_embedding_classifier(docs[:700], y[:700], seed=1)
    with torch.no_grad():
        pred = model(answers.text.encode_docs(docs[700:], vocab)).argmax(dim=1).numpy()
    # the reference classifies every review right; 0.95 leaves room for other initializations
    verdict.accuracy("embedding accuracy", pred, y_true=y[700:], minimum=0.95)


def test_embed_hidden_compare_representations(answers, verdict):
    docs, y = hidden_review_task(1300, 5)
    r = answers.text.compare_representations(docs[:900], y[:900], docs[900:], y[900:], seed=3)
    yte = y[900:]
    pred_tfidf, pred_emb = np.asarray(r["pred_tfidf"]), np.asarray(r["pred_embedding"])
    verdict.accuracy("embedding", pred_emb, y_true=yte, minimum=0.95)
    # TF-IDF + a linear model stays near chance on polarity XOR negation (reference ~0.5); its exact predictions
    # are fragile (weights near 0), so the accuracy is recorded with a band rather than the predictions
    verdict.close("tfidf accuracy", float(np.mean(pred_tfidf == yte)), rtol=0, atol=0.08)
    t_right, e_right = pred_tfidf == yte, pred_emb == yte
    b, c = int(np.sum(t_right & ~e_right)), int(np.sum(~t_right & e_right))
    p = binomtest(b, b + c, 0.5).pvalue if b + c else 1.0
    assert abs(float(r["p_value"]) - p) <= 1e-9 * max(p, 1e-300), "p_value is not the exact McNemar p of the predictions"
    verdict.equal("winner", r["winner"])
    verdict.equal("significant", bool(float(r["p_value"]) < 1e-3))
    assert abs(float(r["acc_embedding"]) - float(np.mean(e_right))) < 1e-12, "acc_embedding is not the accuracy"
