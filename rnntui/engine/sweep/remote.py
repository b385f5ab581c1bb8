"""Sweeps on a Ray cluster: each value of the grid is a Ray task, its results stream back as it lands.

A task holds every cell and repeat of one value (the runs that share a data
set) and trains them with the local sweep's own code, in the same
populations, so every run is bit for bit the run a local sweep makes. Chunks
are made lazily, a bounded number in flight, so a grid of millions never sits
in memory. A task whose worker
dies is retried by Ray; a task returns its runs only once all of them are
trained, so a retry neither loses a run nor counts one twice. Stopping
cancels what has not landed and keeps what has.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from typing import Iterator

from ..config import ConfigError
from ..control import RunControl
from ..device import prepare_device
from ..tasks import make_task, task_class
from .events import SweepEvent, SweepFinished, SweepPointResult, SweepProgress, SweepStarted
from .populations import Run, SweepSpec, _Sweeper, data_key

RUNS_PER_CPU = 16          # a task asks for one CPU per this many members (the kernel spreads them over threads)
MAX_RUNS_PER_TASK = 256    # a value with more runs than this is split over tasks between its cells
IN_FLIGHT_PER_CPU = 2      # tasks queued per cluster CPU: enough to keep every core busy
RETRIES = 3                # attempts after a worker dies
WAIT_SECONDS = 0.2         # how often the stream looks at the stop button while waiting


def connect(address: str):
    """Ray, connected to ``address`` ("" starts a local instance); a missing Ray is a ConfigError."""
    try:
        import ray
    except ImportError:
        raise ConfigError({"ray": "Ray is not installed: pip install 'rnntui[ray]'"}) from None
    if not ray.is_initialized():
        options = {"address": address} if address else {"include_dashboard": False}
        try:
            ray.init(**options, logging_level=logging.WARNING, log_to_driver=False)
        except ConnectionError as exc:
            reason = " ".join(str(exc).split())
            raise ConfigError({"ray": f"cannot reach a Ray cluster at {address!r}: {reason}"}) from None
    return ray


def train_chunk(spec: SweepSpec, runs: list[Run], threads: int) -> list[SweepPointResult]:
    """One Ray task: ``runs`` trained exactly as the local sweep trains them, on ``threads`` threads."""
    spec = dataclasses.replace(spec, threads=threads, ray=None)
    prepare_device(spec.base)
    tasks = {data_key(run.config): make_task(run.config) for run in runs}
    return [e for e in _Sweeper(spec, RunControl()).run_chunk(runs, tasks) if isinstance(e, SweepPointResult)]


def chunks(spec: SweepSpec) -> Iterator[list[Run]]:
    """The runs of one value at a time, as the local sweep's chunks hold whole values.

    A value with more than MAX_RUNS_PER_TASK runs is split between cells,
    never inside one: a population trains whole, as it does locally.
    """
    chunk: list[Run] = []
    for run in spec.runs():
        full = len(chunk) >= MAX_RUNS_PER_TASK and run.cell != chunk[-1].cell
        if chunk and (run.value != chunk[0].value or full):
            yield chunk
            chunk = []
        chunk.append(run)
    if chunk:
        yield chunk


class _Cluster:
    """What the cluster offers and what each task asks of it, in Ray's own resource terms."""

    def __init__(self, ray, spec: SweepSpec):
        resources = ray.cluster_resources()
        self.cpus = int(resources.get("CPU", 1))
        self.gpus = int(resources.get("GPU", 0))
        self.node_cpus = max((int(node["Resources"].get("CPU", 1)) for node in ray.nodes() if node["Alive"]),
                             default=1)
        if spec.base.device == "cuda" and not self.gpus:
            raise ConfigError({"device": "cuda was asked for but the Ray cluster has no GPU"})
        self.use_gpu = spec.base.device == "cuda" or (spec.base.device == "auto" and self.gpus > 0)

    def task_cpus(self, runs: int) -> int:
        return max(1, min(self.node_cpus, math.ceil(runs / RUNS_PER_CPU)))

    def in_flight(self) -> int:
        return max(2, IN_FLIGHT_PER_CPU * (self.gpus if self.use_gpu else self.cpus))

    def label(self, address: str) -> str:
        where = address or "a local Ray instance"
        gpus = f", {self.gpus} GPU{'s' if self.gpus != 1 else ''}" if self.gpus else ""
        unit = "a GPU per task" if self.use_gpu else f"1 CPU per {RUNS_PER_CPU} runs"
        return f"Ray on {where} ({self.cpus} CPUs{gpus}; one task per value, {unit})"


def ray_sweep(spec: SweepSpec, control: RunControl) -> Iterator[SweepEvent]:
    """The sweep on Ray, as the same event stream as a local sweep; ends with one ``SweepFinished``."""
    spec.validate()
    ray = connect(spec.ray)
    cluster = _Cluster(ray, spec)
    task = task_class(spec.base.task)
    remote = ray.remote(train_chunk)
    total = spec.total_runs
    started = time.perf_counter()
    yield SweepStarted(spec.preset, spec.field, tuple(spec.values), tuple(spec.cells), spec.repeats, total,
                       cluster.label(spec.ray), task.metric_name, task.metric_goal)
    waiting = chunks(spec)
    pending: dict = {}
    done, more = 0, True
    try:
        while more or pending:
            while more and len(pending) < cluster.in_flight() and not (control.paused or control.stop_requested):
                chunk = next(waiting, None)
                if chunk is None:
                    more = False
                    break
                cpus = cluster.task_cpus(len(chunk))
                pending[remote.options(num_cpus=cpus, num_gpus=int(cluster.use_gpu), max_retries=RETRIES)
                        .remote(spec, chunk, cpus)] = len(chunk)
            if control.stop_requested:
                yield SweepFinished("stopped", done, time.perf_counter() - started,
                                    f"stopped by the user after {done} of {total} runs")
                return
            if not pending:
                time.sleep(WAIT_SECONDS)        # paused before anything was queued
                continue
            ready, _ = ray.wait(list(pending), num_returns=1, timeout=WAIT_SECONDS)
            for ref in ready:
                del pending[ref]
                for result in ray.get(ref):
                    done += 1
                    yield result
                elapsed = time.perf_counter() - started
                yield SweepProgress(done / total, done, total, elapsed, elapsed * (total - done) / done)
    finally:
        for ref in pending:
            ray.cancel(ref, force=True)
    yield SweepFinished("finished", done, time.perf_counter() - started)
