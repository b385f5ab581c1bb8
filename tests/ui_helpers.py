"""Shared pieces of the UI tests: tiny real-engine presets and a wait helper."""

from __future__ import annotations

import asyncio
import time
from typing import Callable

from rnntui.engine.config import RunConfig
from rnntui.engine.presets import Preset, load_preset


def preset(name: str, config: RunConfig, description: str = "test preset") -> Preset:
    return Preset(name=name, title=name.title(), mirrors="", description=description,
                  look_for="what to look for", config=config)


SMOKE = load_preset("smoke")
# Thousands of tiny steps: long enough to pause, step and stop by hand.
LONG = preset("long", RunConfig(task="latching", seq_len=5, n_samples=64, epochs=20_000,
                                hidden_size=2, probe_every=50, device="cpu"))
# The shipped preset that explodes: a user's diverged run, over in ~1.5 s (step ~20).
EXPLODE = load_preset("explode-noclip")


def drawn(widget) -> str:
    """The text a Line API widget (plots, heatmap) paints, line by line."""
    return "\n".join(widget.render_line(y).text for y in range(widget.size.height))


async def wait_until(pilot, condition: Callable[[], bool], timeout: float = 20.0) -> None:
    """Let the app run until ``condition()`` holds (fails the test after ``timeout`` s)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await pilot.pause(0.05)
    await asyncio.sleep(0)
