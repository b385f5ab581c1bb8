"""How a headless command hears the user (or the system) ask it to stop.

Ctrl+C, SIGTERM and SIGHUP (a dropped SSH session) all stop the same way: the
first asks the run to stop after its current step, so it is recorded and
exported; a second stops training at once. Once the results are being
written, a second press is only noted and the export completes; a third
abandons it (the run is in the store either way). After a hang-up the
terminal is gone, so output to it is dropped instead of failing.
"""

from __future__ import annotations

import signal
import sys
import threading
from contextlib import contextmanager
from typing import Iterator

from ..engine.control import RunControl
from ..terminal import drop_terminal_output

SIGNAL_EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGHUP: 129}
ABANDON_AT = 3


class Stopper:
    def __init__(self, control: RunControl):
        self.control = control
        self.received: list[int] = []
        self.writing = False

    def exit_code(self, default: int) -> int:
        """The first signal's conventional code (128 + number), else ``default``."""
        return SIGNAL_EXIT_CODES[self.received[0]] if self.received else default

    def handle(self, signum: int, frame) -> None:
        self.received.append(signum)
        if signum == signal.SIGHUP:
            drop_terminal_output()
        if len(self.received) == 1:
            self.control.stop()
        elif self.writing and len(self.received) < ABANDON_AT:
            print("rnntui: still writing the results; press Ctrl+C once more to abandon the CSV files "
                  "(the run stays in the store)", file=sys.stderr, flush=True)
        else:
            raise KeyboardInterrupt

    @contextmanager
    def installed(self) -> Iterator["Stopper"]:
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        previous = {signum: signal.signal(signum, self.handle) for signum in SIGNAL_EXIT_CODES}
        try:
            yield self
        finally:
            # Once stopping, the exit code is decided: a later press on the way out must not turn
            # it into a death by signal (-2) with nothing said.
            for signum, handler in previous.items():
                signal.signal(signum, signal.SIG_IGN if self.received else handler)
