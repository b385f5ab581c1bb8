"""The training loop as a generator of events.

``train(config)`` yields :mod:`rnntui.engine.events` and nothing else, so the
CLI, the TUI and the tests drive the exact same loop. Steps run on PyTorch's
fused kernels; every ``probe_every`` steps the step runs through the
step-by-step loop instead, whose backward pass yields both the exact
per-timestep gradients and the update (the same gradient, to rounding).
"""

from __future__ import annotations

import math
import time
from typing import Iterator

import torch

from .config import STREAMING_TASKS, RunConfig
from .control import RunControl
from .device import prepare_device
from .events import Evaluation, Event, ProbeResult, RunFinished, RunStarted, StepMetrics
from .model import RecurrentModel, detach_state
from .optim import PopulationOptimizer, clip_gradients, member_grad_norms
from .probes import (gradient_reach, group_grad_norms, retain_hidden_grads, spectral_radius,
                     timestep_grad_norms)
from .tasks import make_task
from .tasks.base import Batch, Task

EVALUATIONS_PER_STREAMING_RUN = 20
EVAL_CHUNK = 2048
BATCH_ORDER_SEED_OFFSET = 1


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


class Trainer:
    """One run's live objects: device, task, model, optimizer, validation data.

    Front ends that inspect the model (loss slices, Jacobian products) keep the
    trainer and read ``model``/``task``/``validation`` while the run is paused
    or over; :meth:`run` is the event stream.
    """

    def __init__(self, config: RunConfig):
        self.config = config
        self.device, self.device_label = prepare_device(config)
        self.task = make_task(config)
        self.model = RecurrentModel.for_task(config, self.task).to(self.device)
        self.validation = self.task.validation_batch().to(self.device)

    def run(self, control: RunControl | None = None) -> Iterator[Event]:
        """Train, yielding events; ends with exactly one ``RunFinished``."""
        yield from _run(self.config, self.task, self.model, self.validation, self.device_label,
                        control or RunControl())


def train(config: RunConfig, control: RunControl | None = None) -> Iterator[Event]:
    """Train one run, yielding events; set-up errors surface on the first ``next()``."""
    yield from Trainer(config).run(control)


def _run(config: RunConfig, task: Task, model: RecurrentModel, validation: Batch, device_label: str,
         control: RunControl) -> Iterator[Event]:
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
    losses_since_eval: list[float] = []
    clock = _Clock()
    step = 0
    while step < total:
        clock.pause()
        go_on = control.gate()
        clock.resume()
        if not go_on:
            yield RunFinished("stopped", step, f"stopped by the user after step {step} of {total}")
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
        loss_value = loss.item()
        grad_norm = member_grad_norms(params)[0].item()
        if not _finite(loss_value, grad_norm):
            yield RunFinished("diverged", step, f"diverged at step {step}: loss {loss_value:g}, "
                                                f"gradient norm {grad_norm:g}")
            return
        clip_gradients(params, config.clip, [config.clip_threshold])
        clipped_norm = member_grad_norms(params)[0].item() if config.clip != "none" else grad_norm
        if probing:
            yield _probe_result(step, model, groups, forward, grad_norm, clipped_norm)
        optimizer.step()
        losses_since_eval.append(loss_value)
        epoch = step / per_epoch if not task.streaming else float(step)
        yield StepMetrics(step, epoch, loss_value, grad_norm, clipped_norm, clock.rate(step))
        if step in eval_at:
            yield _evaluation(step, epoch, model, task, validation, losses_since_eval)
            losses_since_eval = []
            view = _in_eval_mode(model, task.view, step)
            if view is not None:
                yield view
    yield RunFinished("finished", step)


def _probe_result(step, model, groups, forward, grad_norm, clipped_norm) -> ProbeResult:
    profile = timestep_grad_norms(forward.hidden)[0].tolist()
    # The LSTM's memory runs through c_t: its gradient can outlive the one through h_t.
    cell_profile = tuple(timestep_grad_norms(forward.cells)[0].tolist()) if forward.cells else ()
    radius = tuple(spectral_radius(layer.w_hh[0]) for layer in model.layers) \
        if model.cell in ("rnn_tanh", "rnn_relu") else ()
    return ProbeResult(step=step, grad_per_timestep=tuple(profile), grad_norm=grad_norm,
                       clipped_norm=clipped_norm, layer_norms=group_grad_norms(groups),
                       spectral_radius=radius, reach=gradient_reach(profile),
                       cell_grad_per_timestep=cell_profile)


def _evaluation(step, epoch, model, task, validation, train_losses) -> Evaluation:
    val_loss, metrics = evaluate(model, task, validation)
    values = {name: float(value[0]) for name, value in metrics.items()}
    values.update(_in_eval_mode(model, task.model_metrics))
    return Evaluation(step=step, epoch=epoch, train_loss=sum(train_losses) / len(train_losses),
                      val_loss=float(val_loss[0]), metrics=values, success=task.success(values))


def _in_eval_mode(model, function, *args):
    model.eval()
    try:
        return function(model, *args)
    finally:
        model.train()
