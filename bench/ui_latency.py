"""TUI responsiveness: keypress-to-screen latency while a run trains, and time to first frame.

Latency: keys are sent the way a terminal driver sends them, into a number
field of the experiment form, while a long tiny-model run trains in the
background worker; each sample is the time from the key's arrival until the
frame that shows it is written. First frame: wall time from spawning
``python`` until the app writes its first frame (headless), and, when tmux
exists, until the main screen is visible in a real terminal.

Targets (issue 3): p95 <= 50 ms, first frame <= 1.5 s.
    python bench/ui_latency.py [--keys 200] [--size 160x48]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHILD = """
import sys, time
from rnntui.ui.app import RnnTuiApp
app = RnnTuiApp()
shown = app._display
def first(screen, renderable):
    if renderable is not None:
        print(time.time(), "torch" in sys.modules, flush=True)
        app.exit()
    return shown(screen, renderable)
app._display = first
app.run(headless=True)
"""


def first_frame_headless() -> tuple[float, bool]:
    start = time.time()
    out = subprocess.run([sys.executable, "-c", CHILD], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.split()
    return float(out[0]) - start, out[1] == "True"


def first_frame_tmux(width: int, height: int) -> float | None:
    if shutil.which("tmux") is None:
        return None
    session = f"rnntui-bench-{time.monotonic_ns()}"
    start = time.time()
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", str(width), "-y", str(height),
                    f"cd {ROOT} && {sys.executable} -c 'from rnntui.ui.app import run_app; run_app()'"],
                   check=True)
    try:
        while time.time() - start < 20:
            screen = subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True,
                                    text=True).stdout
            if "Start" in screen and "Live" in screen:
                return time.time() - start
            time.sleep(0.01)
        return None
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False)


async def key_latency(keys: int, size: tuple[int, int]) -> list[float]:
    from textual import events
    from textual.widgets import Input

    from rnntui.engine.config import RunConfig
    from rnntui.engine.presets import Preset
    from rnntui.ui.app import RnnTuiApp

    long_run = Preset("bench", "bench: long tiny latching run", "", "thousands of tiny steps", "",
                      RunConfig(task="latching", seq_len=20, n_samples=256, epochs=5000, hidden_size=4,
                                probe_every=20, device="cpu"))
    app = RnnTuiApp(long_run, [long_run])
    frames: list[tuple[float, str]] = []  # when each frame was written, and the field's text in it
    field: Input | None = None
    write = app._display

    def spy(screen, renderable):
        if renderable is not None and field is not None:
            frames.append((time.perf_counter(), field.value))
        return write(screen, renderable)

    app._display = spy
    samples: list[float] = []
    async with app.run_test(size=size) as pilot:
        await pilot.press("s")
        while not app.runs or app.runs[0].record.last_step < 50:
            await asyncio.sleep(0.05)
        field = app.query_one("#field-seed", Input)
        field.focus()
        field.cursor_position = len(field.value)
        await asyncio.sleep(0.5)
        for i in range(keys):
            key, char = ("backspace", None) if i % 2 else ("1", "1")
            expected = field.value[:-1] if char is None else field.value + char
            seen = len(frames)
            sent = time.perf_counter()
            event = events.Key(key, char)
            event.set_sender(app)
            app._driver.send_message(event)
            # The first frame written with the new text; polling the field instead would
            # notice the change late (after that frame) whenever the loop is busy.
            while not any(text == expected for _, text in frames[seen:]):
                assert time.perf_counter() - sent < 10, f"key {key!r} never reached the screen"
                await asyncio.sleep(0.001)
            samples.append(next(at for at, text in frames[seen:] if text == expected) - sent)
            await asyncio.sleep(0.02)
        assert app.runs[0].record.last_step > 50 and not app.runs[0].record.ended
        app.lab.action_stop()
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=200)
    parser.add_argument("--size", default="160x48")
    args = parser.parse_args()
    width, height = map(int, args.size.split("x"))
    headless, torch_loaded = first_frame_headless()
    print(f"first frame (headless, from process spawn): {headless * 1000:.0f} ms; "
          f"torch imported by then: {torch_loaded}")
    terminal = first_frame_tmux(width, height)
    if terminal is not None:
        print(f"first frame (tmux {args.size}, until the main screen is visible): {terminal * 1000:.0f} ms")
    samples = asyncio.run(key_latency(args.keys, (width, height)))
    cuts = statistics.quantiles(samples, n=100)
    print(f"keypress-to-screen while training ({args.size}, {len(samples)} keys): "
          f"p50 {cuts[49] * 1000:.1f} ms, p95 {cuts[94] * 1000:.1f} ms, max {max(samples) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
