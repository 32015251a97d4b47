"""Hidden tests for lab 10, part B: data-parallel training. Values go to the grader, which compares them with
the reference solution's; configurations differ from the public tests. The ranks are forked from this process
and meet through a file in tmp_path (labs/10-.../tests/helpers.py)."""
import helpers
import numpy as np
import pytest
import torch
from helpers import flat, loopback_only  # noqa: F401  (loopback_only: an autouse fixture, GLOO_SOCKET_IFNAME=lo)


def test_ddp_shards_hidden(answers, verdict):
    verdict.equal("21/3", np.concatenate([answers.shard_indices(21, r, 3) for r in range(3)]))
    verdict.equal("20/4 rank 2", answers.shard_indices(20, 2, 4))
    verdict.equal("1 rank", answers.shard_indices(7, 0, 1))
    verdict.equal("dtype", str(answers.shard_indices(18, 1, 2).dtype))
    flags = []
    for args in ((20, 0, 3), (9, 3, 3), (8, -1, 2), (10, 1, 4), (6, 2, 2)):
        try:
            answers.shard_indices(*args)
            flags.append(0)
        except ValueError:
            flags.append(1)
    verdict.equal("ValueError", flags)


def test_ddp_checkpoint_written_once(answers, verdict, tmp_path):
    state = {"a": torch.linspace(0, 1, 5, dtype=torch.float64), "b": torch.ones(2, 2)}
    path = str(tmp_path / "ckpt.pt")
    wrote = [answers.save_checkpoint(state, path, r) for r in (2, 1, 0)]
    verdict.equal("wrote", [int(bool(w)) for w in wrote])
    verdict.equal("files", ",".join(sorted(p.name for p in tmp_path.iterdir())))
    verdict.close("saved", torch.load(path)["a"])  # torch.save round trip: exact (default rtol 1e-7)
    with pytest.raises(FileExistsError):
        answers.save_checkpoint({"a": torch.zeros(5)}, path, 0)  # a checkpoint is never silently overwritten
    verdict.close("kept", torch.load(path)["a"])  # the first checkpoint, untouched: exact (default rtol 1e-7)
    verdict.equal("other ranks never write", [int(bool(answers.save_checkpoint(state, path, r))) for r in (1, 3)])


@pytest.mark.parametrize("steps,lr,seed,n,d,hidden", [(7, 0.05, 3, 48, 6, 5), (12, 0.2, 9, 20, 3, 7)])
def test_ddp_equals_single_process_hidden(answers, verdict, tmp_path, steps, lr, seed, n, d, hidden):
    helpers.warm_up()
    cfg = answers.DDPConfig(init_method=f"file://{tmp_path}/rdv", checkpoint=str(tmp_path / "final.pt"),
                            steps=steps, lr=lr, seed=seed, n=n, d=d, hidden=hidden)
    codes = helpers.run_ranks(answers.train_ddp, cfg)
    verdict.equal("exit codes", [-1 if c is None else c for c in codes])
    assert codes == [0, 0], f"train_ddp exit codes {codes} (None: hung and was killed)"
    verdict.equal("checkpoints", ",".join(sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".pt")))
    # float64 with equal shards: DDP and full-batch SGD agree to ~1e-16 (measured); summed gradients
    # (a doubled step) or gradients that accumulate over steps miss by ~1e-2
    verdict.close("parameters", flat(torch.load(cfg.checkpoint)), rtol=0, atol=1e-6)


def test_ddp_dead_peer_is_an_error_not_a_hang(answers, verdict, tmp_path):
    timeout_s = 1.5
    code, error, seconds = helpers.lonely(answers.train_ddp, answers.DDPConfig, tmp_path, 1, timeout_s, steps=3)
    verdict.equal("exit code", code)  # rank 0 never comes: 1 (an error), never -1 (hung, killed) or 0
    verdict.equal("error", error)
    assert seconds >= 0.9 * timeout_s, f"rank 1 gave up after {seconds:.1f} s, before its timeout of {timeout_s} s"
    assert not (tmp_path / "ckpt.pt").exists(), "a rank that failed wrote a checkpoint"
