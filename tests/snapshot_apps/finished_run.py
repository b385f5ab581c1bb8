"""The main screen after the seeded ``smoke`` preset trained to the end (for SVG snapshots)."""

from rnntui.engine.presets import list_presets, load_preset
from rnntui.ui.app import RnnTuiApp


async def finish_run(pilot) -> None:
    """Start the run, wait for the worker, and clear the toast so the picture is stable."""
    app = pilot.app
    await pilot.press("s")
    await app.workers.wait_for_complete()
    await pilot.pause(0.3)
    app.clear_notifications()
    app.set_focus(None)
    await pilot.pause(0.3)


app = RnnTuiApp(load_preset("smoke"), list_presets())
