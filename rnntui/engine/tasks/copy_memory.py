"""The copy-memory task (Arjovsky et al. 2016)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from . import StreamingTask
from .base import Batch, accuracy

DATA_SYMBOLS = 8        # symbols 0..7 carry data
BLANK = 8
DELIMITER = 9
RECALL = 10             # symbols to remember
SUCCESS_ACCURACY = 0.99


class CopyMemoryTask(StreamingTask):
    """Reproduce 10 symbols after a gap of T blanks.

    Input (length T + 20): 10 symbols, T - 1 blanks, a delimiter, 10 blanks,
    one-hot over 10 input symbols. Target: blank everywhere except the last
    10 steps, which repeat the symbols (9 output classes). Accuracy counts
    only the 10 recalled symbols; success is accuracy >= 0.99.
    """

    input_size = DATA_SYMBOLS + 2
    output_size = DATA_SYMBOLS + 1
    output_at = "all"
    loss_kind = "cross_entropy"
    metric_name = "accuracy"
    metric_goal = "max"
    success_rule = f"accuracy ≥ {SUCCESS_ACCURACY:g}"

    def sample(self, generator: torch.Generator, size: int) -> Batch:
        gap = self.config.seq_len
        symbols = torch.randint(0, DATA_SYMBOLS, (size, RECALL), generator=generator)

        def blanks(count: int) -> torch.Tensor:
            return torch.full((size, count), BLANK, dtype=torch.int64)

        delimiter = torch.full((size, 1), DELIMITER, dtype=torch.int64)
        inputs = torch.cat([symbols, blanks(gap - 1), delimiter, blanks(RECALL)], dim=1)
        targets = torch.cat([blanks(gap + RECALL), symbols], dim=1)
        one_hot = F.one_hot(inputs, self.input_size).float()
        return Batch(one_hot.unsqueeze(0), targets.unsqueeze(0))

    def metrics(self, outputs: torch.Tensor, targets: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"accuracy": accuracy(outputs[:, :, -RECALL:], targets[:, :, -RECALL:])}

    def success(self, metrics: dict[str, float]) -> bool:
        return metrics["accuracy"] >= SUCCESS_ACCURACY

    def baseline(self) -> float:
        """Cross-entropy of outputting blanks, then guessing uniformly at the end."""
        return RECALL * math.log(DATA_SYMBOLS) / (self.config.seq_len + 2 * RECALL)
