"""Fetching a file once, resumably, and trusting it only after verification.

Bytes land in ``<dest>.part``; only a complete file whose sha256 matches is
renamed to ``dest``. An interrupted download keeps its ``.part`` and resumes
with an HTTP Range request next time; a server that ignores the range makes
it restart from zero, and a checksum mismatch deletes the part.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn, TransferSpeedColumn

from .errors import DataUnavailable

CHUNK = 1 << 20
Opener = Callable[..., "http.client.HTTPResponse"]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def download(url: str, dest: Path, sha256: str, console: Console,
             opener: Opener = urllib.request.urlopen) -> Path:
    """Download ``url`` to ``dest`` (resuming a ``.part``), verify, then rename.

    Network failures and interruptions raise :class:`DataUnavailable` and keep
    the part for the next attempt.
    """
    part = dest.with_name(dest.name + ".part")
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    try:
        response = opener(request, timeout=30)
    except urllib.error.HTTPError as exc:
        if exc.code != 416:  # 416: nothing left to fetch, the part may be complete
            raise DataUnavailable(f"downloading {url} failed: HTTP {exc.code} {exc.reason}") from None
    except (OSError, http.client.HTTPException) as exc:
        raise DataUnavailable(f"could not download {url} ({_reason(exc)})") from None
    else:
        with response:
            _receive(response, part, have, url, console)
    if sha256_of(part) != sha256:
        part.unlink()
        raise DataUnavailable(f"the download of {url} does not match its sha256 checksum; "
                              "the partial file was deleted, run again to retry")
    os.replace(part, dest)
    return dest


def _receive(response, part: Path, have: int, url: str, console: Console) -> None:
    """Append (HTTP 206 for our range) or restart (anything else) the part file."""
    resumed = have > 0 and getattr(response, "status", None) == 206 and \
        (response.headers.get("Content-Range") or "").startswith(f"bytes {have}-")
    start = have if resumed else 0
    length = response.headers.get("Content-Length")
    total = start + int(length) if length and length.isdigit() else None
    written = start
    columns = (BarColumn(), DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn())
    try:
        with open(part, "ab" if resumed else "wb") as out, \
                Progress(*columns, console=console, transient=True) as progress:
            bar = progress.add_task(f"downloading {url}", total=total, completed=start)
            while block := response.read(CHUNK):
                out.write(block)
                written += len(block)
                progress.update(bar, completed=written)
    except (OSError, http.client.HTTPException) as exc:
        raise DataUnavailable(f"the download of {url} was interrupted ({_reason(exc)}); "
                              f"run again to resume it ({written} bytes kept in {part})") from None
    if total is not None and written < total:
        raise DataUnavailable(f"the download of {url} ended early ({written} of {total} bytes); "
                              f"run again to resume it")


def _reason(exc: BaseException) -> str:
    return str(getattr(exc, "reason", None) or exc) or type(exc).__name__
