"""E1: last-value recall over sliding windows of a random digit stream."""

from __future__ import annotations

import torch

from ..config import RunConfig
from ..events import TaskView
from .base import DatasetTask, member_loss

SCATTER_POINTS = 200


class RecallTask(DatasetTask):
    """Recall the oldest value of a window fed newest-first.

    Forward order makes the target the last input seen (a 1-step dependency);
    the model's ``reverse`` flag (Keras ``go_backwards``) turns it into a
    (T-1)-step dependency, so the task itself never reverses anything.
    """

    def __init__(self, config: RunConfig):
        if config.n_samples < config.seq_len + 1:
            raise ValueError(f"recall needs n_samples > seq_len to form two windows "
                             f"(n_samples={config.n_samples}, seq_len={config.seq_len})")
        super().__init__(config)

    def generate(self, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        length = self.config.seq_len
        stream = torch.randint(0, 10, (self.config.n_samples,), generator=generator)
        windows = stream.unfold(0, length, 1).float()       # [N, T], oldest first
        newest_first = windows.flip(1)
        mean = newest_first.mean(dim=0)
        std = newest_first.std(dim=0, correction=0).clamp_min(1e-8)
        inputs = ((newest_first - mean) / std).unsqueeze(-1)
        return inputs, windows[:, :1].clone()

    def metrics(self, outputs: torch.Tensor, targets: torch.Tensor) -> dict[str, torch.Tensor]:
        population = outputs.shape[0]
        targets = targets.reshape(outputs.shape)
        hits = (outputs.round() == targets).reshape(population, -1).float().mean(dim=1)
        return {
            "mse": member_loss("mse", outputs, targets),
            "rounded_accuracy": hits,
            "target_variance": targets.reshape(population, -1).var(dim=1, correction=0),
        }

    def view(self, model, step: int) -> TaskView:
        """Truth vs prediction on the first validation samples."""
        device = next(model.parameters()).device
        inputs = self.val_inputs[:SCATTER_POINTS].unsqueeze(0).to(device)
        with torch.no_grad():
            outputs, _ = model(inputs, None)
        prediction = outputs[0].reshape(-1).cpu()
        truth = self.val_targets[:SCATTER_POINTS].reshape(-1)
        return TaskView(step=step, kind="recall_scatter", x=tuple(float(i) for i in range(len(truth))),
                        truth=tuple(truth.tolist()), prediction=tuple(prediction.tolist()))
