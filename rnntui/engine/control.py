"""Thread-safe run control: a front end pauses, steps or stops a training loop.

The trainer calls :meth:`RunControl.gate` between optimizer steps; it blocks
while paused and wakes within a fraction of a second for stop.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Iterator


class RunControl:
    POLL_SECONDS = 0.1

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._paused = False
        self._stop = False
        self._single_steps = 0
        self._waiting = False

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def stop_requested(self) -> bool:
        return self._stop

    def pause(self) -> None:
        with self._lock:
            self._paused = True
            self._lock.notify_all()

    def resume(self) -> None:
        with self._lock:
            self._paused = False
            self._lock.notify_all()

    def step_once(self) -> None:
        """While paused, let exactly one more optimizer step run."""
        with self._lock:
            self._paused = True
            self._single_steps += 1
            self._lock.notify_all()

    def stop(self) -> None:
        with self._lock:
            self._stop = True
            self._lock.notify_all()

    def gate(self) -> bool:
        """Block while paused; return False when the run should stop."""
        with self._lock:
            self._waiting = True
            while self._paused and not self._stop and self._single_steps == 0:
                self._lock.wait(self.POLL_SECONDS)
            self._waiting = False
            if self._single_steps:
                self._single_steps -= 1
            return not self._stop

    @contextmanager
    def held(self) -> Iterator[bool]:
        """Keep the loop where it is for the body; yields True when it is waiting at the gate.

        The loop changes its model only between gates, so while this yields True
        the model can be copied consistently (a paused run's weights, for inspection).
        Keep the body short: pause, resume and stop wait for it.
        """
        with self._lock:
            yield self._waiting
