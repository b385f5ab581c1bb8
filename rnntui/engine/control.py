"""Thread-safe run control: a front end pauses, steps or stops a training loop.

The trainer calls :meth:`RunControl.gate` between optimizer steps; it blocks
while paused and wakes within a fraction of a second for stop. A loop in
another process follows a control through :meth:`RunControl.mirror`.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Callable, Iterator

Command = tuple   # ("state", paused, stop) or ("step",): what a mirror is told


class RunControl:
    POLL_SECONDS = 0.1

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._paused = False
        self._stop = False
        self._single_steps = 0
        self._waiting = False
        self._mirrors: list[Callable[[Command], None]] = []

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def stop_requested(self) -> bool:
        return self._stop

    def pause(self) -> None:
        with self._lock:
            self._paused = True
            self._changed(("state", True, self._stop))

    def resume(self) -> None:
        with self._lock:
            self._paused = False
            self._changed(("state", False, self._stop))

    def step_once(self) -> None:
        """While paused, let exactly one more optimizer step run."""
        with self._lock:
            self._paused = True
            self._single_steps += 1
            self._changed(("step",))

    def stop(self) -> None:
        with self._lock:
            self._stop = True
            self._changed(("state", self._paused, True))

    def follow(self, command: Command) -> None:
        """Apply a command a mirrored control sent (see :meth:`mirror`)."""
        if command[0] == "step":
            self.step_once()
        else:
            with self._lock:
                self._paused, self._stop = command[1], command[2]
                self._changed(command)

    def mirror(self, send: Callable[[Command], None]) -> None:
        """From now on ``send`` every change, in order; first the state as it is, so that a
        control that ``follow``s them all matches this one (pending single steps included)."""
        with self._lock:
            send(("state", self._paused, self._stop))
            for _ in range(self._single_steps):
                send(("step",))
            self._mirrors.append(send)

    def unmirror(self, send: Callable[[Command], None]) -> None:
        with self._lock:
            if send in self._mirrors:
                self._mirrors.remove(send)

    def _changed(self, command: Command) -> None:
        self._lock.notify_all()
        for send in self._mirrors:
            send(command)

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
