"""Where the run store lives: ``RNNTUI_STORE`` if set (``--store`` sets it), else the user data dir."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

STORE_ENV = "RNNTUI_STORE"
STORE_NAME = "runs.sqlite3"


def default_store_path() -> Path:
    chosen = os.environ.get(STORE_ENV)
    if chosen:
        return Path(chosen).expanduser()
    return Path(platformdirs.user_data_dir("rnntui")) / STORE_NAME
