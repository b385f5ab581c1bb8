"""Runs tab open time with 10,000 stored runs: a count and one page query, not a load of them all.

Fills a temporary store with synthetic finished runs (a few steps and one
evaluation each), opens the TUI headless and times switching to the Runs tab
until the first page's rows are in the table, then paging to the next page.
Usage: python bench/runs_tab.py [--runs N] [--repeats R]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path


def synthetic(count: int):
    from rnntui.engine.config import RunConfig
    from rnntui.engine.events import Evaluation, RunFinished, RunStarted, StepMetrics
    from rnntui.engine.record import RunRecord

    config = RunConfig(task="latching", seq_len=5, epochs=1)
    for index in range(count):
        record = RunRecord(config, preset=f"preset-{index % 25}")
        record.apply(RunStarted(config, "cpu", total_steps=4, steps_per_epoch=2, metric_name="accuracy",
                                metric_goal="max"))
        for step in range(1, 5):
            record.apply(StepMetrics(step, step / 2, 1.0 / step, 1.0, 1.0, 10.0))
        record.apply(Evaluation(4, 2.0, 0.5, 0.4, {"accuracy": (index % 100) / 100}, None))
        record.apply(RunFinished("finished", 4))
        yield record


async def measure(repeats: int) -> tuple[list[float], list[float]]:
    from textual.widgets import TabbedContent

    from rnntui.engine.presets import load_preset
    from rnntui.ui.app import RnnTuiApp
    from rnntui.ui.runs import PAGE_SIZE, StoredRunTable

    smoke = load_preset("smoke")
    opens, pages = [], []
    for _ in range(repeats):
        app = RnnTuiApp(smoke, [smoke])
        async with app.run_test(size=(160, 48)) as pilot:
            await pilot.pause(0.5)
            table = app.query_one(StoredRunTable)
            started = time.perf_counter()
            app.query_one(TabbedContent).active = "runs"
            while table.row_count < PAGE_SIZE:
                await asyncio.sleep(0.001)
            opens.append(time.perf_counter() - started)
            table.focus()
            first = table.selected_id
            started = time.perf_counter()
            table.action_page(1)                  # what ] does (Pilot's press adds its own idle wait)
            while table.selected_id == first:
                await asyncio.sleep(0.001)
            pages.append(time.perf_counter() - started)
    return opens, pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        os.environ["RNNTUI_STORE"] = str(Path(folder) / "runs.sqlite3")
        from rnntui.engine.store import RunStore

        started = time.perf_counter()
        with RunStore() as store:
            store.save(list(synthetic(args.runs)), "bench").result()
        print(f"stored {args.runs:,} synthetic runs in {time.perf_counter() - started:.1f} s")
        opens, pages = asyncio.run(measure(args.repeats))
    print(f"Runs tab open (tab switch to first page in the table): median {statistics.median(opens):.3f} s, "
          f"max {max(opens):.3f} s over {args.repeats}")
    print(f"next page: median {statistics.median(pages):.3f} s, max {max(pages):.3f} s")
    print(f"load average {open('/proc/loadavg').read().split()[:3]}")


if __name__ == "__main__":
    main()
