"""Full garbage collections only while nobody types, while runs train.

A full (generation 2) collection walks every tracked object and frees the
cycles among them. Textual's strips cache themselves (a cycle per painted
line), so with plots rebuilt 25 times a second such a pass found ~30,000
objects every second or two and stalled the UI for 60-80 ms at 160x48, even
with torch, Textual and the app frozen out of its sight: the longest waits a
keypress saw. While a run trains, the collector's own full passes are turned
off; :func:`collect_when_quiet` runs one at a time of the UI's choosing (no key
for a while), and at the latest after ``LONGEST_WAIT`` seconds, so memory stays
bounded when someone types without pause. The young generations are collected
as usual. When no run trains, everything goes back to normal.
"""

from __future__ import annotations

import gc
import time

QUIET_SECONDS = 1.0     # no key for this long: a full pass will not be felt
EVERY_SECONDS = 3.0     # at most this often while quiet
LONGEST_WAIT = 30.0     # and at least this often, keys or not
NEVER = 2**30           # young collections between automatic full ones: in effect, none

_held: tuple[int, int, int] | None = None
_last_full = 0.0


def hold_survivors() -> None:
    """A run is starting: freeze what lives now and hold automatic full passes back."""
    global _held, _last_full
    gc.freeze()   # torch, Textual and the app live as long as the session
    _last_full = time.monotonic()   # what was frozen needs no pass
    if _held is None:
        _held = gc.get_threshold()
        gc.set_threshold(_held[0], _held[1], NEVER)


def collect_when_quiet(last_key: float) -> bool:
    """While held: a full pass if no key came for ``QUIET_SECONDS`` and one is due; True if it ran."""
    global _last_full
    if _held is None:
        return False
    now = time.monotonic()
    due = now - _last_full >= (EVERY_SECONDS if now - last_key >= QUIET_SECONDS else LONGEST_WAIT)
    if due:
        gc.collect()
        _last_full = time.monotonic()
    return due


def release_survivors() -> None:
    """No run trains: the collector's own schedule, and frozen objects in its sight again."""
    global _held
    if _held is not None:
        gc.set_threshold(*_held)
        _held = None
    gc.unfreeze()
