"""Short garbage-collector pauses while runs train.

A full (generation 2) collection walks every tracked object: torch, Textual,
and the run records that grow by thousands of objects a second. At 160x48 such
a pass stalled the UI for 35-145 ms a few times a minute, the longest waits a
keypress saw. While a run trains, the objects that survive a full pass (almost
all of them live as long as the session) are moved out of the collector's
sight (``gc.freeze``), so the next full pass only walks what was made since.
When no run trains they are handed back, so garbage made of them is reclaimed.
"""

from __future__ import annotations

import gc


def _freeze_survivors(phase: str, info: dict) -> None:
    if phase == "stop" and info["generation"] == len(gc.get_threshold()) - 1:
        gc.freeze()


def hold_survivors() -> None:
    """From now on, survivors of each full collection are frozen (and what lives now, at once)."""
    gc.freeze()
    if _freeze_survivors not in gc.callbacks:
        gc.callbacks.append(_freeze_survivors)


def release_survivors() -> None:
    """Back to normal collections: frozen objects are collected again when they are garbage."""
    if _freeze_survivors in gc.callbacks:
        gc.callbacks.remove(_freeze_survivors)
    gc.unfreeze()
