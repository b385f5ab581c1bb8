"""SVG snapshots of the main screen with a finished seeded run, at 80×24 and 160×48.

Update with ``pytest tests/test_snapshots.py --snapshot-update`` after a deliberate change.
"""

from pathlib import Path

import pytest

from snapshot_apps.finished_run import finish_run

APP = Path(__file__).parent / "snapshot_apps" / "finished_run.py"


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
def test_main_screen_after_a_finished_run(snap_compare, size):
    assert snap_compare(APP, terminal_size=size, run_before=finish_run)
