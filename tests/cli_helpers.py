"""Running ``python -m rnntui`` as a user does, and what a refusal must look like."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def environment() -> dict[str, str]:
    """Read at call time, so the conftest's temporary run store reaches the subprocess."""
    return {**os.environ, "NO_COLOR": "1",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}


def rnntui(*args: str, timeout: float = 120, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rnntui", *args], capture_output=True, text=True,
                          env=environment(), cwd=cwd, timeout=timeout)


def refused(result: subprocess.CompletedProcess, *words: str) -> str:
    """Exit 2, exactly one stderr line holding every word, no traceback; returns the line."""
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]
