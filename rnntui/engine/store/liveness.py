"""Who owns a running run: host, boot, pid and the process's start time.

A pid alone is not enough (pids are reused, machines reboot); the start time
as the kernel counts it tells the same process from a later one with its pid.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


@dataclass(frozen=True)
class Owner:
    host: str
    boot_id: str
    pid: int
    process_start: str


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def process_start(pid: int) -> str:
    """The process's start time in clock ticks since boot (``/proc/PID/stat`` field 22), or ""."""
    stat = _read(Path(f"/proc/{pid}/stat"))
    if not stat:
        return ""
    return stat.rsplit(")", 1)[-1].split()[19]   # fields after the command name start at field 3


def this_process() -> Owner:
    pid = os.getpid()
    return Owner(socket.gethostname(), _read(BOOT_ID), pid, process_start(pid))


def is_alive(owner: Owner) -> bool | None:
    """True or False for a process of this host; None when another host owns it (can't tell)."""
    here = this_process()
    if owner.host != here.host:
        return None
    if owner.boot_id and here.boot_id and owner.boot_id != here.boot_id:
        return False
    if owner.process_start and here.process_start:
        return process_start(owner.pid) == owner.process_start
    try:
        os.kill(owner.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
