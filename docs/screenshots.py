"""Regenerate the README's screenshots: the main screen after a finished seeded run.

    python docs/screenshots.py

The run is finished the way the snapshot tests finish theirs; the preset is the
default one (a 1-unit SimpleRNN whose gradient vanishes), so the heatmap shows it.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from snapshot_apps.finished_run import finish_run  # noqa: E402

from rnntui.engine.presets import list_presets  # noqa: E402
from rnntui.ui.app import RnnTuiApp, default_preset  # noqa: E402


async def shoot(width: int, height: int) -> Path:
    presets = list_presets()
    with tempfile.TemporaryDirectory() as folder:   # a fresh store: the run is #1, and yours is not touched
        os.environ["RNNTUI_STORE"] = str(Path(folder) / "runs.sqlite3")
        return await _shoot(presets, width, height)


async def _shoot(presets, width: int, height: int) -> Path:
    app = RnnTuiApp(default_preset(presets), presets)
    async with app.run_test(size=(width, height)) as pilot:
        await finish_run(pilot)
        return Path(app.save_screenshot(f"tui-{width}x{height}.svg", str(HERE)))


if __name__ == "__main__":
    for size in ((160, 48), (80, 24)):
        print(asyncio.run(shoot(*size)))
