"""The terminal went away (SIGHUP): keep writing results, stop writing to it."""

from __future__ import annotations

import os
import sys


def drop_terminal_output() -> None:
    """Point stdout and stderr that went to the lost terminal at /dev/null (a log file keeps its lines)."""
    null = os.open(os.devnull, os.O_WRONLY)
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream.isatty():
                os.dup2(null, stream.fileno())
        except (OSError, ValueError):
            continue
    os.close(null)


def terminal_lost(stream=None) -> bool:
    """Whether the terminal ``stream`` (stdin) was on has hung up: reading its settings fails."""
    import termios

    stream = stream or sys.__stdin__
    try:
        termios.tcgetattr(stream.fileno())
    except termios.error:
        return True
    except (OSError, ValueError, AttributeError):     # not a terminal at all (a pipe, closed, none)
        return False
    return False
