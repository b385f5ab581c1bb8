"""Training speed in the TUI against headless: steps/s of the same preset, measured in one run.

Headless drives the engine's event stream directly (what ``rnntui run`` does);
the TUI trains the same config from the lab (in its child process) at 160x48
with every view redrawing. Both rates come from the engine's own clock
(``steps_per_second``, active training time) between the same two steps, so
importing torch and building the model are left out of both. On a 2-core box
the two rates wander by 10-20 % from one try to the next, so each preset is
measured ``--repeats`` times, headless and TUI in turn, and the median ratio is
the figure. Target (issue 13): TUI / headless >= 0.9.
    python bench/tui_training.py [--presets latching-srnn,stacked-lstm] [--steps 2000] [--size 160x48] [--repeats 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
from pathlib import Path

from rnntui.engine.events import StepMetrics
from rnntui.engine.presets import load_preset
from rnntui.engine.training import train

WARMUP = 0.1   # the rate is taken from this fraction of the steps on


def rate_between(first: StepMetrics, last: StepMetrics) -> float:
    """Steps/s from ``first`` to ``last``, from the engine's cumulative rate at each."""
    seconds = last.step / last.steps_per_second - first.step / first.steps_per_second
    return (last.step - first.step) / seconds


def endpoints(steps: list[StepMetrics], count: int) -> tuple[StepMetrics, StepMetrics]:
    by_step = {s.step: s for s in steps}
    return by_step[max(1, int(count * WARMUP))], by_step[count]


def headless(config, count: int) -> float:
    steps = []
    for event in train(config):
        if isinstance(event, StepMetrics):
            steps.append(event)
            if event.step == count:
                break
    return rate_between(*endpoints(steps, count))


async def in_tui(preset, count: int, size: tuple[int, int]) -> tuple[float, str]:
    from rnntui.ui.app import RnnTuiApp

    app = RnnTuiApp(preset, [preset])
    async with app.run_test(size=size) as pilot:
        await pilot.press("s")
        while not app.runs or app.runs[0].record.last_step < count:
            record = app.runs[0].record if app.runs else None
            assert record is None or not record.ended, record.reason
            await asyncio.sleep(0.05)
        app.lab.action_stop()
        record = app.runs[0].record
        return rate_between(*endpoints(record.steps[:count], count)), record.device


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", default="latching-srnn,stacked-lstm")
    parser.add_argument("--steps", type=int, default=2000, help="at most this many steps of each preset")
    parser.add_argument("--size", default="160x48")
    parser.add_argument("--repeats", type=int, default=3, help="headless and TUI pairs per preset")
    args = parser.parse_args()
    size = tuple(map(int, args.size.split("x")))
    print(f"load average {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    print(f"{'preset':16} {'steps':>6} {'headless/s':>10} {'TUI/s':>8} {'ratio':>6}  TUI device")
    for name in args.presets.split(","):
        preset = load_preset(name)
        count = min(args.steps, preset_steps(preset.config))
        ratios = []
        for _ in range(args.repeats):
            alone = headless(preset.config, count)
            tui, device = asyncio.run(in_tui(preset, count, size))
            ratios.append(tui / alone)
            print(f"{name:16} {count:>6} {alone:>10.1f} {tui:>8.1f} {tui / alone:>6.2f}  {device}", flush=True)
        print(f"{name:16} median ratio of {len(ratios)}: {statistics.median(ratios):.2f}", flush=True)
    print(f"load average after {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")


def preset_steps(config) -> int:
    from rnntui.engine.tasks import make_task
    from rnntui.engine.training import total_steps

    return total_steps(config, make_task(config))


if __name__ == "__main__":   # the guard matters: training children re-import this module
    main()
