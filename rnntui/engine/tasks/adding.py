"""The adding problem, in the Arjovsky et al. (2016) form."""

from __future__ import annotations

import torch

from . import StreamingTask
from .base import Batch, member_loss

# Predicting the mean (1) scores Var(U1 + U2) = 1/6; 0.01 beats that ~17-fold.
SUCCESS_MSE = 0.01


class AddingTask(StreamingTask):
    """Sum the two values marked in a stream of (value, marker) pairs.

    One marker falls in each half of the sequence, so the first one must be
    remembered for at least T/2 steps. Success: validation MSE < 0.01.
    """

    input_size = 2
    success_rule = f"mse < {SUCCESS_MSE:g}"

    def sample(self, generator: torch.Generator, size: int) -> Batch:
        length = self.config.seq_len
        half = length // 2
        values = torch.rand(size, length, generator=generator)
        first = torch.randint(0, half, (size,), generator=generator)
        second = torch.randint(half, length, (size,), generator=generator)
        markers = torch.zeros(size, length)
        rows = torch.arange(size)
        markers[rows, first] = 1.0
        markers[rows, second] = 1.0
        targets = (values[rows, first] + values[rows, second]).unsqueeze(-1)
        inputs = torch.stack([values, markers], dim=-1)
        return Batch(inputs.unsqueeze(0), targets.unsqueeze(0))

    def metrics(self, outputs: torch.Tensor, targets: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"mse": member_loss("mse", outputs, targets)}

    def success(self, metrics: dict[str, float]) -> bool:
        return metrics["mse"] < SUCCESS_MSE

    def baseline(self) -> float:
        return 1.0 / 6.0
