"""What every task provides to the trainer.

A task owns its data (generated deterministically from the config's seed),
its loss, its metric and its success criterion. Tensors carry a leading
*population* dimension P: a single run is a population of one, a sweep trains
P independent models in one computation. Tasks build data for one member;
:func:`stack_batches` joins members.

Shapes
------
- ``Batch.inputs``: ``[P, B, T, input_size]`` float, or ``[P, B, T]`` int64
  tokens when ``vocab_size`` is set.
- ``Batch.targets``: ``[P, B]`` int64 class labels, ``[P, B, 1]`` float
  regression targets, or ``[P, B, T, O]`` / ``[P, B, T]`` for per-step outputs.
- model outputs: ``[P, B, O]`` (``output_at == "last"``) or ``[P, B, T, O]``.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator, Literal

import torch
import torch.nn.functional as F

from ..config import RunConfig

if TYPE_CHECKING:  # pragma: no cover
    from ..events import TaskView


@dataclass(frozen=True)
class Batch:
    inputs: torch.Tensor
    targets: torch.Tensor

    def to(self, device: torch.device) -> "Batch":
        return Batch(self.inputs.to(device), self.targets.to(device))

    @property
    def size(self) -> int:
        return self.inputs.shape[1]


def stack_batches(batches: list[Batch]) -> Batch:
    """Join single-member batches (P = 1 each) into one population batch."""
    return Batch(torch.cat([b.inputs for b in batches]), torch.cat([b.targets for b in batches]))


class Task(ABC):
    """One experiment's data and scoring, for one population member."""

    input_size: int = 1
    output_size: int = 1
    vocab_size: int | None = None          # set for token inputs (embedding)
    output_at: Literal["last", "all"] = "last"
    loss_kind: Literal["mse", "cross_entropy", "bce"] = "mse"
    metric_name: str = "mse"
    metric_goal: Literal["max", "min"] = "min"
    success_rule: str = ""                 # the success criterion in words, e.g. "mse < 0.01"
    streaming: bool = False                # fresh data every step (iterations), else epochs over a data set
    carries_state: bool = False            # hidden state carried across steps (truncated BPTT)

    def __init__(self, config: RunConfig):
        self.config = config

    # -- data --------------------------------------------------------------
    @abstractmethod
    def steps_per_epoch(self) -> int:
        """Optimizer steps in one epoch (streaming tasks: 1)."""

    @abstractmethod
    def train_batches(self, generator: torch.Generator) -> Iterator[Batch]:
        """One epoch of minibatches (streaming tasks: one fresh batch), P = 1."""

    @abstractmethod
    def validation_batch(self) -> Batch:
        """Fixed held-out data, P = 1, generated once from the seed."""

    # -- scoring -----------------------------------------------------------
    def loss(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Mean loss of each member: shape ``[P]``."""
        return member_loss(self.loss_kind, outputs, targets)

    @abstractmethod
    def metrics(self, outputs: torch.Tensor, targets: torch.Tensor) -> dict[str, torch.Tensor]:
        """Named metrics per member (each ``[P]``); must include ``metric_name``."""

    def success(self, metrics: dict[str, float]) -> bool | None:
        """The task's success criterion for one member, or None if it has none."""
        return None

    def model_metrics(self, model) -> dict[str, float]:
        """Metrics that need the model itself (e.g. free-running generation), single runs only."""
        return {}

    def baseline(self) -> float | None:
        """The loss of a memoryless predictor, drawn as a reference line."""
        return None

    def view(self, model, step: int) -> "TaskView | None":
        """An optional picture of what the model does (single runs only)."""
        return None


def member_loss(kind: str, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Per-member mean loss; the mean runs over every axis but the first."""
    population = outputs.shape[0]
    if kind == "mse":
        return ((outputs - targets.reshape(outputs.shape)) ** 2).reshape(population, -1).mean(dim=1)
    if kind == "bce":
        logits = outputs.reshape(population, -1)
        labels = targets.reshape(population, -1).to(logits.dtype)
        return F.binary_cross_entropy_with_logits(logits, labels, reduction="none").mean(dim=1)
    if kind == "cross_entropy":
        classes = outputs.shape[-1]
        losses = F.cross_entropy(outputs.reshape(-1, classes), targets.reshape(-1), reduction="none")
        return losses.reshape(population, -1).mean(dim=1)
    raise ValueError(f"unknown loss kind {kind!r}")


def accuracy(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Per-member fraction of argmax predictions equal to integer targets."""
    population = outputs.shape[0]
    correct = outputs.argmax(dim=-1) == targets.reshape(outputs.shape[:-1])
    return correct.reshape(population, -1).float().mean(dim=1)


class DatasetTask(Task):
    """A fixed data set, split into train and validation, shuffled every epoch.

    Subclasses implement :meth:`generate`, returning all samples in the
    *original order* (the order the documented experiment built them in), so
    the ``keras_tail`` split reproduces Keras' ``validation_split``, which takes
    the last fraction without shuffling.
    """

    drop_last: bool = False

    def __init__(self, config: RunConfig):
        super().__init__(config)
        generator = torch.Generator().manual_seed(config.seed)
        inputs, targets = self.generate(generator)
        n = inputs.shape[0]
        n_val = max(1, int(round(n * config.val_fraction)))
        if n - n_val < 1:
            raise ValueError(f"n_samples={n} leaves no training data at val_fraction={config.val_fraction}")
        if config.split == "shuffled":
            order = torch.randperm(n, generator=generator)
            inputs, targets = inputs[order], targets[order]
        self.train_inputs, self.train_targets = inputs[: n - n_val], targets[: n - n_val]
        self.val_inputs, self.val_targets = inputs[n - n_val:], targets[n - n_val:]

    @abstractmethod
    def generate(self, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """All samples (without the population axis) in the original order."""

    def steps_per_epoch(self) -> int:
        n, size = self.train_inputs.shape[0], self.config.batch_size
        return n // size if self.drop_last else math.ceil(n / size)

    def train_batches(self, generator: torch.Generator) -> Iterator[Batch]:
        n = self.train_inputs.shape[0]
        order = torch.randperm(n, generator=generator)
        size = self.config.batch_size
        for start in range(0, self.steps_per_epoch() * size, size):
            index = order[start:start + size]
            yield Batch(self.train_inputs[index].unsqueeze(0), self.train_targets[index].unsqueeze(0))

    def validation_batch(self) -> Batch:
        return Batch(self.val_inputs.unsqueeze(0), self.val_targets.unsqueeze(0))
