"""Hidden evaluation data for lab 11, made in the grader's process (autograder.hidden_data).

Every batch a hidden test shows the learner's detector, and every test row a retrained model is scored on, is a
digits row (the lab's pool and test splits, `datasets/11-drift-retraining/drift_world.py`) resampled with a seed
that stays in this file and perturbed: each pixel gets a small Gaussian jitter (sd 0.02) and is rounded back to
the sensor's 1/16 grey levels and clipped to [0, 1] (about 12 % of the pixels move by one grey level, so no
row is a verbatim digits row, while a healthy batch still looks healthy: the reference detector raised 3 alarms
in 750 jittered healthy batches, 1 in 750 unjittered; the production model's accuracy is unchanged, 0.975).
Faulty batches then go through the world's own sensor transforms (`sensor_drift`, `schema_change`).

The truth kept here is what the grader scores against: the alarm flags a healthy or a faulty stream should get
(0 before a fault's onset, 1 after) and the labels of the retraining test rows.
"""
import importlib.util
import sys

import numpy as np

from autograder import paths

SEED = 0x11D_2F7  # never copied into a grading job
BATCH = 40


def _world():
    if "drift_world" not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            "drift_world", paths.DATASETS / "11-drift-retraining" / "drift_world.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["drift_world"] = module
        spec.loader.exec_module(module)
    return sys.modules["drift_world"]


def _jitter(X, rng):
    """Move pixels by at most a grey level or so, back onto the 1/16 grid: a new sample of the same sensor."""
    return np.clip(np.round((X + rng.normal(0.0, 0.02, X.shape)) * 16.0) / 16.0, 0.0, 1.0).astype(np.float32)


def _stream(kind, n_batches, onset, rng, ramp=30, batch_size=BATCH):
    """(n_batches, batch_size, 64) float32: jittered pool rows drawn with replacement, then the fault of
    `kind` (as drift_world.stream, with its severity schedule)."""
    w = _world()
    X = w.splits()["pool"][0]
    out = []
    for t in range(n_batches):
        xb = _jitter(X[rng.integers(0, len(X), batch_size)], rng)
        if kind == "schema":
            xb = w.schema_change(xb) if t >= onset else xb
        else:
            xb = w.sensor_drift(xb, rng, w.severity_at(kind, t, onset, ramp))
        out.append(xb)
    return np.stack(out).astype(np.float32)


def streams():
    """Batches for the detector tests (q1).

    clean      (2, 50, 40, 64)  two healthy streams
    sudden     (2, 10, 40, 64)  the full fault from batch 7 on
    gradual    (2, 15, 40, 64)  a slow ramp (50 batches to full strength) from batch 5 on
    schema     (6, 40, 64)      bytes from batch 4 on
    settings   (6, 40, 64)      2 healthy batches, 2 faulty at severity 0.08, 2 at severity 0.2: alarms that
                                depend on alpha and psi_threshold (see test_detect_settings_hidden)
    """
    rng = np.random.default_rng(SEED)
    clean = np.stack([_stream("clean", 50, 0, rng) for _ in range(2)])
    sudden = np.stack([_stream("sudden", 10, 7, rng) for _ in range(2)])
    gradual = np.stack([_stream("gradual", 15, 5, rng, ramp=50) for _ in range(2)])
    schema = _stream("schema", 6, 4, rng)
    w = _world()
    pool = w.splits()["pool"][0]
    settings = np.stack([w.sensor_drift(_jitter(pool[rng.integers(0, len(pool), BATCH)], rng), rng, s)
                         for s in (0.0, 0.0, 0.08, 0.08, 0.2, 0.2)])
    inputs = {"clean": clean, "sudden": sudden, "gradual": gradual, "schema": schema, "settings": settings}
    truth = {"clean": np.zeros(clean.shape[0] * clean.shape[1], np.int64),
             "sudden_before": np.zeros(7, np.int64), "sudden_after": np.ones(3, np.int64),
             "gradual_before": np.zeros(5, np.int64), "gradual_after": np.ones(10, np.int64)}
    return inputs, truth


def _scenario(rng, n_new, n_replay, test_rows):
    """New labels from the faulty sensor (pool rows), replay rows from the production model's training data,
    and the held-out test rows (resampled, jittered) clean and through the faulty sensor."""
    w = _world()
    s = w.splits()
    new = rng.choice(len(s["pool"][1]), n_new, replace=False)
    old = rng.choice(len(s["train"][1]), n_replay, replace=False)
    Xte, yte = s["test"]
    Xte, yte = Xte[test_rows], yte[test_rows]
    clean = _jitter(Xte, rng)
    inputs = {"new_X": w.sensor_drift(_jitter(s["pool"][0][new], rng), rng), "new_y": s["pool"][1][new],
              "replay_X": s["train"][0][old], "replay_y": s["train"][1][old],
              "test_drifted": w.sensor_drift(clean, rng), "test_clean": clean}
    return inputs, yte


def retrain_a():
    """q3 scenario a: 300 new + 300 replay; all 397 test rows in a new order. Truth: their labels."""
    rng = np.random.default_rng(SEED + 1)
    inputs, y = _scenario(rng, 300, 300, rng.permutation(397))
    return inputs, {"y_test": y}


def retrain_b():
    """q3 scenario b: 280 new + 350 replay; 397 test rows drawn with replacement."""
    rng = np.random.default_rng(SEED + 2)
    inputs, y = _scenario(rng, 280, 350, rng.integers(0, 397, 397))
    return inputs, {"y_test": y}


def promote_models():
    """q4: data to fine-tune a better model in the test (250 new + 250 replay) and a drifted test set with its
    labels, which promote() takes as an input (its McNemar counts are compared with the reference's)."""
    rng = np.random.default_rng(SEED + 3)
    inputs, y = _scenario(rng, 250, 250, rng.permutation(397))
    return {"train_X": np.concatenate([inputs["new_X"], inputs["replay_X"]]),
            "train_y": np.concatenate([inputs["new_y"], inputs["replay_y"]]),
            "X": inputs["test_drifted"], "y": y}, {}
