"""Writing result files safely: all of a set or none, never over what the user did not offer.

- Targets are checked first: a symlink, FIFO, device, directory or a protected
  file (the preset the run came from, the run store) is refused outright; an
  existing regular file only with ``force``; a name longer than the file system
  allows is refused before anything is written.
- Each file is written to a short-named temporary beside it and fsynced; only
  when every temporary is complete are they put in place, so a set (a CSV and
  its ``.timesteps.csv``) is never split. Temporaries go on every exit path.
- Files follow the umask (0644 under the usual 022), not ``mkstemp``'s 0600.
- Ctrl+C, SIGTERM and SIGHUP wait while the files are put in place.
"""

from __future__ import annotations

import errno
import os
import signal
import stat
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator, Sequence

DEFAULT_NAME_MAX = 255
DEFERRED_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


class TargetRefused(ValueError):
    """A target rnntui will not write to; the text says which and why."""


def umask() -> int:
    """The process umask, read without changing it where the system allows."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def name_max(directory: Path) -> int:
    while not directory.exists() and directory != directory.parent:
        directory = directory.parent
    try:
        return os.pathconf(directory, "PC_NAME_MAX")
    except (OSError, ValueError):
        return DEFAULT_NAME_MAX


def refusal(path: Path, *, force: bool, protect: Iterable[Path] = ()) -> str | None:
    """Why ``path`` must not be written (None if it may)."""
    size = len(os.fsencode(path.name))
    if size > (limit := name_max(path.parent)):
        return f"the name is {size} bytes, longer than the file system allows ({limit})"
    try:
        info = os.lstat(path)
    except OSError:      # nothing there (or no way there): writing it will say, and fall back
        return None
    if stat.S_ISLNK(info.st_mode):
        return "is a symbolic link; rnntui writes only regular files"
    if stat.S_ISDIR(info.st_mode):
        return "is a directory"
    if not stat.S_ISREG(info.st_mode):
        return "is not a regular file (a FIFO, device or socket); rnntui writes only regular files"
    for kept in protect:
        try:
            if os.path.samefile(path, kept):
                return f"is {kept}, which rnntui does not overwrite"
        except OSError:
            continue
    if not force:
        return "exists; --force replaces it"
    return None


def check_targets(paths: Iterable[Path], *, force: bool = False, protect: Iterable[Path] = ()) -> None:
    protect = tuple(protect)
    for path in paths:
        reason = refusal(path, force=force, protect=protect)
        if reason:
            raise TargetRefused(f"{path}: {reason}")


@contextmanager
def deferred_signals() -> Iterator[None]:
    """Hold Ctrl+C, SIGTERM and SIGHUP for the body, then deliver them (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = {signum: signal.signal(signum, lambda signum, frame: caught.append(signum))
                for signum in DEFERRED_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for signum in caught:
            handler = previous[signum]
            if callable(handler):
                handler(signum, None)
            elif handler == signal.SIG_DFL:
                os.kill(os.getpid(), signum)


def write_files(paths: Sequence[Path], documents: Sequence[str], *, force: bool = False,
                protect: Iterable[Path] = ()) -> None:
    """Write every document to its path, or none of them (see the module docstring)."""
    check_targets(paths, force=force, protect=protect)
    temporaries: list[Path] = []
    try:
        for path, text in zip(paths, documents):
            path.parent.mkdir(parents=True, exist_ok=True)
            with deferred_signals():
                descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=".rnntui-", suffix=".tmp")
                temporaries.append(Path(name))
            with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
                os.fchmod(handle.fileno(), 0o666 & ~umask())
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
        with deferred_signals():
            _put_in_place(temporaries, paths, force)
    finally:
        for temporary in temporaries:
            temporary.unlink(missing_ok=True)


def _put_in_place(temporaries: list[Path], paths: Sequence[Path], force: bool) -> None:
    placed: list[Path] = []
    try:
        for temporary, path in zip(temporaries, paths):
            _place(temporary, path, force)
            placed.append(path)
    except BaseException:
        for path in placed:        # never half a set
            path.unlink(missing_ok=True)
        raise


def _place(temporary: Path, path: Path, force: bool) -> None:
    """Rename into place; without ``force``, a link that fails if the name was taken meanwhile."""
    if force:
        check_targets([path], force=True)
        os.replace(temporary, path)
        return
    try:
        os.link(temporary, path)
    except FileExistsError:
        raise TargetRefused(f"{path}: appeared while rnntui was writing; --force replaces it") from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
            raise
        check_targets([path])      # a file system without hard links: check, then rename
        os.replace(temporary, path)
