"""TUI responsiveness: keypress-to-screen latency while a run trains, and time to first frame.

Latency: keys are sent the way a terminal driver sends them, into a number
field of the experiment form, while a run trains in the background worker;
each sample is the time from the key's arrival until the frame that shows it
is written. Every size is measured ``--runs`` times, each in a fresh app, and
one table prints them all. The background run is a long tiny-model run, or
``--preset NAME`` made long enough to outlast the keys (same probe and
evaluation cadence). First frame: wall time from spawning ``python`` until the
app writes its first frame (headless), and, when tmux exists, until the main
screen is visible in a real terminal.

Targets (issue 13): p95 <= 30 ms at 160x48, <= 20 ms at 80x24, max <= 60 ms.
    python bench/ui_latency.py [--preset stacked-lstm] [--keys 200] [--runs 3] [--sizes 160x48,80x24]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_P95 = {(160, 48): 30.0, (80, 24): 20.0}
TARGET_MAX = 60.0
LONG_STEPS = 10**6
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


def background_preset(name: str | None):
    """The run that trains while keys are typed: long enough to outlast them, cadences kept."""
    from rnntui.engine.config import RunConfig
    from rnntui.engine.presets import Preset, load_preset
    from rnntui.engine.tasks import make_task
    from rnntui.engine.training import evaluation_steps

    if name is None:
        return Preset("bench", "bench: long tiny latching run", "", "thousands of tiny steps", "",
                      RunConfig(task="latching", seq_len=20, n_samples=256, epochs=5000, hidden_size=4,
                                probe_every=20, device="cpu"))
    preset = load_preset(name)
    config = preset.config
    task = make_task(config)
    if task.streaming:   # evaluations at the preset's own cadence, not 1/20 of a million steps
        every = config.eval_every or min(evaluation_steps(config, task))
        config = config.replace(iterations=LONG_STEPS, eval_every=every)
    else:
        config = config.replace(epochs=max(config.epochs, LONG_STEPS // task.steps_per_epoch()))
    return replace(preset, config=config)


async def key_latency(preset, keys: int, size: tuple[int, int]) -> tuple[list[float], str]:
    """Per-key latencies (s) into a form field while ``preset`` trains; and the run's device label."""
    from rnntui.ui.app import RnnTuiApp   # first, as in the app: it sets Textual's frame rate (rnntui.ui)

    from textual import events
    from textual.widgets import Input

    app = RnnTuiApp(preset, [preset])
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
            assert not (app.runs and app.runs[0].record.ended), app.runs[0].record.reason
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
        record = app.runs[0].record
        assert record.last_step > 50 and not record.ended, "the background run ended before the keys did"
        app.lab.action_stop()
    return samples, record.device


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3]) if Path("/proc/loadavg").exists() \
        else " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", help="the background run (default: a long tiny latching run)")
    parser.add_argument("--keys", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3, help="fresh apps per size")
    parser.add_argument("--sizes", default="160x48,80x24")
    parser.add_argument("--no-first-frame", action="store_true", help="skip the first-frame timings")
    args = parser.parse_args()
    sizes = [tuple(map(int, size.split("x"))) for size in args.sizes.split(",")]
    if not args.no_first_frame:
        headless, torch_loaded = first_frame_headless()
        print(f"first frame (headless, from process spawn): {headless * 1000:.0f} ms; "
              f"torch imported by then: {torch_loaded}")
        terminal = first_frame_tmux(*sizes[0])
        if terminal is not None:
            print(f"first frame (tmux {sizes[0][0]}x{sizes[0][1]}, until the main screen is visible): "
                  f"{terminal * 1000:.0f} ms")
    preset = background_preset(args.preset)
    print(f"keypress-to-screen while {preset.name!r} trains, {args.keys} keys per run; load average {load()}")
    print(f"{'size':8} {'run':>3} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7}  target")
    device = ""
    for size in sizes:
        for run in range(1, args.runs + 1):
            samples, device = asyncio.run(key_latency(preset, args.keys, size))
            cuts = statistics.quantiles(samples, n=100)
            p50, p95, worst = cuts[49] * 1000, cuts[94] * 1000, max(samples) * 1000
            target = TARGET_P95.get(size)
            verdict = "" if target is None else \
                "met" if p95 <= target and worst <= TARGET_MAX else f"missed (p95 <= {target:g}, max <= {TARGET_MAX:g})"
            print(f"{f'{size[0]}x{size[1]}':8} {run:>3} {p50:>7.1f} {p95:>7.1f} {worst:>7.1f}  {verdict}", flush=True)
    print(f"trained on {device}; load average after: {load()}")


if __name__ == "__main__":
    main()
