"""This session's runs: a record and a control per run, numbered in start order.

The training worker applies events to ``record`` from its thread; the UI only
reads it (copying lists before use), so no lock is needed under the GIL.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rnntui.engine.control import RunControl
from rnntui.engine.record import RunRecord


@dataclass
class LiveRun:
    number: int
    record: RunRecord
    control: RunControl = field(default_factory=RunControl)

    @property
    def active(self) -> bool:
        return not self.record.ended

    @property
    def paused(self) -> bool:
        return self.active and self.control.paused

    @property
    def state(self) -> str:
        """pending, running, paused, finished, diverged or stopped."""
        return "paused" if self.paused else self.record.status

    @property
    def label(self) -> str:
        return f"#{self.number} {self.record.preset}"
