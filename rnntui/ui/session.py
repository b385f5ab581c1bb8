"""This session's runs: a record and a control per run, numbered in start order.

The training worker applies events to ``record`` from its thread; the UI only
reads it (copying lists before use), so no lock is needed under the GIL.
``trainer`` holds the live model for inspection (see :mod:`rnntui.ui.inspect`).
``store_id`` is the run's number in the run store, the one users see; the
worker sets ``recorded`` once everything the run did is committed there.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rnntui.engine.control import RunControl
from rnntui.engine.record import RunRecord

if TYPE_CHECKING:   # torch loads only when the first run starts
    from rnntui.engine.training import Trainer


@dataclass
class LiveRun:
    number: int
    record: RunRecord
    control: RunControl = field(default_factory=RunControl)
    trainer: Trainer | None = None      # set by the training worker once the model exists
    partner: int | None = None          # the run trained beside it as a contrast (its number)
    store_id: int | None = None         # set by the training worker once the store has the run
    recorded: threading.Event = field(default_factory=threading.Event)

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
        return f"#{self.store_id if self.store_id is not None else '…'} {self.record.preset}"
