"""Finding, fetching and caching the IMDB reviews (Large Movie Review Dataset).

Where the data comes from, first match wins:

1. a path given as ``source`` or in ``RNNTUI_IMDB``: a ``.tar.gz`` archive or
   an extracted ``aclImdb`` folder (or its parent), checked structurally;
2. the cache: ``<cache>/aclImdb``, extracted earlier;
3. ``<cache>/aclImdb_v1.tar.gz``, placed by hand or downloaded, checked
   against the official sha256, then extracted (and removed);
4. a download of the official archive.

``<cache>`` is ``cache_dir`` (the CLI's ``--data-dir``), else ``RNNTUI_CACHE``,
else the platform user cache dir of rnntui, each plus ``/imdb``. Encoded
tensors are cached there too, keyed by the source's identity, ``num_words``
and ``maxlen``. A cache dir that cannot be written is not fatal while the data
is given by path (it only costs the fast second start, with a notice); when
a download or extraction needs it, the error says which directory to fix.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import stat
import time
from dataclasses import asdict
from pathlib import Path

import platformdirs
import torch
from rich.console import Console

from ..config import build_config
from . import download as fetch
from .archive import extract_labelled, labelled_folders, read_reviews, review_entries
from .encode import ImdbData, encode
from .errors import DataUnavailable

URL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
SHA256 = "c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe"
ARCHIVE = "aclImdb_v1.tar.gz"
ENCODING_VERSION = 1  # bump when tokenizing or id rules change, to retire old caches


def cache_root(cache_dir: str | os.PathLike | None = None) -> Path:
    base = cache_dir or os.environ.get("RNNTUI_CACHE") or platformdirs.user_cache_dir("rnntui")
    return Path(base).expanduser() / "imdb"


def load_imdb(num_words: int = 10_000, maxlen: int = 80, *, source: str | os.PathLike | None = None,
              cache_dir: str | os.PathLike | None = None, console: Console | None = None) -> ImdbData:
    """The encoded train and test reviews; raises DataUnavailable or ConfigError."""
    build_config({"task": "imdb", "num_words": num_words, "seq_len": maxlen})  # range checks
    console = console or Console(stderr=True)
    cache = cache_root(cache_dir)
    path = _given(source) or _cached_or_fetched(cache, console)
    key = hashlib.sha256(f"{ENCODING_VERSION}|{_identity(path)}|{num_words}|{maxlen}".encode()).hexdigest()
    stored = cache / f"encoded-w{num_words}-l{maxlen}-{key[:16]}.pt"
    data = _load_encoded(stored)
    if data is None:
        started = time.perf_counter()
        reviews = read_reviews(path)      # a bad source fails here, in one line, before any notice
        console.print(f"Encoding the IMDB reviews from {path} (once; cached afterwards)...")
        data = encode(reviews, num_words, maxlen)
        console.print(f"Encoded in {time.perf_counter() - started:.1f}s.")
        _store_encoded(data, stored, console)
    return data


def _given(source: str | os.PathLike | None) -> Path | None:
    raw = source or os.environ.get("RNNTUI_IMDB")
    if not raw:
        return None
    path = Path(raw).expanduser()
    origin = "RNNTUI_IMDB" if not source else "the IMDB data path"
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        what = "a symlink loop" if exc.errno == errno.ELOOP else "does not exist" \
            if exc.errno in (errno.ENOENT, errno.ENOTDIR) else f"unreadable ({exc.strerror})"
        raise DataUnavailable(f"{origin} points to {path}, which {'is ' if what.startswith('a ') else ''}{what}; "
                              "give an aclImdb archive (.tar.gz) or an extracted aclImdb folder") from None
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise DataUnavailable(f"{origin} points to {path}, which is not a regular file or a folder; "
                              "give an aclImdb archive (.tar.gz) or an extracted aclImdb folder")
    return path


def _cached_or_fetched(cache: Path, console: Console) -> Path:
    extracted = cache / "aclImdb"
    if extracted.is_dir():
        return extracted
    archive = cache / ARCHIVE
    if not archive.exists():
        _writable(cache)
        try:
            fetch.download(URL, archive, SHA256, console)
        except DataUnavailable as exc:
            raise DataUnavailable(_unavailable(exc, archive)) from None
    elif fetch.sha256_of(archive) != SHA256:
        raise DataUnavailable(f"{archive} is not the official {ARCHIVE} (its sha256 differs); "
                              f"replace it, or set RNNTUI_IMDB to use another copy of the data")
    _writable(cache)
    partial = cache / "aclImdb.partial"
    shutil.rmtree(partial, ignore_errors=True)
    console.print(f"Extracting {archive}...")
    try:
        extract_labelled(archive, partial)
        os.replace(partial / "aclImdb", extracted)
    except OSError as exc:
        raise DataUnavailable(f"extracting {archive} into {cache} failed: {exc}") from None
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    archive.unlink()
    return extracted


def _unavailable(exc: DataUnavailable, archive: Path) -> str:
    return (f"The IMDB data is not available: {exc}.\n"
            f"Either download {URL} yourself and put it at {archive} (rnntui verifies and extracts it), "
            f"or set RNNTUI_IMDB to a local copy (an aclImdb .tar.gz archive or an extracted aclImdb folder).")


def _writable(cache: Path) -> None:
    try:
        cache.mkdir(parents=True, exist_ok=True)
        probe = cache / f".write-test-{os.getpid()}"
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise DataUnavailable(f"the cache directory {cache} is not writable ({exc.strerror or exc}); "
                              f"point RNNTUI_CACHE or --data-dir at a writable directory, "
                              f"or set RNNTUI_IMDB to a local copy of the data") from None


def _identity(path: Path) -> str:
    """Content hash of an archive; for a folder, the names, sizes and times of its files."""
    if not path.is_dir():
        return fetch.sha256_of(path)
    digest = hashlib.sha256(str(path.resolve()).encode())
    for folder in labelled_folders(path).values():
        for entry in sorted(review_entries(folder), key=lambda e: e.name):
            info = entry.stat(follow_symlinks=False)
            digest.update(f"{entry.path}|{info.st_size}|{info.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _load_encoded(stored: Path) -> ImdbData | None:
    try:
        return ImdbData(**torch.load(stored, weights_only=True))
    except Exception:  # missing or damaged: rebuilt, never trusted
        return None


def _store_encoded(data: ImdbData, stored: Path, console: Console) -> None:
    """Write atomically (temp file, then rename); failure only costs speed."""
    temp = stored.with_name(f"{stored.name}.{os.getpid()}.tmp")
    try:
        stored.parent.mkdir(parents=True, exist_ok=True)
        torch.save(asdict(data), temp)
        os.replace(temp, stored)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temp.unlink()
        console.print(f"[yellow]note:[/] cannot cache the encoded reviews in {stored.parent} "
                      f"({exc.strerror or exc}); the next start encodes them again. "
                      f"Set RNNTUI_CACHE or --data-dir to a writable directory to fix this.")
