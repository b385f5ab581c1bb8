"""Task registry, plus the shared shape of the streaming tasks.

Task modules are imported on demand, so a task whose module is missing or
broken (IMDB needs its own loader) cannot break the others.
"""

from __future__ import annotations

import importlib
from abc import abstractmethod
from typing import Iterator

import torch

from ..config import RunConfig
from .base import Batch, Task

# Validation draws come from seed + this offset, so they never repeat training draws.
VALIDATION_SEED_OFFSET = 1_000_003

_REGISTRY: dict[str, tuple[str, str]] = {
    "recall": ("recall", "RecallTask"),
    "sine": ("sine", "SineTask"),
    "latching": ("latching", "LatchingTask"),
    "bit_relay": ("latching", "BitRelayTask"),
    "adding": ("adding", "AddingTask"),
    "copy": ("copy_memory", "CopyMemoryTask"),
    "temporal_order": ("temporal_order", "TemporalOrderTask"),
    "imdb": ("imdb", "ImdbTask"),
}


def task_class(name: str) -> type[Task]:
    """The task class for a task name: its shapes are readable before any data is made."""
    if name not in _REGISTRY:
        raise ValueError(f"unknown task {name!r}; known tasks: {', '.join(_REGISTRY)}")
    module_name, class_name = _REGISTRY[name]
    return getattr(importlib.import_module(f".{module_name}", __name__), class_name)


def make_task(config: RunConfig) -> Task:
    """The task object for ``config.task``."""
    return task_class(config.task)(config)


class StreamingTask(Task):
    """Fresh data every optimizer step, scored on one fixed validation batch."""

    streaming = True
    validation_size = 1000

    def __init__(self, config: RunConfig):
        super().__init__(config)
        generator = torch.Generator().manual_seed(config.seed + VALIDATION_SEED_OFFSET)
        self._validation = self.sample(generator, self.validation_size)

    @abstractmethod
    def sample(self, generator: torch.Generator, size: int) -> Batch:
        """``size`` fresh sequences drawn from ``generator``, P = 1."""

    @property
    def train_size(self) -> int:
        return self.config.batch_size

    def steps_per_epoch(self) -> int:
        return 1

    def train_batches(self, generator: torch.Generator) -> Iterator[Batch]:
        yield self.sample(generator, self.train_size)

    def validation_batch(self) -> Batch:
        return self._validation
