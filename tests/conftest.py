"""Every test gets its own run store: the suite never writes to the user's real one."""

import pytest


@pytest.fixture(autouse=True)
def temporary_store(tmp_path_factory, monkeypatch):
    path = tmp_path_factory.mktemp("store") / "runs.sqlite3"
    monkeypatch.setenv("RNNTUI_STORE", str(path))
    return path
