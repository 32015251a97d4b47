"""Scale-out: the same per-submission work as a local batch, on a Dask distributed cluster.

    labkit grade 02 submissions/ --out grades/ --cluster tcp://scheduler:8786   # an existing cluster
    labkit grade 02 submissions/ --out grades/ --cluster local                  # a LocalCluster on loopback

Only the grading (`grade.grade_repeated`: the sandboxed worker run and the scoring) happens on a Dask worker.
The client discovers and loads submissions, holds the reference run, and writes every result itself, exactly
as a local batch does (one atomic file per student, so --resume works the same). A Dask worker that dies
mid-task (killed, out of memory, machine lost) costs only the submissions it was running: the scheduler
runs them again elsewhere, and the client takes one result per submission, so nothing is lost or doubled.

Each Dask worker grades in its own sandbox, at the batch's isolation tier (it refuses a tier it cannot
provide), against its own checkout of the kit, which must hold the same lab (checked by digest).
"""
from __future__ import annotations

import contextlib
import os
import socket
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Iterator

from .errors import LabkitSetupError
from .manifest import Lab

LOCAL = "local"


class ClusterError(LabkitSetupError):
    """The cluster cannot grade this batch (unreachable, or a worker without the lab or the isolation tier)."""


def _local_lab(lab: Lab, digest: str, device: str) -> Lab:
    """The lab as this worker's checkout holds it; refuses a checkout whose lab differs from the client's."""
    from . import manifest, reference

    try:
        if reference.lab_digest(lab, device) == digest:
            return lab
    except OSError:
        pass
    try:
        mine = manifest.load(lab.id)
    except (LookupError, manifest.ManifestError) as exc:
        raise ClusterError(f"worker {socket.gethostname()}: lab {lab.id} is not in this checkout ({exc})") from None
    if reference.lab_digest(mine, device) != digest:
        raise ClusterError(f"worker {socket.gethostname()}: lab {lab.id} differs from the client's "
                           "(tests, hidden tests or solution): check out the same commit of the kit on every worker")
    return replace(lab, path=mine.path)  # the client's limits, this machine's folders


def grade_remote(lab: Lab, digest: str, ref, sub, device: str, tier: str, repeat: int) -> dict:
    """Runs on a Dask worker: one submission, graded exactly as a local batch grades it."""
    from . import grading
    from .isolation import sandbox

    why = sandbox.unavailable_reason(tier)
    if why:
        raise ClusterError(f"worker {socket.gethostname()} cannot grade at isolation tier {tier!r}: {why}")
    record = grading.grade_repeated(_local_lab(lab, digest, device), sub, ref, device, tier, repeat)
    record.graded_on = f"{socket.gethostname()}:{os.getpid()}"
    return record


@contextlib.contextmanager
def connect(address: str, workers: int = 0):
    """A Dask client for `address` (tcp://host:port, tls://..., a scheduler file) or `local`."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - a dependency of the kit
        raise ClusterError(f"--cluster needs dask[distributed]: {exc}") from None
    if address == LOCAL:
        from .isolation.sandbox import default_jobs

        n = workers or default_jobs()
        # processes (one grading thread each), loopback only, no dashboard; the sandbox bounds each job's memory
        with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                          dashboard_address=None, memory_limit=0) as cluster, Client(cluster) as client:
            yield client
        return
    kwargs = {"scheduler_file": address} if Path(address).is_file() else {"address": address}
    try:
        client = Client(timeout="20s", **kwargs)
    except (OSError, TimeoutError) as exc:
        raise ClusterError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    with client:
        yield client


def grade_each(address: str, lab: Lab, lab_digest: str, ref, items: list, device: str, tier: str, repeat: int,
               workers: int = 0) -> Iterator[tuple[object, dict]]:
    """(item, record) for each item (sub, ...) as it finishes on the cluster; one record per item, always."""
    if not items:
        return
    from distributed import as_completed

    with connect(address, workers) as client:
        batch = uuid.uuid4().hex[:8]
        owner, futures = {}, []
        for i, item in enumerate(items):
            sub = item[0]
            # each task carries its inputs (lab, reference ~100 KB, sources): the scheduler can rerun it anywhere
            fut = client.submit(grade_remote, lab, lab_digest, ref, sub, device, tier, repeat,
                                key=f"labkit-{lab.id}-{batch}-{i}-{sub.student}", pure=False)
            owner[fut.key] = item
            futures.append(fut)
        for fut in as_completed(futures):
            item = owner.pop(fut.key)  # as_completed yields each future once, whatever the retries
            yield item, fut.result()
        if owner:  # never, but a missing result must not pass silently
            raise ClusterError(f"{len(owner)} submission(s) came back without a result")
