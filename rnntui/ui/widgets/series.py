"""A run's per-step metrics as numpy columns, grown by only the steps added since the last look.

The plots redraw several times a second while the worker keeps appending
steps; rebuilding Python lists of every step on each redraw grew with the run
(~5 ms per plot at 30k steps) and kept the UI busy for nothing.
"""

from __future__ import annotations

import numpy as np

from rnntui.engine.record import RunRecord

COLUMNS = ("step", "loss", "grad_norm", "clipped_norm")


class StepColumns:
    """``record.steps`` as float columns (``COLUMNS``); ``update`` appends the new steps."""

    def __init__(self, record: RunRecord) -> None:
        self.record = record
        self.length = 0
        self._data = np.empty((len(COLUMNS), 256))

    def update(self) -> StepColumns:
        steps = self.record.steps[self.length:]
        if steps:
            end = self.length + len(steps)
            if end > self._data.shape[1]:  # grow by doubling: appends stay O(new steps)
                grown = np.empty((len(COLUMNS), max(end, 2 * self._data.shape[1])))
                grown[:, :self.length] = self._data[:, :self.length]
                self._data = grown
            self._data[:, self.length:end] = np.array(
                [[s.step, s.loss, s.grad_norm, s.clipped_norm] for s in steps], dtype=float).T
            self.length = end
        return self

    def __getitem__(self, name: str) -> np.ndarray:
        return self._data[COLUMNS.index(name), :self.length]
