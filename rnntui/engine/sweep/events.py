"""What a sweep tells its front ends: plain frozen dataclasses, safe across threads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Union

from ..config import RunConfig


@dataclass(frozen=True)
class SweepStarted:
    preset: str
    field: str                    # the config field varied, e.g. "seq_len"
    values: tuple                 # its grid, in order
    cells: tuple[str, ...]
    repeats: int
    total_runs: int               # cells x values x repeats
    backend: str                  # e.g. "compiled kernel, 2 threads" or "PyTorch on cpu"
    metric_name: str
    metric_goal: Literal["max", "min"]


@dataclass(frozen=True)
class SweepPointResult:
    """One finished (or diverged) training run of the sweep."""

    cell: str
    value: object                 # the swept field's value for this run
    repeat: int
    seed: int
    status: Literal["finished", "diverged"]
    steps: int                    # optimizer steps done (the diverging step, if diverged)
    train_loss: float | None      # mean minibatch loss over the last epoch (None if diverged)
    val_loss: float | None
    metrics: dict[str, float] = field(default_factory=dict)   # final validation metrics (empty if diverged)
    success: bool | None = None
    config: RunConfig | None = None


@dataclass(frozen=True)
class SweepProgress:
    fraction: float               # of the whole sweep's work, 0..1
    runs_done: int
    total_runs: int
    elapsed: float                # seconds
    eta: float | None             # seconds left, None until there is a rate


@dataclass(frozen=True)
class SweepFinished:
    status: Literal["finished", "stopped"]
    runs_done: int
    elapsed: float
    message: str = ""


SweepEvent = Union[SweepStarted, SweepPointResult, SweepProgress, SweepFinished]
