"""E2: IMDB sentiment from token ids, scored on the separate 25,000-review test set.

The data comes from :func:`rnntui.engine.data.load_imdb`, located through
``RNNTUI_IMDB`` / ``RNNTUI_CACHE`` (the config holds no paths). ``n_samples``
below 25,000 keeps a fixed random subset of that many train and that many
test reviews for quick runs; the subset does not depend on ``seed``, so runs
with different seeds see the same data. Presets for the documented
experiment must set ``n_samples = 25000``.
"""

from __future__ import annotations

import math
from typing import Iterator

import torch

from ..config import ConfigError, RunConfig
from ..data import load_imdb
from .base import Batch, Task

SUBSET_SEED = 113  # the seed Keras' imdb.load_data shuffles with


class ImdbTask(Task):
    """Binary sentiment: one logit per review, BCE, accuracy; last partial batch dropped."""

    output_size = 1
    loss_kind = "bce"
    metric_name = "accuracy"
    metric_goal = "max"

    def __init__(self, config: RunConfig):
        super().__init__(config)
        self.vocab_size = config.num_words
        data = load_imdb(config.num_words, config.seq_len)
        self.train_inputs, self.train_targets = _subset(data.x_train, data.y_train, config.n_samples, 0)
        self.val_inputs, self.val_targets = _subset(data.x_test, data.y_test, config.n_samples, 1)
        if self.steps_per_epoch() == 0:
            raise ConfigError({"batch_size": f"{config.batch_size} exceeds the {len(self.train_inputs)} "
                                             f"training reviews; the last partial batch is dropped, "
                                             f"so no step would run"})

    def steps_per_epoch(self) -> int:
        return len(self.train_inputs) // self.config.batch_size

    def train_batches(self, generator: torch.Generator) -> Iterator[Batch]:
        order = torch.randperm(len(self.train_inputs), generator=generator)
        size = self.config.batch_size
        for step in range(self.steps_per_epoch()):
            index = order[step * size:(step + 1) * size]
            yield Batch(self.train_inputs[index].unsqueeze(0), self.train_targets[index].unsqueeze(0))

    def validation_batch(self) -> Batch:
        return Batch(self.val_inputs.unsqueeze(0), self.val_targets.unsqueeze(0))

    def metrics(self, outputs: torch.Tensor, targets: torch.Tensor) -> dict[str, torch.Tensor]:
        population = outputs.shape[0]
        predicted = outputs.reshape(population, -1) > 0
        actual = targets.reshape(population, -1) > 0.5
        return {"accuracy": (predicted == actual).float().mean(dim=1)}

    def baseline(self) -> float:
        """BCE of always predicting the training set's positive rate (ln 2 when balanced)."""
        rate = float(self.train_targets.mean())
        if rate in (0.0, 1.0):
            return 0.0
        return -(rate * math.log(rate) + (1 - rate) * math.log(1 - rate))


def _subset(inputs: torch.Tensor, labels: torch.Tensor, n_samples: int, stream: int
            ) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs ``[N, T]`` and float targets ``[N, 1]``, cut to a fixed random ``n_samples``."""
    targets = labels.float().unsqueeze(-1)
    if n_samples >= len(inputs):
        return inputs, targets
    generator = torch.Generator().manual_seed(SUBSET_SEED + stream)
    keep = torch.randperm(len(inputs), generator=generator)[:n_samples]
    return inputs[keep], targets[keep]
