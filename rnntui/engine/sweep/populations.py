"""Sweeps: one config field over a grid × cells × repeats, every run exact.

Each run of a sweep is the run ``train(config)`` would do for its config (same
data, init, batch order and optimizer trajectory); the sweep only shares the
computation. Runs whose model is one unit on one input feature go to the
compiled kernel (:mod:`.kernel`), where every member steps through its
own sequence length (no padding work) and the members are spread over the
cores. Everything else trains as a PyTorch population per architecture and
length, one optimizer step for all members at once. Runs that differ only in
the model share one data set. Results land chunk by chunk, value after
value with every repeat, so a live curve grows point by finished point.
"""

from __future__ import annotations

import functools
import math
import os
import statistics
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Iterable, Iterator

import torch

from ..config import CELLS, ConfigError, RunConfig, build_config
from ..control import RunControl
from ..device import prepare_device, resolve_device
from ..model import RecurrentModel, detach_state
from ..optim import PopulationOptimizer, clip_gradients, member_grad_norms
from ..resources import check_sweep
from .grid import (BACKENDS, LATCHING_CELLS, LATCHING_LENGTHS, LATCHING_REPEATS, SWEEPABLE_FIELDS,
                   check_ray_address)
from .events import SweepEvent, SweepFinished, SweepPointResult, SweepProgress, SweepStarted
from .kernel import KernelBatch, KernelUnavailable, kernel_member, load, unsupported
from ..tasks import make_task
from ..tasks.base import Task, stack_batches
from ..training import BATCH_ORDER_SEED_OFFSET, batch_stream, evaluate, evaluation_steps, total_steps

# Model and training fields: a task's data never depends on them, so runs differing only here share data.
MODEL_FIELDS = ("cell", "hidden_size", "layers", "init", "init_std", "forget_bias", "single_bias",
                "gate_activation", "input_dropout", "optimizer", "lr", "momentum", "clip", "clip_threshold",
                "epochs", "probe_every", "eval_every", "device")
# Per-member hyperparameters a PyTorch population can hold (PopulationOptimizer, clip_gradients).
MEMBER_FIELDS = ("seed", "lr", "momentum", "clip_threshold")
PROGRESS_SLICES = 10
CHUNK_RUNS = 4096      # runs made and trained at once, whatever the repeats
MAX_RUNS = 1_000_000   # each finished run is kept (about 2 KB) for the curve and the CSV
_DEFAULTS = RunConfig()


@dataclass(frozen=True)
class Run:
    cell: str
    value: object
    repeat: int
    config: RunConfig


@dataclass(frozen=True)
class SweepSpec:
    """What to sweep. Repeat ``r`` uses seed ``base.seed + r`` in every cell and at every value."""

    base: RunConfig
    field: str = "seq_len"
    values: tuple = LATCHING_LENGTHS
    cells: tuple[str, ...] = LATCHING_CELLS
    repeats: int = LATCHING_REPEATS
    preset: str = "sweep"
    backend: str = "auto"
    threads: int = 0               # 0: one per available core
    memory_mb: int = 512           # data held at once; bounds the chunk size
    ray: str | None = None         # None: this machine; else a Ray address ("" starts a local instance)

    @property
    def total_runs(self) -> int:
        return len(self.values) * len(self.cells) * self.repeats

    def validate(self) -> None:
        """Raise a ConfigError naming every problem of the spec (the grid, cells, repeats, backend)."""
        errors = {}
        unused = self.base.unused_fields()
        if self.field not in SWEEPABLE_FIELDS:
            errors["field"] = f"{self.field!r} cannot be swept; choose one of {', '.join(SWEEPABLE_FIELDS)}"
        elif self.field in unused:
            errors["field"] = f"{self.field} is not used by this run: {unused[self.field]}"
        if not self.values:
            errors["values"] = "the grid is empty"
        elif len(set(self.values)) < len(self.values):
            errors["values"] = f"{_repeated(self.values)} appears more than once; each value is one point"
        if not self.cells or any(cell not in CELLS for cell in self.cells):
            errors["cells"] = f"{','.join(self.cells) or 'nothing'} is not a list of {', '.join(CELLS)}"
        elif len(set(self.cells)) < len(self.cells):
            errors["cells"] = f"{_repeated(self.cells)} appears more than once"
        if self.repeats < 1:
            errors["repeats"] = f"{self.repeats} is not a positive count"
        elif self.total_runs > MAX_RUNS:
            errors["repeats"] = (f"{len(self.values)} values x {len(self.cells)} cells x {self.repeats} repeats "
                                 f"= {self.total_runs:,} runs, more than the {MAX_RUNS:,} a sweep may hold; "
                                 "lower the repeats or the grid")
        if self.backend not in BACKENDS:
            errors["backend"] = f"{self.backend!r} is not one of {', '.join(BACKENDS)}"
        if self.ray is not None:
            try:
                check_ray_address(self.ray)
            except ConfigError as exc:
                errors.update(exc.errors)
        if errors:
            raise ConfigError(errors, "sweep")

    def runs(self) -> Iterator[Run]:
        """Every run, value by value (a chunk holds every repeat of a value), made as they are read;
        validates the spec first."""
        self.validate()
        return (Run(cell, value, repeat, self._config(cell, value, repeat))
                for value in self.values for cell in self.cells for repeat in range(self.repeats))

    def points(self) -> list[Run]:
        """The first repeat of every (value, cell): the runs that differ in more than the seed."""
        self.validate()
        return [Run(cell, value, 0, self._config(cell, value, 0)) for value in self.values for cell in self.cells]

    def _config(self, cell: str, value, repeat: int) -> RunConfig:
        changes = {"cell": cell, self.field: value, "seed": self.base.seed + repeat}
        if cell not in ("lstm", "gru"):
            changes["gate_activation"] = "sigmoid"    # gates exist only in lstm/gru
        return build_config(changes, base=self.base, source=f"sweep {cell} {self.field}={value}")

    @property
    def threads_used(self) -> int:
        if self.threads:
            return self.threads
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@functools.lru_cache(maxsize=2 * CHUNK_RUNS)
def data_key(config: RunConfig) -> RunConfig:
    """The config with every model field at its default: equal keys mean equal data."""
    return config.replace(**{name: getattr(_DEFAULTS, name) for name in MODEL_FIELDS})


@functools.lru_cache(maxsize=2 * CHUNK_RUNS)
def population_key(config: RunConfig) -> RunConfig:
    """Runs with equal keys train as one PyTorch population (dropout masks are per population: alone)."""
    if config.input_dropout > 0:
        return config
    return config.replace(**{name: getattr(_DEFAULTS, name) for name in MEMBER_FIELDS})


# -- aggregation ---------------------------------------------------------------


@dataclass(frozen=True)
class CurvePoint:
    cell: str
    value: object
    runs: int
    diverged: int
    mean: float                     # of the final metric over runs that did not diverge (nan if none)
    std: float                      # sample standard deviation (0 for a single run)
    success_fraction: float | None  # over all runs, diverged ones failing; None without a criterion


def aggregate(results: list[SweepPointResult], metric: str) -> list[CurvePoint]:
    """Mean ± std of the final ``metric`` and the success fraction per (cell, value), in first-seen order."""
    groups: dict[tuple, list[SweepPointResult]] = {}
    for result in results:
        groups.setdefault((result.cell, result.value), []).append(result)
    points = []
    for (cell, value), members in groups.items():
        scores = [r.metrics[metric] for r in members if r.status == "finished" and metric in r.metrics]
        verdicts = [r.success for r in members]
        judged = any(v is not None for v in verdicts)
        points.append(CurvePoint(
            cell=cell, value=value, runs=len(members), diverged=sum(r.status == "diverged" for r in members),
            mean=statistics.fmean(scores) if scores else math.nan,
            std=statistics.stdev(scores) if len(scores) > 1 else (0.0 if scores else math.nan),
            success_fraction=sum(bool(v) for v in verdicts) / len(members) if judged else None))
    return points


# -- the sweep -----------------------------------------------------------------


def _repeated(items: tuple) -> str:
    return next(str(item) for index, item in enumerate(items) if item in items[:index])


def _kernel_reason(spec: SweepSpec, config: RunConfig, task: Task) -> str | None:
    """Why this run cannot use the kernel (None: it will)."""
    if spec.backend == "torch":
        return "PyTorch backend chosen"
    if config.device == "cuda":
        return "device=cuda"
    try:
        load()
    except KernelUnavailable as exc:
        return str(exc)
    return unsupported(config, task)


class _BatchOrders:
    """The minibatch rows ``train()`` draws, step by step, from the task's own batch code.

    The task's ``train_batches`` runs on a stand-in data set of row numbers, so
    the order is exactly train()'s; it depends on the seed and the data set
    size only, and is cached per seed.
    """

    def __init__(self) -> None:
        self._cache: dict[tuple, torch.Tensor] = {}

    def __call__(self, task: Task, seed: int, steps: int) -> torch.Tensor:
        n = task.train_inputs.shape[0]
        key = (seed, n, task.config.batch_size, steps)
        if key not in self._cache:
            if len(self._cache) >= CHUNK_RUNS:   # a sweep of many repeats: bounded, rebuilt when needed
                self._cache.clear()
            stand_in = type(task).__new__(type(task))
            stand_in.__dict__.update(task.__dict__, train_inputs=torch.arange(n), train_targets=torch.arange(n))
            stream = batch_stream(stand_in, torch.Generator().manual_seed(seed + BATCH_ORDER_SEED_OFFSET))
            order = torch.full((steps, task.config.batch_size), -1, dtype=torch.int64)
            for step in range(steps):
                rows = next(stream).inputs[0]
                order[step, :rows.shape[0]] = rows
            self._cache[key] = order
        return self._cache[key]


def _last_epoch_mean(losses: list[float] | torch.Tensor, config: RunConfig, task: Task, steps: int) -> float:
    """Mean minibatch loss since the previous evaluation, as ``Evaluation.train_loss``."""
    previous = max((s for s in evaluation_steps(config, task) if s < steps), default=0)
    return float(torch.as_tensor(losses[previous:steps], dtype=torch.float64).mean())


def _result(run: Run, task: Task, steps: int, diverged_at: int, train_loss: float,
            val_loss: torch.Tensor, metrics: dict[str, torch.Tensor], index: int) -> SweepPointResult:
    """Member ``index``'s final numbers; a diverged run has none and fails the task's criterion."""
    if diverged_at:
        judged = type(task).success is not Task.success
        return SweepPointResult(run.cell, run.value, run.repeat, run.config.seed, "diverged", diverged_at,
                                None, None, {}, False if judged else None, run.config)
    values = {name: float(value[index]) for name, value in metrics.items()}
    return SweepPointResult(run.cell, run.value, run.repeat, run.config.seed, "finished", steps, train_loss,
                            float(val_loss[index]), values, task.success(values), run.config)


class _Sweeper:
    def __init__(self, spec: SweepSpec, control: RunControl):
        self.spec = spec
        self.control = control
        self.threads = max(1, spec.threads_used)
        self.orders = _BatchOrders()
        self.started = time.perf_counter()
        self.done_work = 0.0
        self.total_work = 1.0
        self.results = 0
        self.total_runs = 0

    # -- bookkeeping ------------------------------------------------------
    @staticmethod
    def work(run: Run, steps: int) -> float:
        return steps * run.config.seq_len * run.config.hidden_size * (3 if run.cell in ("lstm", "gru") else 1)

    def progress(self) -> SweepProgress:
        elapsed = time.perf_counter() - self.started
        fraction = min(1.0, self.done_work / self.total_work)
        eta = elapsed * (1 - fraction) / fraction if fraction > 0 else None
        return SweepProgress(fraction, self.results, self.total_runs, elapsed, eta)

    def finished(self, status: str, message: str = "") -> SweepFinished:
        return SweepFinished(status, self.results, time.perf_counter() - self.started, message)

    # -- chunks -----------------------------------------------------------
    def chunks(self, runs: Iterable[Run]) -> Iterator[list[Run]]:
        """Consecutive runs (at most CHUNK_RUNS) whose data fits half the memory budget (the next
        chunk is built meanwhile)."""
        budget = self.spec.memory_mb * 2**20 // 2
        chunk, keys, used = [], set(), 0
        for run in runs:
            key = data_key(run.config)
            size = 0 if key in keys else run.config.n_samples * run.config.seq_len * 8
            if chunk and ((size and used + size > budget) or len(chunk) >= CHUNK_RUNS):
                yield chunk
                chunk, keys, used = [], set(), 0
                size = run.config.n_samples * run.config.seq_len * 8
            chunk.append(run)
            keys.add(key)
            used += size
        if chunk:
            yield chunk

    def prepare(self, runs: list[Run], pool: ThreadPoolExecutor) -> dict[RunConfig, Future]:
        """Start building the chunk's data sets (one per data key) in the background."""
        configs = {data_key(run.config): run.config for run in runs}
        return {key: pool.submit(make_task, config) for key, config in configs.items()}

    def run_chunk(self, runs: list[Run], tasks: dict[RunConfig, Task]) -> Iterator[SweepEvent]:
        """Train one chunk; returns early (after yielding nothing more) when stopped."""
        kernel: dict[tuple, list[Run]] = {}
        populations: dict[RunConfig, list[Run]] = {}
        for run in runs:
            task = tasks[data_key(run.config)]
            if _kernel_reason(self.spec, run.config, task) is None:
                kernel.setdefault((total_steps(run.config, task), run.config.batch_size), []).append(run)
            else:
                populations.setdefault(population_key(run.config), []).append(run)
        for group in kernel.values():
            if self.control.stop_requested:
                return
            yield from self.kernel_runs(group, tasks)
        for group in populations.values():
            if self.control.stop_requested:
                return
            yield from self.population_runs(group, tasks)

    # -- the compiled kernel -----------------------------------------------
    def kernel_runs(self, runs: list[Run], tasks: dict[RunConfig, Task]) -> Iterator[SweepEvent]:
        members, steps = [], None
        for run in runs:
            task = tasks[data_key(run.config)]
            steps = total_steps(run.config, task)
            model = RecurrentModel.for_task(run.config, task)
            members.append(kernel_member(run.config, task, model,
                                         self.orders(task, run.config.seed, steps)))
        batch = KernelBatch(members, self.threads)
        try:
            chunk_work = sum(self.work(run, steps) for run in runs)
            bounds = sorted({round(steps * i / PROGRESS_SLICES) for i in range(PROGRESS_SLICES + 1)})
            for begin, end in zip(bounds[:-1], bounds[1:]):
                if not self.control.gate():
                    return
                batch.train(begin, end, runs[0].config.batch_size)
                self.done_work += chunk_work * (end - begin) / steps
                yield self.progress()
            logits = batch.validation_logits()
            diverged = batch.diverged_steps()
        finally:
            batch.close()
        for index, run in enumerate(runs):
            task = tasks[data_key(run.config)]
            val_loss, metrics = torch.zeros(1), {}
            if not diverged[index]:
                targets = task.validation_batch().targets
                val_loss, metrics = task.loss(logits[index], targets), task.metrics(logits[index], targets)
            train_loss = _last_epoch_mean(members[index].losses, run.config, task, steps)
            self.results += 1
            yield _result(run, task, steps, diverged[index], train_loss, val_loss, metrics, 0)
        yield self.progress()

    # -- PyTorch populations -------------------------------------------------
    def population_runs(self, runs: list[Run], tasks: dict[RunConfig, Task]) -> Iterator[SweepEvent]:
        """One PyTorch population, stepped like ``train()`` steps a single run."""
        configs = [run.config for run in runs]
        members = [tasks[data_key(c)] for c in configs]
        task, first = members[0], configs[0]
        device, _ = resolve_device(first.device)
        model = RecurrentModel.for_task(first, task, seeds=[c.seed for c in configs]).to(device)
        params = list(model.parameters())
        optimizer = PopulationOptimizer(params, configs)
        thresholds = [c.clip_threshold for c in configs]
        streams = [batch_stream(t, torch.Generator().manual_seed(c.seed + BATCH_ORDER_SEED_OFFSET))
                   for t, c in zip(members, configs)]
        steps = total_steps(first, task)
        step_work = sum(self.work(run, 1) for run in runs)
        report_every = max(1, steps // PROGRESS_SLICES)
        diverged = torch.zeros(len(runs), dtype=torch.int64, device=device)   # each member's first bad step
        losses: list[torch.Tensor] = []         # read once at the end: no host sync per step
        state = None
        for step in range(1, steps + 1):
            if not self.control.gate():
                return
            batch = stack_batches([next(stream) for stream in streams]).to(device)
            forward = model(batch.inputs, state if task.carries_state else None)
            loss = task.loss(forward.outputs, batch.targets)
            optimizer.zero_grad()
            loss.sum().backward()
            if task.carries_state:
                state = detach_state(forward.state)
            finite = torch.isfinite(loss) & torch.isfinite(member_grad_norms(params))
            diverged = torch.where((diverged == 0) & ~finite, step, diverged)
            clip_gradients(params, first.clip, thresholds)
            optimizer.step()
            losses.append(loss.detach())
            self.done_work += step_work
            if step % report_every == 0:
                yield self.progress()
        validation = stack_batches([t.validation_batch() for t in members]).to(device)
        val_loss, metrics = evaluate(model, task, validation)
        metrics = {name: value.cpu() for name, value in metrics.items()}
        losses_by_step, diverged = torch.stack(losses).cpu(), diverged.tolist()
        for index, run in enumerate(runs):
            train_loss = _last_epoch_mean(losses_by_step[:, index], run.config, task, steps)
            self.results += 1
            yield _result(run, task, steps, diverged[index], train_loss, val_loss.cpu(), metrics, index)
        yield self.progress()


def backend_label(spec: SweepSpec, runs: list[Run], task: Task) -> str:
    """Which engine trains the runs, in words."""
    reasons = {_kernel_reason(spec, run.config, task) for run in runs}
    threads = spec.threads_used
    kernel = f"compiled kernel on {threads} thread{'s' if threads > 1 else ''}"
    torch_part = f"PyTorch on {resolve_device(spec.base.device)[1]}"
    if reasons == {None}:
        return kernel
    why = "; ".join(sorted(r for r in reasons if r))
    return f"{kernel} + {torch_part} ({why})" if None in reasons else f"{torch_part} ({why})"


def sweep(spec: SweepSpec, control: RunControl | None = None) -> Iterator[SweepEvent]:
    """Run a sweep, yielding events; ends with exactly one ``SweepFinished``.

    Runs are made chunk by chunk as the sweep reaches them, so a huge sweep
    costs memory for one chunk (and the results), not for every run up front.
    """
    control = control or RunControl()
    if spec.ray is not None:
        from .remote import ray_sweep     # Ray loads only for a sweep that asks for it

        yield from ray_sweep(spec, control)
        return
    points = spec.points()                      # validates the spec
    check_sweep([run.config for run in points], min(spec.repeats, CHUNK_RUNS), spec.total_runs)
    if spec.backend == "kernel":
        load()                                  # raises KernelUnavailable with the reason
    prepare_device(spec.base)
    sweeper = _Sweeper(spec, control)
    sweeper.total_runs = spec.total_runs
    chunks = sweeper.chunks(spec.runs())
    pool = ThreadPoolExecutor(sweeper.threads)
    try:
        chunk = next(chunks)
        pending = sweeper.prepare(chunk, pool)
        tasks = {key: future.result() for key, future in pending.items()}
        first = next(iter(tasks.values()))
        if spec.backend == "kernel":
            problems = {_kernel_reason(spec, run.config, first) for run in points} - {None}
            if problems:
                raise ConfigError({"backend": "the kernel cannot train every run: " + "; ".join(sorted(problems))})
        # Repeats differ only in the seed, which changes neither the work nor the backend.
        sweeper.total_work = spec.repeats * sum(sweeper.work(run, total_steps(run.config, first))
                                                for run in points) or 1.0
        yield SweepStarted(spec.preset, spec.field, tuple(spec.values), tuple(spec.cells), spec.repeats,
                           spec.total_runs, backend_label(spec, points, first), first.metric_name,
                           first.metric_goal)
        while chunk is not None:
            following = next(chunks, None)
            pending = sweeper.prepare(following, pool) if following is not None else {}
            yield from sweeper.run_chunk(chunk, tasks)
            del tasks
            if control.stop_requested:
                yield sweeper.finished("stopped", f"stopped by the user after {sweeper.results} of "
                                                  f"{spec.total_runs} runs")
                return
            chunk = following
            tasks = {key: future.result() for key, future in pending.items()}
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    yield sweeper.finished("finished")
