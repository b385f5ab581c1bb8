"""What the inspection screen computes, stage by stage, on a copy of a run's model.

The copy is taken only where the weights cannot move: after the run ended, or
while its loop waits at the pause gate (``RunControl.held``). Everything then
runs on the CPU copy, so resuming the run mid-computation changes nothing here.
No Textual in this module; torch loads with it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Iterator

import torch

from rnntui.engine.analysis.jacobian import model_profile
from rnntui.engine.model import RecurrentModel
from rnntui.engine.probes import spectral_radius
from rnntui.engine.analysis.slices import Plane, gradient_slice, random_plane, recurrent_scale_slice
from rnntui.engine.tasks.base import Batch, Task
from rnntui.engine.training import evaluate
from rnntui.ui.session import LiveRun

VALIDATION_CAP = 2048       # sequences per loss evaluation: the plane alone takes (2·PLANE_SIDE + 1)² of them
LINE_SIDE = 20              # points each side of the run on a 1-D slice
PLANE_SIDE = 10             # the plane is (2·PLANE_SIDE + 1)² points
SCALE_POINTS = 41
VANILLA = ("rnn_tanh", "rnn_relu")


@dataclass(frozen=True)
class Snapshot:
    """A run's model at one step, with the validation data its slices are measured on."""

    model: RecurrentModel
    task: Task
    batch: Batch
    step: int
    sequences: int              # validation sequences the run has; ``batch`` holds at most VALIDATION_CAP
    loss: float                 # validation loss of the copy on ``batch``: the point every slice passes through
    weight_norm: float          # ‖θ‖ of the run: the unit of the gradient slice
    rho: float | None           # ρ(W_hh) of layer 1 (vanilla cells)


@dataclass(frozen=True)
class Ranges:
    """How far the slices reach: ``zoom`` scales the gradient slice and the plane; ``seed`` picks the plane."""

    zoom: float = 1.0
    seed: int = 0


def take_snapshot(run: LiveRun) -> Snapshot | None:
    """Copy the run's model if its weights are still (run over, or parked at the pause gate); else None."""
    trainer = run.trainer
    model = trainer.model_copy(run.record.ended)
    if model is None:
        return None
    step = run.record.last_step
    validation = trainer.validation
    batch = Batch(validation.inputs[:, :VALIDATION_CAP].cpu(), validation.targets[:, :VALIDATION_CAP].cpu())
    loss = float(evaluate(model, trainer.task, batch)[0][0])
    weight_norm = math.sqrt(sum(float(p.detach()[0].pow(2).sum()) for p in model.parameters()))
    rho = spectral_radius(model.layers[0].w_hh[0]) if model.cell in VANILLA else None
    return Snapshot(model, trainer.task, batch, step, validation.size, loss, weight_norm, rho)


def symmetric(span: float, side: int) -> torch.Tensor:
    """``2·side + 1`` offsets from −span to span with an exact 0 in the middle (the run itself)."""
    return torch.arange(-side, side + 1, dtype=torch.float64) * (span / side)


def stages(snap: Snapshot, ranges: Ranges, cancelled: Callable[[], bool]) -> Iterator[tuple[str, object]]:
    """("profile", JacobianProfile), ("gradient", Slice), ("scale", Slice), then ("plane", Plane) per row.

    ``cancelled`` is asked before every loss evaluation (a second or more each on a big model): once it
    says True, the slices raise ``Cancelled``, so closing the inspector or quitting never waits for them.
    """
    model, task, batch = snap.model, snap.task, snap.batch
    yield "profile", model_profile(model, batch.inputs[0, 0])
    yield "gradient", gradient_slice(model, task, batch, symmetric(ranges.zoom * snap.weight_norm, LINE_SIDE),
                                     cancelled)
    if snap.rho:   # sweep ρ itself from 0 past 1, so the crossing is always on the plot
        scales = torch.linspace(0, max(2.0, 1.5 * snap.rho), SCALE_POINTS, dtype=torch.float64) / snap.rho
    else:
        scales = torch.linspace(0, 2, SCALE_POINTS, dtype=torch.float64)
    yield "scale", recurrent_scale_slice(model, task, batch, scales, cancelled)
    offsets = symmetric(ranges.zoom, PLANE_SIDE)
    rows = []
    for beta in offsets:   # row by row, so the screen can show progress and a cancelled worker stops early
        rows.append(random_plane(model, task, batch, offsets, beta.view(1), seed=ranges.seed,
                                 cancelled=cancelled).losses)
        yield "plane", Plane(offsets, offsets[:len(rows)], torch.cat(rows))
