"""Hidden tests for lab 05: values go to the grader, which compares them with the reference solution's.

No expected value lives here: the grader runs the reference solution through these same tests and keeps its
values (and tolerances); the labels of q7's held-out rows come from the grader (solutions/05-.../hidden_data.py).
Seeds, shapes and data differ from the public tests. A property of the learner's own run (two seeded runs agree,
a resumed run ends where the uninterrupted one ends, evaluate is repeatable and changes nothing) is judged on the
learner's two values with `verdict.same`, never against the reference's. Loop tests use models and loaders built
here (labs/05-.../tests/helpers.py), so each question depends on the functions it names.
"""
import os
import random

os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # before CUDA starts (the sandbox sets it too)

import helpers
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import DtypeSpy, Spy, count, digits, exact_float32, fill_by_shape, flat_buffers, flat_params, history_arrays
from sklearn.datasets import load_breast_cancer
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


def loaders(seed, n_train=300, n_val=130, batch=24, val_batch=50):
    """Hidden sizes: 300 = 12 * 24 + 12 and 130 = 2 * 50 + 30, so the last batch is smaller in both loaders
    (a mean of batch means is then not the example-weighted mean)."""
    return helpers.loaders(seed, n_train=n_train, n_val=n_val, batch=batch, val_batch=val_batch)


def net(seed, dropout=0.25):
    return helpers.net(seed, dropout, widths=(40, 24))


# float32 training: identical operations give identical numbers; another way of summing an epoch's loss moves
# them by 1.6e-7 relative (float32 tensors instead of Python floats; float64 per example: 1e-9), and another
# CPU's float32 kernels by ~1e-5 (measured on evaluate's loss with OPENBLAS_CORETYPE=Prescott and
# ATEN_CPU_CAPABILITY=default). 1e-4 is above both and 50x below the smallest planted bug (5e-3: a mean of the
# batch means; softmax before the loss: 0.8).
LOSS_RTOL = 1e-4

# Bit-for-bit properties of one learner's run on CPU (the README: "exactly 0.0, not 1e-9"): the same operations on
# the same numbers in one process give the same float32 bits, so these are judged with no tolerance.
EXACT = dict(rtol=0.0, atol=0.0)


# ---------------------------------------------------------------- q1: seeding and loaders
def test_data_seed_everything_values(answers, verdict):
    try:
        answers.seed_everything(2024)
        verdict.equal("random", random.random())
        verdict.equal("numpy", np.random.random(3))
        verdict.equal("torch", torch.rand(3))
        answers.seed_everything(7, deterministic=True)
        on = torch.are_deterministic_algorithms_enabled()
        verdict.equal("torch after seed 7", torch.randn(2))
        answers.seed_everything(7)
        off = torch.are_deterministic_algorithms_enabled()
        verdict.equal("deterministic algorithms after deterministic=True, then False", np.array([on, off]))
    finally:
        torch.use_deterministic_algorithms(False)


def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return (X / X.max(axis=0)).astype(np.float64), y


def test_data_split_hidden(answers, verdict):
    X, y = cancer()
    train, val = answers.make_loaders(X, y, 20, seed=17, val_fraction=0.3)
    xb, yb = next(iter(train))
    verdict.equal("dtypes", f"{xb.dtype} {yb.dtype}")
    verdict.equal("validation labels", torch.cat([b[1] for b in val]))
    verdict.equal("validation features", torch.cat([b[0] for b in val]))
    verdict.equal("validation batch sizes", [len(b[1]) for b in val])
    verdict.equal("training set size", len(train.dataset))


def test_data_order_ignores_the_global_rng(answers, verdict):
    X, y = cancer()
    ids = np.repeat(np.arange(len(y), dtype=np.float64)[:, None], 3, axis=1)
    orders = []
    for global_seed in (0, 99):
        train, _ = answers.make_loaders(ids, y, 32, seed=41)
        torch.manual_seed(global_seed)
        torch.rand(global_seed)  # as if a bigger model had drawn more numbers
        orders.append(torch.cat([xb[:, 0] for xb, _ in train]).long())
    # the data order depends on the seed alone: the two orders are the same indices, exactly
    verdict.same("first epoch order: global seed 99 vs global seed 0", orders[1], orders[0], **EXACT)
    verdict.equal("first epoch order (global seed 0)", orders[0])
    verdict.equal("first epoch order (global seed 99)", orders[1])


def test_data_epochs_reshuffle(answers, verdict):
    X, y = digits(images=True)
    ids = np.zeros_like(X[:400])
    ids[:, 0, 0, 0] = np.arange(400)
    train, _ = answers.make_loaders(ids, y[:400], 50, seed=3, val_fraction=0.25)
    epochs = [torch.cat([xb[:, 0, 0, 0] for xb, _ in train]).long() for _ in range(2)]
    assert not torch.equal(epochs[0], epochs[1]), "every epoch has the same order"
    verdict.equal("epoch 1 order", epochs[0])
    verdict.equal("epoch 2 order", epochs[1])


# ---------------------------------------------------------------- q2: models
def test_model_parameter_counts_hidden(answers, verdict):
    verdict.equal("SmallCNN()", count(answers.SmallCNN()))
    verdict.equal("SmallCNN(7, (6, 10))", count(answers.SmallCNN(n_classes=7, channels=(6, 10), dropout=0.1)))
    verdict.equal("SmallCNN() buffers", sum(b.numel() for b in answers.SmallCNN().buffers()))
    verdict.equal("MLP()", count(answers.MLP()))
    verdict.equal("MLP(30, (20, 12, 8), 3)", count(answers.MLP(in_features=30, hidden=(20, 12, 8), n_classes=3)))


def test_model_cnn_logits_hidden(answers, verdict):
    X, _ = digits(images=True)
    x = torch.tensor(X[500:548])
    model = answers.SmallCNN(n_classes=7, channels=(6, 10), dropout=0.0)
    fill_by_shape(model, phase=0.3)
    with torch.no_grad():
        train_logits = model.train()(x)  # BatchNorm with batch statistics (and updates running ones)
        eval_logits = model.eval()(x)
    # float32 conv/linear in the documented order agree to ~1e-6 however they are written (one Sequential,
    # several, or F.relu/F.max_pool2d); a missing BatchNorm, ReLU before BatchNorm, an extra pool or another
    # flatten order changes the logits by O(1)
    verdict.close("train-mode logits", train_logits, rtol=1e-4, atol=1e-5)
    verdict.close("eval-mode logits", eval_logits, rtol=1e-4, atol=1e-5)


def test_model_mlp_logits_hidden(answers, verdict):
    X, _ = digits()
    x = torch.tensor(X[900:930, :30])
    model = answers.MLP(in_features=30, hidden=(20, 12, 8), n_classes=3, dropout=0.4)
    fill_by_shape(model, phase=1.1)
    with torch.no_grad():
        logits = model.eval()(x)
        torch.manual_seed(5)
        dropped = model.train()(x)
    verdict.close("eval-mode logits", logits, rtol=1e-4, atol=1e-5)  # as the CNN's: ~1e-7 apart; a softmax: O(1)
    assert not torch.allclose(logits, dropped), "dropout had no effect in training mode"


def test_model_default_initialisation(answers, verdict):
    """The docstrings fix the layer order, and with it which random numbers each layer's initialisation draws."""
    X, _ = digits(images=True)
    x = torch.tensor(X[1200:1240])
    torch.manual_seed(21)
    cnn = answers.SmallCNN(n_classes=5, channels=(4, 8), dropout=0.2)
    torch.manual_seed(22)
    mlp = answers.MLP(hidden=(32, 16), n_classes=6)
    with torch.no_grad():
        cnn_logits, mlp_logits = cnn.eval()(x), mlp.eval()(x.reshape(40, 64))
    # same draws, same float32 ops: ~1e-7 apart; a layer created out of order gets other numbers (O(0.1))
    verdict.close("SmallCNN logits after torch.manual_seed(21)", cnn_logits, rtol=1e-4, atol=1e-5)
    verdict.close("MLP logits after torch.manual_seed(22)", mlp_logits, rtol=1e-4, atol=1e-5)


def test_model_cnn_memorises_a_batch(answers, verdict):
    X, y = digits(images=True)
    x, t = torch.tensor(X[1000:1032]), torch.tensor(y[1000:1032])
    torch.manual_seed(8)
    model = answers.SmallCNN(dropout=0.0)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(150):  # the loop is written here: this question is about the model only
        opt.zero_grad()
        loss = F.cross_entropy(model(x), t)
        loss.backward()
        opt.step()
    # a faithful SmallCNN reaches ~1e-3 here; softmax logits cannot go below ~1.46
    verdict.bound("training loss on one batch of 32 after 150 Adam steps", loss.item(), high=0.05)
    with torch.no_grad():
        verdict.equal("train-mode predictions on the batch", model(x).argmax(1))


# ---------------------------------------------------------------- q3: one epoch
def test_train_overfit_one_batch_hidden(answers, verdict):
    X, y = digits()
    batch = DataLoader(TensorDataset(torch.tensor(X[600:632]), torch.tensor(y[600:632])), batch_size=32)
    torch.manual_seed(13)
    model = nn.Sequential(nn.Linear(64, 48), nn.Tanh(), nn.Linear(48, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = [answers.train_one_epoch(model, batch, opt, "cpu") for _ in range(200)]
    verdict.bound("lowest loss on one batch of 32 in 200 steps", min(losses), high=0.05)  # correct: ~1e-3
    verdict.close("first 40 losses", losses[:40], rtol=1e-4)  # see LOSS_RTOL; 40 Adam steps amplify a little
    verdict.equal("predictions", model(torch.tensor(X[600:632])).argmax(1))


def test_train_epoch_values_hidden(answers, verdict):
    model, (train, _) = net(14), loaders(14)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    torch.manual_seed(140)
    loss = answers.train_one_epoch(model, train, opt, "cpu")
    assert type(loss) is float, f"train_one_epoch returned {type(loss).__name__}, not a Python float"
    verdict.close("epoch loss", loss, rtol=LOSS_RTOL)
    # 13 identical SGD steps in float32: ~1e-7 apart; gradients accumulated over batches move them by 1e-2
    verdict.close("parameters", flat_params(model), rtol=1e-4, atol=1e-6)


def test_train_after_evaluate_hidden(answers, verdict):
    """Training, evaluation, training again: the second epoch must switch dropout and BatchNorm back on."""
    spy, (train, val) = Spy(net(15, dropout=0.0)), loaders(15, n_train=96)
    opt = torch.optim.Adam(spy.parameters(), lr=3e-3)
    losses = []
    for _ in range(2):
        losses.append(answers.train_one_epoch(spy, train, opt, "cpu"))
        spy.eval()  # what evaluate() does
    verdict.equal("(training, grad enabled) per batch", spy.seen)
    verdict.close("epoch losses", losses, rtol=LOSS_RTOL)


# ---------------------------------------------------------------- q4: evaluate
def test_eval_values_and_mode_hidden(answers, verdict):
    spy, (train, val) = Spy(net(16, dropout=0.5)), loaders(16)
    opt = torch.optim.Adam(spy.parameters(), lr=3e-3)
    for xb, yb in train:  # some training written here, so BatchNorm's running statistics are not trivial
        opt.zero_grad()
        F.cross_entropy(spy(xb), yb).backward()
        opt.step()
    spy.seen.clear()
    spy.train()
    first = answers.evaluate(spy, val, "cpu")
    second = answers.evaluate(spy, val, "cpu")
    assert type(first[0]) is float and type(first[1]) is float, "evaluate must return Python floats"
    # evaluation mode and no gradients leave nothing random: the second call repeats the first bit for bit
    verdict.same("second call vs first call", list(second), list(first), **EXACT)
    # val batches of 50, 50, 30: per-example sums in float32 or float64 agree to ~1e-9; a mean of the batch means
    # is 1e-2 off; dropout left on, 1e-1
    verdict.close("(loss, accuracy)", list(first), rtol=LOSS_RTOL)
    verdict.equal("(training, grad enabled) per batch", spy.seen)


def test_eval_leaves_no_gradients_hidden(answers, verdict):
    model, (_, val) = net(17), loaders(17, n_val=110, val_batch=40)
    model.train()
    before, buffers_before = flat_params(model), flat_buffers(model)
    loss, acc = answers.evaluate(model, val, "cpu")
    verdict.close("(loss, accuracy) of an untrained model", [loss, acc], rtol=LOSS_RTOL)  # a no-op evaluate fails
    verdict.bound("parameters with a gradient", sum(p.grad is not None for p in model.parameters()), high=0)
    verdict.same("parameters after vs before", flat_params(model), before, **EXACT)
    # BatchNorm's running statistics move only when a forward pass runs in training mode
    verdict.same("BatchNorm running statistics after vs before", flat_buffers(model), buffers_before, **EXACT)


def test_eval_bf16_autocast(answers, verdict):
    spy, (train, val) = DtypeSpy(net(18, dropout=0.3)), loaders(18, n_val=130, val_batch=60)
    opt = torch.optim.Adam(spy.parameters(), lr=3e-3)
    for xb, yb in train:  # trained here (not with train_one_epoch), so the logits are not all near zero
        opt.zero_grad()
        F.cross_entropy(spy(xb), yb).backward()
        opt.step()
    spy.seen.clear()
    loss, acc = answers.evaluate(spy, val, "cpu", amp=True)
    verdict.equal("logits dtypes seen with amp=True", " ".join(sorted(set(spy.seen))))
    # whether autocast ran is decided by the dtypes above. The values: bf16 keeps 8 significant bits, and another
    # CPU's float32 sums round a few logits to the neighbouring bf16 number (measured: the loss 1.1e-4 apart under
    # OPENBLAS_CORETYPE=Prescott); 2e-3 is half of one bf16 step, and one flipped prediction of 130 is allowed
    verdict.close("bf16 loss", loss, rtol=2e-3)
    verdict.close("bf16 accuracy", acc, rtol=0, atol=1.5 / 130)


# ---------------------------------------------------------------- q5: fit
def record_history(verdict, hist, prefix=""):
    train_loss, val_loss, val_acc, lr = history_arrays(hist)
    verdict.close(prefix + "train_loss", train_loss, rtol=LOSS_RTOL)
    verdict.close(prefix + "val_loss", val_loss, rtol=LOSS_RTOL)
    verdict.close(prefix + "val_acc", val_acc, rtol=0, atol=1.5 / 130)  # one flipped prediction of 130
    verdict.close(prefix + "lr", lr, rtol=1e-12)  # a cosine of a few epochs: ~1e-16 however it is computed


def test_fit_values_hidden(answers, verdict):
    model, (train, val) = net(51, dropout=0.0), loaders(51)
    hist = answers.fit(model, train, val, answers.TrainConfig(epochs=3, lr=4e-3, weight_decay=0.05, cosine=True))
    record_history(verdict, hist)
    # 39 identical Adam steps in float32: ~1e-7 apart; Adam without its weight decay: ~1e-3
    verdict.close("parameters", flat_params(model), rtol=1e-4, atol=1e-6)


def test_fit_loss_decreases_over_two_epochs(answers, verdict):
    model, (train, val) = net(52, dropout=0.0), loaders(52)
    hist = answers.fit(model, train, val, answers.TrainConfig(epochs=2, lr=0.03, optimizer="sgd"))
    assert hist.train_loss[1] < hist.train_loss[0], f"training loss did not decrease: {hist.train_loss}"
    record_history(verdict, hist)


def test_fit_same_seed_same_history(answers, verdict):
    runs = []
    for _ in range(2):
        answers.seed_everything(53)
        model = nn.Sequential(nn.Flatten(), nn.Linear(64, 40), nn.ReLU(), nn.Dropout(0.4), nn.Linear(40, 10))
        train, val = loaders(53)
        hist = answers.fit(model, train, val, answers.TrainConfig(epochs=2, lr=5e-3))
        runs.append((np.concatenate(history_arrays(hist)), flat_params(model).numpy()))
    (h1, p1), (h2, p2) = runs
    verdict.same("history: run 2 vs run 1", h2, h1, **EXACT)
    verdict.same("parameters: run 2 vs run 1", p2, p1, **EXACT)
    # dropout masks come from the seeded global generator; a loop that draws them in another order is
    # still reproducible, so the run itself is compared loosely: 12 other mask sequences moved these
    # losses by at most 1.1%
    verdict.close("run 1 train_loss", h1[:2], rtol=0.05)


# ---------------------------------------------------------------- q6: checkpoints
def test_checkpoint_resume_hidden(answers, verdict, tmp_path):
    cfg = dict(epochs=3, lr=4e-3, cosine=True)
    full, (train, val) = net(61, dropout=0.3), loaders(61)
    hist_full = answers.fit(full, train, val, answers.TrainConfig(**cfg, checkpoint_dir=str(tmp_path)))
    torch.manual_seed(2)  # a new process: other weights, other RNG state, fresh loaders
    resumed, (train, val) = net(62, dropout=0.3), loaders(61)
    hist = answers.fit(resumed, train, val, answers.TrainConfig(**cfg, resume_from=str(tmp_path / "epoch_1.pt")))
    # the README: a resumed run ends bit for bit where the uninterrupted one ends (dropout masks, data order,
    # Adam's moments and the cosine schedule all restored)
    verdict.same("parameters: resumed vs uninterrupted", flat_params(resumed), flat_params(full), **EXACT)
    verdict.same("history: resumed vs uninterrupted", np.concatenate(history_arrays(hist)),
                 np.concatenate(history_arrays(hist_full)), **EXACT)
    verdict.equal("resumed history length", len(hist.train_loss))
    verdict.close("resumed lr", hist.lr, rtol=1e-12)  # cosine values: ~1e-16 however computed


def test_checkpoint_resume_without_dropout_values(answers, verdict, tmp_path):
    cfg = dict(epochs=2, lr=0.05, optimizer="sgd")
    full, (train, val) = net(63, dropout=0.0), loaders(63)
    answers.fit(full, train, val, answers.TrainConfig(**cfg, checkpoint_dir=str(tmp_path)))
    resumed, (train, val) = net(64, dropout=0.0), loaders(63)
    hist = answers.fit(resumed, train, val, answers.TrainConfig(**cfg, resume_from=str(tmp_path / "epoch_1.pt")))
    record_history(verdict, hist, "resumed ")
    verdict.same("parameters: resumed vs uninterrupted", flat_params(resumed), flat_params(full), **EXACT)


def settle(model, opt, seed):
    """Parameters, BatchNorm statistics and the optimizer's per-parameter state (Adam's moments, SGD's momentum) set
    to seeded values: a trained-looking state that is the same on every machine. Trained values are not: Adam's
    first steps move a parameter whose gradient is rounding noise by +-lr, so an epoch trained on another CPU's
    kernels ends ~3e-3 away, and near-zero momentum entries differ in relative terms by 30x (both measured under
    ATEN_CPU_CAPABILITY=default): the reference's checkpoint values would not be the learner's."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.3)
            for _, value in sorted(opt.state[p].items()):
                if torch.is_tensor(value) and value.shape == p.shape:  # positive: a valid second moment too
                    value.copy_(torch.rand(p.shape, generator=g) * 1e-3 + 1e-5)
        for b in model.buffers():
            if b.dtype.is_floating_point:
                b.copy_(torch.rand(b.shape, generator=g) + 0.5)


def test_checkpoint_round_trip_hidden(answers, verdict, tmp_path):
    model, (train, _) = net(65), loaders(65)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    for xb, yb in train:  # trained here, not with train_one_epoch, so q6 does not depend on q3
        opt.zero_grad()
        F.cross_entropy(model(xb), yb).backward()
        opt.step()
    settle(model, opt, 651)
    path = tmp_path / "round.pt"
    # dyadic numbers: the same in float64 and float32, however a checkpoint stores them
    saved = answers.History(train_loss=[2.25, 1.5], val_loss=[2.0, 1.25], val_acc=[0.375, 0.625], lr=[2**-9, 2**-10])
    answers.save_checkpoint(path, model, opt, 4, history=saved, generator=train.generator)
    rng_after_save = torch.rand(3)
    gen_after_save = torch.rand(3, generator=train.generator)

    copy = net(66)
    copy_opt = torch.optim.Adam(copy.parameters(), lr=2e-3)
    gen = torch.Generator().manual_seed(0)
    epoch, hist = answers.load_checkpoint(path, copy, copy_opt, generator=gen)
    verdict.equal("epoch", epoch)
    verdict.close("restored history", np.concatenate(history_arrays(hist)), rtol=0)  # floats stored as saved
    torch_draw, gen_draw = torch.rand(3), torch.rand(3, generator=gen)
    verdict.same("torch RNG restored: draw after load vs draw after save", torch_draw, rng_after_save, **EXACT)
    verdict.same("generator restored: draw after load vs draw after save", gen_draw, gen_after_save, **EXACT)
    verdict.equal("torch draw after load", torch_draw)
    verdict.equal("generator draw after load", gen_draw)
    x = torch.tensor(digits()[0][:20])
    with torch.no_grad():
        copy_logits, model_logits = copy.eval()(x), model.eval()(x)
    verdict.same("eval logits: copy vs original", copy_logits, model_logits, **EXACT)  # buffers included
    verdict.close("eval logits of the copy", copy_logits, rtol=1e-5, atol=1e-6)  # same float32 ops: ~1e-7
    # one more identical Adam step on both: equal only if the moment estimates and step counts came back
    model.train()
    copy.train()
    for m, o in ((model, opt), (copy, copy_opt)):
        o.zero_grad()
        torch.manual_seed(9)
        F.cross_entropy(m(x), torch.arange(20) % 10).backward()
        o.step()
    verdict.same("after one more step: copy vs original", flat_params(copy), flat_params(model), **EXACT)
    verdict.close("parameters of the copy after one more step", flat_params(copy), rtol=1e-5, atol=1e-6)


def test_checkpoint_round_trip_sgd_scheduler(answers, verdict, tmp_path):
    """SGD momentum buffers and a scheduler's position come back too; a checkpoint without history."""
    model = net(67, dropout=0.0)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=5)
    train, _ = loaders(67, n_train=72)
    for _ in range(2):
        for xb, yb in train:
            opt.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            opt.step()
        sched.step()
    settle(model, opt, 671)
    path = tmp_path / "sub" / "sgd.pt"
    path.parent.mkdir()
    answers.save_checkpoint(path, model, opt, 2, scheduler=sched)
    copy = net(68, dropout=0.0)
    copy_opt = torch.optim.SGD(copy.parameters(), lr=0.1, momentum=0.9)
    copy_sched = torch.optim.lr_scheduler.CosineAnnealingLR(copy_opt, T_max=5)
    epoch, hist = answers.load_checkpoint(path, copy, copy_opt, scheduler=copy_sched)
    verdict.equal("epoch", epoch)
    verdict.equal("history entries of a checkpoint saved without one", len(hist.train_loss) + len(hist.lr))
    verdict.close("restored lr", copy_opt.param_groups[0]["lr"], rtol=1e-12)  # cosine: ~1e-16 however computed
    copy_sched.step()
    verdict.close("lr after one more scheduler step", copy_opt.param_groups[0]["lr"], rtol=1e-12)
    momentum = torch.cat([copy_opt.state[p]["momentum_buffer"].reshape(-1) for p in copy.parameters()])
    verdict.close("SGD momentum buffers", momentum, rtol=1e-6, atol=1e-9)  # copied float32 tensors: exact


# ---------------------------------------------------------------- q7: accuracy
def test_accuracy_hidden_digits_split(answers, verdict, hidden_data):
    d = hidden_data("digits_split")
    answers.seed_everything(71)
    train, val = answers.make_loaders(d["X_train"], d["y_train"], 32, seed=71)
    model = answers.SmallCNN()
    answers.fit(model, train, val, answers.TrainConfig(epochs=3, lr=5e-3, cosine=True))
    with torch.no_grad():
        pred = model.eval()(torch.tensor(d["X_test"])).argmax(1)
    # Gate 0.95, the curriculum's. The held-out rows carry pixel noise (hidden_data.py). The tuned reference
    # (BatchNorm, one pool, dropout 0.1, Adam 5e-3, cosine) scores 0.969 here; 5 other initialisations gave
    # 0.964-0.976 and 4 other hidden splits 0.960-0.976, so a correct run clears the gate by 1-2 points. The
    # classic 2-pool CNN without BatchNorm scored 0.92-0.95 on digits; a loop without zero_grad 0.83; a loop
    # that zeroes the gradients between backward and step stays near chance.
    verdict.accuracy("hidden digits split", pred, truth="digits_split.y_test", minimum=0.95)


# ---------------------------------------------------------------- q8: devices (cuda only with a GPU)
def test_device_agrees_with_cpu_hidden(answers, verdict, device):
    cfg = dict(epochs=2, lr=0.04, optimizer="sgd", weight_decay=1e-4)
    with exact_float32():
        cpu_model, (train, val) = net(81, dropout=0.0), loaders(81)
        cpu_hist = answers.fit(cpu_model, train, val, answers.TrainConfig(**cfg))
        model, (train, val) = net(81, dropout=0.0), loaders(81)
        hist = answers.fit(model, train, val, answers.TrainConfig(**cfg, device=device))
        assert all(p.device.type == device for p in model.parameters()), "fit did not move the model"
        loss, acc = answers.evaluate(model, val, device)
    assert type(loss) is float, "evaluate must return Python floats on every device"
    # the learner's own run on `device` against their run on the CPU: float32 sums in another order on a GPU
    # (TF32 off) differ by ~1e-6 per step, far below 1e-4 after 26 SGD steps; on the CPU the two runs are the same
    verdict.same(f"{device} history vs CPU history", np.array(hist.train_loss + hist.val_loss),
                 np.array(cpu_hist.train_loss + cpu_hist.val_loss), rtol=0, atol=1e-4)
    verdict.close("train_loss", hist.train_loss, rtol=0, atol=1e-4)  # the reference on the same device: as above
    verdict.close("parameters", flat_params(model), rtol=0, atol=1e-4)


def test_device_bf16_autocast_hidden(answers, verdict, device):
    if device == "cuda" and not torch.cuda.is_bf16_supported():
        pytest.skip("this GPU has no bfloat16")
    cfg = dict(epochs=2, lr=4e-3, amp=True, device=device)
    model, (train, val) = DtypeSpy(net(82, dropout=0.0)), loaders(82)
    hist = answers.fit(model, train, val, answers.TrainConfig(**cfg))
    assert all(p.dtype == torch.float32 for p in model.parameters()), "autocast must leave the weights in float32"
    verdict.equal("logits dtypes seen (train, eval)", " ".join(sorted(set(model.seen))))
    # bfloat16 keeps 8 significant bits. Measured on this model: bf16 vs float32 histories 0.14% apart,
    # the loss computed outside autocast 0.5%; 2% admits such variants. Whether autocast ran at all is
    # decided by the logits' dtype above, not by these numbers.
    verdict.close("bf16 train_loss", hist.train_loss, rtol=0.02)
    verdict.close("bf16 val_loss", hist.val_loss, rtol=0.02)


def test_device_deterministic_hidden(answers, verdict, device):
    runs = []
    try:
        for _ in range(2):
            answers.seed_everything(83, deterministic=True)
            model = net(83, dropout=0.3)
            train, val = loaders(83)
            hist = answers.fit(model, train, val, answers.TrainConfig(epochs=2, lr=3e-3, device=device))
            runs.append((np.concatenate(history_arrays(hist)), flat_params(model).numpy()))
    finally:
        torch.use_deterministic_algorithms(False)
    # deterministic algorithms on: two seeded runs agree bit for bit on the CPU and on a GPU
    verdict.same("history: run 2 vs run 1", runs[1][0], runs[0][0], **EXACT)
    verdict.same("parameters: run 2 vs run 1", runs[1][1], runs[0][1], **EXACT)
