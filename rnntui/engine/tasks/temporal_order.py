"""The temporal-order task (Hochreiter & Schmidhuber 1997; Pascanu et al. 2013)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from . import StreamingTask
from .base import Batch, accuracy

SYMBOLS = 6             # A, B, then distractors c, d, e, f
DISTRACTORS = 4
SUCCESS_ACCURACY = 0.99  # Pascanu et al.: fewer than 1% errors


def marker_ranges(length: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """Inclusive position ranges at 10–20% and 50–60% of the sequence."""
    return (-(-length // 10), length // 5), (-(-length // 2), 3 * length // 5)


class TemporalOrderTask(StreamingTask):
    """Classify the order of two A/B markers hidden among distractors.

    Label = 2·first + second with A = 0, B = 1: AA, AB, BA, BB. Success is
    fewer than 1% errors on the fixed validation batch.
    """

    input_size = SYMBOLS
    output_size = 4
    loss_kind = "cross_entropy"
    metric_name = "accuracy"
    metric_goal = "max"
    success_rule = f"accuracy > {SUCCESS_ACCURACY:g}"

    def sample(self, generator: torch.Generator, size: int) -> Batch:
        length = self.config.seq_len
        (low1, high1), (low2, high2) = marker_ranges(length)
        sequence = torch.randint(2, 2 + DISTRACTORS, (size, length), generator=generator)
        first = torch.randint(low1, high1 + 1, (size,), generator=generator)
        second = torch.randint(low2, high2 + 1, (size,), generator=generator)
        marks = torch.randint(0, 2, (size, 2), generator=generator)
        rows = torch.arange(size)
        sequence[rows, first] = marks[:, 0]
        sequence[rows, second] = marks[:, 1]
        labels = marks[:, 0] * 2 + marks[:, 1]
        return Batch(F.one_hot(sequence, SYMBOLS).float().unsqueeze(0), labels.unsqueeze(0))

    def metrics(self, outputs: torch.Tensor, targets: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"accuracy": accuracy(outputs, targets)}

    def success(self, metrics: dict[str, float]) -> bool:
        return metrics["accuracy"] > SUCCESS_ACCURACY

    def baseline(self) -> float:
        """Cross-entropy of guessing the four classes alike (ln 4): the markers are long gone at the end."""
        return math.log(self.output_size)
