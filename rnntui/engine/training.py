"""The training loop as a generator of events.

``train(config)`` yields :mod:`rnntui.engine.events` and nothing else, so the
CLI, the TUI and the tests drive the exact same loop. Steps run on PyTorch's
fused kernels; every ``probe_every`` steps the step runs through the
step-by-step loop instead, whose backward pass yields both the exact
per-timestep gradients and the update (the same gradient, to rounding).

Numbers cross from the device to Python only through
:func:`.device.to_host`. On the CPU every step is read at once; on a GPU
(``sync_each_step=False``) the loss and gradient norms stay on the device and
are read together at probes, evaluations, pauses and UI refreshes, since
a sync per step can cost more than a small model's step.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Generator, Iterator

import torch

from .config import STREAMING_TASKS, RunConfig
from .control import RunControl
from .device import prepare_device, to_host
from .events import Evaluation, Event, ProbeResult, RunFinished, RunStarted, StepMetrics
from .model import RecurrentModel, detach_state
from .optim import PopulationOptimizer, clip_gradients, member_grad_norms
from .probes import (gradient_reach, group_grad_squares, radius_tensor, retain_hidden_grads,
                     timestep_grad_norms)
from .resources import check_run
from .tasks import make_task
from .tasks.base import Batch, Task

EVALUATIONS_PER_STREAMING_RUN = 20
EVAL_CHUNK = 2048
BATCH_ORDER_SEED_OFFSET = 1
REFRESH_SECONDS = 0.1       # without per-step syncs: the longest a front end waits for the device's numbers


def total_steps(config: RunConfig, task: Task) -> int:
    return config.iterations if task.streaming else config.epochs * task.steps_per_epoch()


def evaluation_steps(config: RunConfig, task: Task) -> set[int]:
    """Steps after which to validate: each epoch end, every ``eval_every``, and the last."""
    total = total_steps(config, task)
    every = config.eval_every
    if not every:
        every = task.steps_per_epoch() if not task.streaming else max(1, total // EVALUATIONS_PER_STREAMING_RUN)
    return {step for step in range(every, total + 1, every)} | {total}


def batch_stream(task: Task, generator: torch.Generator) -> Iterator[Batch]:
    """Endless minibatches: epoch after epoch, each reshuffled by ``generator``."""
    while True:
        yield from task.train_batches(generator)


@torch.no_grad()
def evaluate(model: RecurrentModel, task: Task, batch: Batch) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Validation loss ``[P]`` and metrics, in chunks so big test sets fit in memory."""
    was_training = model.training
    model.eval()
    outputs = torch.cat([model(batch.inputs[:, start:start + EVAL_CHUNK]).outputs
                         for start in range(0, batch.size, EVAL_CHUNK)], dim=1)
    model.train(was_training)
    return task.loss(outputs, batch.targets), task.metrics(outputs, batch.targets)


def _finite(*values: float) -> bool:
    return all(math.isfinite(v) for v in values)


def _diverged(step: int, loss: float, grad_norm: float) -> RunFinished:
    return RunFinished("diverged", step, f"diverged at step {step}: loss {loss:g}, gradient norm {grad_norm:g}")


class _Clock:
    """Steps per second over active (unpaused) time."""

    def __init__(self) -> None:
        self.active = 0.0
        self._since = time.perf_counter()

    def pause(self) -> None:
        self.active += time.perf_counter() - self._since

    def resume(self) -> None:
        self._since = time.perf_counter()

    def rate(self, steps: int) -> float:
        elapsed = self.active + time.perf_counter() - self._since
        return steps / elapsed if elapsed > 0 else 0.0


@dataclass(frozen=True)
class _Unread:
    """A step taken whose numbers are still on the device."""

    step: int
    epoch: float
    rate: float
    loss: torch.Tensor
    grad_norm: torch.Tensor
    clipped_norm: torch.Tensor


class _StepReader:
    """Steps' loss and gradient norms, read from the device in one transfer when the loop asks.

    Divergence is checked on what is read, in step order, so the first
    non-finite step is the one reported however late it is read.
    """

    def __init__(self) -> None:
        self.unread: list[_Unread] = []
        self.train_losses: list[float] = []     # since the previous evaluation
        self.last_read = time.perf_counter()

    def read(self) -> Generator[StepMetrics, None, RunFinished | None]:
        """Yield the unread steps' metrics; return ``RunFinished`` if one of them diverged."""
        rows, self.unread = self.unread, []
        self.last_read = time.perf_counter()
        if not rows:
            return None
        columns = to_host(*(torch.stack([getattr(row, name) for row in rows])
                            for name in ("loss", "grad_norm", "clipped_norm")))
        for row, loss, grad_norm, clipped_norm in zip(rows, *columns):
            if not _finite(loss, grad_norm):
                return _diverged(row.step, loss, grad_norm)
            yield self.taken(row.step, row.epoch, loss, grad_norm, clipped_norm, row.rate)
        return None

    def taken(self, step, epoch, loss, grad_norm, clipped_norm, rate) -> StepMetrics:
        self.train_losses.append(loss)
        return StepMetrics(step, epoch, loss, grad_norm, clipped_norm, rate)


class Trainer:
    """One run's live objects: device, task, model, optimizer, validation data.

    Front ends that inspect the model (loss slices, Jacobian products) keep the
    trainer and read ``model``/``task``/``validation`` while the run is paused
    or over; :meth:`run` is the event stream.
    """

    def __init__(self, config: RunConfig):
        self.config = config
        check_run(config)     # before any allocation: refuse what cannot fit, with the estimate
        self.device, self.device_label = prepare_device(config)
        self.task = make_task(config)
        self.model = RecurrentModel.for_task(config, self.task).to(self.device)
        self.validation = self.task.validation_batch().to(self.device)

    def run(self, control: RunControl | None = None, *, sync_each_step: bool | None = None,
            refresh_seconds: float = REFRESH_SECONDS) -> Iterator[Event]:
        """Train, yielding events; ends with exactly one ``RunFinished``.

        ``sync_each_step`` (default: on the CPU only) reads every step's numbers
        at once and stops a diverging run before its update; off, they stay on
        the device and are read at probes, evaluations, pauses and every
        ``refresh_seconds`` (the weights of a diverged run then took the
        steps up to that read).
        """
        if sync_each_step is None:
            sync_each_step = self.device.type == "cpu"
        yield from _run(self.config, self.task, self.model, self.validation, self.device_label,
                        control or RunControl(), sync_each_step, refresh_seconds)


def train(config: RunConfig, control: RunControl | None = None, **options) -> Iterator[Event]:
    """Train one run, yielding events; set-up errors surface on the first ``next()``."""
    yield from Trainer(config).run(control, **options)


def _run(config: RunConfig, task: Task, model: RecurrentModel, validation: Batch, device_label: str,
         control: RunControl, sync_each_step: bool, refresh_seconds: float) -> Iterator[Event]:
    device = validation.inputs.device
    params = list(model.parameters())
    optimizer = PopulationOptimizer(params, [config])
    groups = model.parameter_groups()
    total = total_steps(config, task)
    eval_at = evaluation_steps(config, task)
    yield RunStarted(config=config, device=device_label, total_steps=total,
                     steps_per_epoch=0 if task.streaming else task.steps_per_epoch(),
                     metric_name=task.metric_name, metric_goal=task.metric_goal,
                     baseline=task.baseline(), success_rule=task.success_rule, output_at=task.output_at)

    batches = batch_stream(task, torch.Generator().manual_seed(config.seed + BATCH_ORDER_SEED_OFFSET))
    per_epoch = task.steps_per_epoch()
    state = None
    reader = _StepReader()
    clock = _Clock()
    step = 0
    while step < total:
        if control.paused:      # someone is looking at the run: show every step it took
            ended = yield from reader.read()
            if ended:
                yield ended
                return
        clock.pause()
        go_on = control.gate()
        clock.resume()
        if not go_on:
            ended = yield from reader.read()
            yield ended or RunFinished("stopped", step, f"stopped by the user after step {step} of {total}")
            return
        batch = next(batches).to(device)
        step += 1
        probing = config.probe_every > 0 and (step == 1 or step % config.probe_every == 0)
        model.train()
        forward = model(batch.inputs, state if task.carries_state else None, record=probing)
        loss = task.loss(forward.outputs, batch.targets).sum()
        optimizer.zero_grad()
        if probing:
            retain_hidden_grads(forward.hidden + (forward.cells or []))
        loss.backward()
        if task.carries_state:
            state = detach_state(forward.state)
        grad_norm = member_grad_norms(params)[0]
        epoch = step / per_epoch if not task.streaming else float(step)
        if probing or sync_each_step:
            # Read now, before the update: a diverging step is stopped before it moves the weights.
            ended = yield from reader.read()
            loss_value, grad_value = (None, None) if ended else to_host(loss, grad_norm)
            if ended or not _finite(loss_value, grad_value):
                yield ended or _diverged(step, loss_value, grad_value)
                return
            clip_gradients(params, config.clip, [config.clip_threshold])
            clipped = member_grad_norms(params)[0] if config.clip != "none" else None
            if probing:
                probe = _probe_result(step, model, groups, forward, grad_value, clipped)
                yield probe
                clipped_value = probe.clipped_norm
            else:
                clipped_value = to_host(clipped)[0] if clipped is not None else grad_value
            optimizer.step()
            yield reader.taken(step, epoch, loss_value, grad_value, clipped_value, clock.rate(step))
        else:
            clip_gradients(params, config.clip, [config.clip_threshold])
            clipped = member_grad_norms(params)[0] if config.clip != "none" else grad_norm
            optimizer.step()
            reader.unread.append(_Unread(step, epoch, clock.rate(step), loss.detach(), grad_norm, clipped))
            if step in eval_at or time.perf_counter() - reader.last_read >= refresh_seconds:
                ended = yield from reader.read()
                if ended:
                    yield ended
                    return
        if step in eval_at:
            yield _evaluation(step, epoch, model, task, validation, reader.train_losses)
            reader.train_losses = []
            view = _in_eval_mode(model, task.view, step)
            if view is not None:
                yield view
    yield RunFinished("finished", step)


def _probe_result(step, model, groups, forward, grad_norm: float, clipped: torch.Tensor | None) -> ProbeResult:
    """The probe's numbers, read from the device in one transfer."""
    squares = group_grad_squares(groups)
    radii = [radius_tensor(layer.w_hh[0]) for layer in model.layers] \
        if model.cell in ("rnn_tanh", "rnn_relu") else []
    # The LSTM's memory runs through c_t: its gradient can outlive the one through h_t.
    cells = [timestep_grad_norms(forward.cells)[0]] if forward.cells else []
    clipped_part = [clipped] if clipped is not None else []
    values = to_host(timestep_grad_norms(forward.hidden)[0], *cells, *clipped_part, *radii,
                     *(square for group in squares.values() for square in group))
    profile = values.pop(0)
    cell_profile = tuple(values.pop(0)) if cells else ()
    clipped_norm = values.pop(0) if clipped_part else grad_norm
    radius = tuple(values.pop(0) for _ in radii)
    layer_norms = {name: sum(values.pop(0) for _ in group) ** 0.5 for name, group in squares.items()}
    return ProbeResult(step=step, grad_per_timestep=tuple(profile), grad_norm=grad_norm,
                       clipped_norm=clipped_norm, layer_norms=layer_norms,
                       spectral_radius=radius, reach=gradient_reach(profile),
                       cell_grad_per_timestep=cell_profile)


def _evaluation(step, epoch, model, task, validation, train_losses) -> Evaluation:
    val_loss, metrics = evaluate(model, task, validation)
    names = list(metrics)
    val_value, *metric_values = to_host(val_loss[0], *(metrics[name][0] for name in names))
    values = dict(zip(names, metric_values))
    values.update(_in_eval_mode(model, task.model_metrics))
    return Evaluation(step=step, epoch=epoch, train_loss=sum(train_losses) / len(train_losses),
                      val_loss=val_value, metrics=values, success=task.success(values))


def _in_eval_mode(model, function, *args):
    model.eval()
    try:
        return function(model, *args)
    finally:
        model.train()
