"""E4: information latching (Bengio et al. 1994) and its bit-relay companion."""

from __future__ import annotations

import torch

from .base import DatasetTask, accuracy

SUCCESS_ACCURACY = 0.9


class LatchingTask(DatasetTask):
    """Classify the sign of the first element; everything after it is noise.

    Samples are built positives first, as the original did, so the
    ``keras_tail`` split reproduces its all-one-class validation set.
    Success means validation accuracy >= 0.9: the sign was latched for T steps.
    """

    output_size = 2
    loss_kind = "cross_entropy"
    metric_name = "accuracy"
    metric_goal = "max"
    success_rule = f"accuracy ≥ {SUCCESS_ACCURACY:g}"

    def generate(self, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        n, length = self.config.n_samples, self.config.seq_len
        positives = n // 2
        labels = torch.cat([torch.ones(positives, dtype=torch.int64),
                            torch.zeros(n - positives, dtype=torch.int64)])
        signals = torch.zeros(n, length)
        signals[:, 0] = labels.float() * 2 - 1
        return self._noisy(signals, generator), labels

    def _noisy(self, signals: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        noise = torch.randn(signals.shape, generator=generator) * self.config.noise
        return (signals + noise).unsqueeze(-1)

    def metrics(self, outputs: torch.Tensor, targets: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"accuracy": accuracy(outputs, targets)}

    def success(self, metrics: dict[str, float]) -> bool:
        return metrics["accuracy"] >= SUCCESS_ACCURACY


class BitRelayTask(LatchingTask):
    """Our reconstruction of the unpublished bit-relay task.

    A random ±1 bit at step 1, random ±1 distractor bits at every later step
    (plus the input noise); the label is the first bit. Ordered by label,
    positives first, like latching.
    """

    def generate(self, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        n, length = self.config.n_samples, self.config.seq_len
        bits = torch.randint(0, 2, (n, length), generator=generator)
        order = torch.argsort(bits[:, 0], descending=True, stable=True)
        bits = bits[order]
        return self._noisy(bits.float() * 2 - 1, generator), bits[:, 0].clone()
