"""The event stream: the only thing a front end learns about a run.

The trainer yields these; the headless CLI prints them, the TUI plots them,
``RunRecord`` keeps them for export. They are plain frozen dataclasses so
they can cross threads and be compared in tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from .config import RunConfig

Status = Literal["running", "paused", "finished", "diverged", "stopped"]


@dataclass(frozen=True)
class RunStarted:
    config: RunConfig
    device: str          # e.g. "cpu (1 thread)" or "cuda:0 (NVIDIA H100)"
    total_steps: int
    steps_per_epoch: int  # 0 for streaming tasks
    metric_name: str      # "accuracy", "mse", ...
    metric_goal: Literal["max", "min"]
    baseline: float | None = None   # the task's memoryless loss (Task.baseline), where it has one
    success_rule: str = ""          # the task's success criterion in words (Task.success_rule)
    output_at: Literal["last", "all"] = "last"   # where the loss reads the model: the last step, or every step


@dataclass(frozen=True)
class StepMetrics:
    """One optimizer step."""

    step: int              # 1-based count of optimizer steps done
    epoch: float           # fractional epoch (step / steps_per_epoch); step count for streams
    loss: float
    grad_norm: float       # global norm before clipping
    clipped_norm: float    # global norm after clipping (== grad_norm without clipping)
    steps_per_second: float


@dataclass(frozen=True)
class Evaluation:
    """Validation (or held-out fresh data) at one point of training."""

    step: int
    epoch: float
    train_loss: float      # mean training loss since the previous evaluation
    val_loss: float
    metrics: dict[str, float] = field(default_factory=dict)   # e.g. {"accuracy": 0.93}
    success: bool | None = None   # the task's success criterion, where it has one


@dataclass(frozen=True)
class ProbeResult:
    """Exact gradient diagnostics of one step."""

    step: int
    grad_per_timestep: tuple[float, ...]   # ‖∂L/∂h_t‖ of the top layer, t = 1..T
    grad_norm: float
    clipped_norm: float
    layer_norms: dict[str, float]          # parameter-group name -> gradient norm
    spectral_radius: tuple[float, ...]     # ρ(W_hh) per layer, vanilla cells only (else empty)
    reach: int                             # steps back the gradient stays >= REACH_FRACTION of its peak
    cell_grad_per_timestep: tuple[float, ...] = ()   # ‖∂L/∂c_t‖ of the top LSTM layer (LSTM only)


@dataclass(frozen=True)
class TaskView:
    """A task-specific picture: sine free-run vs truth, recall true-vs-predicted."""

    step: int
    kind: Literal["sine_generation", "recall_scatter"]
    x: tuple[float, ...]
    truth: tuple[float, ...]
    prediction: tuple[float, ...]


@dataclass(frozen=True)
class RunFinished:
    status: Literal["finished", "diverged", "stopped"]
    step: int
    reason: str = ""


Event = RunStarted | StepMetrics | Evaluation | ProbeResult | TaskView | RunFinished
