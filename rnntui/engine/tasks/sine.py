"""E3: next-step prediction of a sine wave, with truncated BPTT."""

from __future__ import annotations

import torch

from ..config import RunConfig
from ..events import TaskView
from . import StreamingTask
from .base import Batch, member_loss

INTERVAL = 10.0     # each sequence spans sin(t) for t in [start, start + 10]
STARTS = 10         # start is a random integer in [0, 10)


def sine_curves(starts: torch.Tensor, points: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Times and values ``[len(starts), points]`` of the sine on each interval."""
    offsets = torch.linspace(0.0, INTERVAL, points, dtype=torch.float64)
    times = starts.to(torch.float64).unsqueeze(1) + offsets
    return times.float(), torch.sin(times).float()


class SineTask(StreamingTask):
    """Predict point t+1 from point t on every step; ``seq_len`` counts the points.

    Training uses one sequence per iteration (B = 1, ignoring ``batch_size``),
    as the tutorial does, so the carried hidden state keeps one shape.
    """

    output_at = "all"
    validation_size = 16

    def __init__(self, config: RunConfig):
        if config.seq_len < 3:
            raise ValueError(f"sine needs seq_len >= 3 points (got {config.seq_len})")
        super().__init__(config)
        self.carries_state = config.tbptt

    @property
    def train_size(self) -> int:
        return 1

    def sample(self, generator: torch.Generator, size: int) -> Batch:
        starts = torch.randint(0, STARTS, (size,), generator=generator)
        _, values = sine_curves(starts, self.config.seq_len)
        values = values.unsqueeze(-1)
        return Batch(values[:, :-1].unsqueeze(0), values[:, 1:].unsqueeze(0))

    def metrics(self, outputs: torch.Tensor, targets: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"mse": member_loss("mse", outputs, targets)}

    def free_run(self, model) -> tuple[list[float], list[float], list[float]]:
        """Free-running generation from the first point of a fixed curve: times, truth, prediction."""
        device = next(model.parameters()).device
        times, values = sine_curves(torch.zeros(1, dtype=torch.int64), self.config.seq_len)
        current = values[0, 0].reshape(1, 1, 1, 1).to(device)
        state, predictions = None, []
        with torch.no_grad():
            for _ in range(self.config.seq_len - 1):
                outputs, state = model(current, state)
                current = outputs.reshape(1, 1, 1, 1)
                predictions.append(float(current))
        return times[0, 1:].tolist(), values[0, 1:].tolist(), predictions

    def model_metrics(self, model) -> dict[str, float]:
        _, truth, prediction = self.free_run(model)
        return {"free_run_mse": sum((p - t) ** 2 for p, t in zip(prediction, truth)) / len(truth)}

    def view(self, model, step: int) -> TaskView:
        times, truth, prediction = self.free_run(model)
        return TaskView(step=step, kind="sine_generation", x=tuple(times), truth=tuple(truth),
                        prediction=tuple(prediction))
