"""How a headless command hears the user (or the system) ask it to stop."""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Iterator

from ..engine.control import RunControl


@contextmanager
def stop_on_sigint(control: RunControl) -> Iterator[None]:
    """First Ctrl+C asks the run to stop; a second raises KeyboardInterrupt."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        if control.stop_requested:
            raise KeyboardInterrupt
        control.stop()

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
