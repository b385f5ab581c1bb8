"""Reading the labelled reviews of an aclImdb archive or extracted folder.

Only ``aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt`` is read, so the
official archive and the labelled-only copy read the same, and the extra
members (unlabelled reviews, bag-of-words files) are skipped. A source is
accepted when all four of those folders hold reviews.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import re
import tarfile
import zlib
from pathlib import Path

from ...formatting import printable
from .errors import DataUnavailable

SPLITS = ("train", "test")
LABELS = {"neg": 0, "pos": 1}
REVIEW = re.compile(r"^(?:\./)?aclImdb/(train|test)/(pos|neg)/(\d+)_(\d+)\.txt$")
REVIEW_NAME = re.compile(r"^(\d+)_(\d+)\.txt$")
MAX_REVIEW_BYTES = 1 << 20        # the longest real review is 14 KB
MAX_TOTAL_BYTES = 2 << 30         # the official archive expands to about 0.5 GB
COMPRESSIONS = ((b"\x1f\x8b", lambda raw: gzip.GzipFile(fileobj=raw)), (b"BZh", bz2.BZ2File),
                (b"\xfd7zXZ", lzma.LZMAFile))

# split -> (texts, labels), ordered by (label, review id) whatever the archive order.
Reviews = dict[str, tuple[list[str], list[int]]]


def read_reviews(path: Path) -> Reviews:
    """All labelled reviews of a ``.tar.gz`` archive or an extracted folder."""
    found = _read_folder(path) if path.is_dir() else _read_archive(path)
    return _ordered(found, path)


def extract_labelled(archive: Path, dest: Path) -> None:
    """Write the labelled reviews of ``archive`` under ``dest/aclImdb``.

    Paths are rebuilt from the matched name parts, so no member can escape
    ``dest``.
    """
    seen: set[tuple[str, str]] = set()
    for name, data in _archive_members(archive):
        split, label, review_id, rating = REVIEW.match(name).groups()
        target = dest / "aclImdb" / split / label / f"{review_id}_{rating}.txt"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        seen.add((split, label))
    _check_complete(seen, archive)


def _read_archive(path: Path) -> dict[tuple[str, str], list[tuple[int, str]]]:
    found: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for name, data in _archive_members(path):
        split, label, review_id, _ = REVIEW.match(name).groups()
        found.setdefault((split, label), []).append((int(review_id), data.decode("utf-8", "replace")))
    return found


class _Expanded:
    """The archive's decompressed bytes, counted: a stream past MAX_TOTAL_BYTES (a compression bomb)
    is refused, and :meth:`drain` reads to the end, so a cut compressed stream fails its check."""

    def __init__(self, raw, path: Path):
        head = raw.read(6)
        raw.seek(0)
        opener = next((module for magic, module in COMPRESSIONS if head.startswith(magic)), None)
        self.stream = opener(raw) if opener else raw
        self.path = path
        self.total = 0

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size if size >= 0 else MAX_TOTAL_BYTES + 1 - self.total)
        self.total += len(data)
        if self.total > MAX_TOTAL_BYTES:
            raise DataUnavailable(f"{self.path} expands to more than {MAX_TOTAL_BYTES >> 30} GiB; "
                                  "the aclImdb archive is far smaller")
        return data

    def drain(self) -> None:
        while self.read(1 << 20):
            pass


def _archive_members(path: Path):
    """(name, bytes) of each labelled review, streamed; corrupt, cut or oversized archives raise DataUnavailable."""
    try:
        with open(path, "rb") as raw:
            expanded = _Expanded(raw, path)
            with tarfile.open(fileobj=expanded, mode="r|") as archive:
                for member in archive:
                    if member.isfile() and REVIEW.match(member.name):
                        if member.size > MAX_REVIEW_BYTES:
                            raise DataUnavailable(f"{path}: {printable(member.name)} is {member.size:,} bytes; "
                                                  f"a review is at most {MAX_REVIEW_BYTES >> 20} MiB")
                        yield member.name, archive.extractfile(member).read()
                end = archive.offset
            expanded.drain()
    except (tarfile.TarError, EOFError, zlib.error, lzma.LZMAError, OSError) as exc:
        raise DataUnavailable(f"{path} is not a readable aclImdb archive: it is corrupt or "
                              f"incomplete ({exc or type(exc).__name__})") from None
    if expanded.total < end + 2 * tarfile.BLOCKSIZE:     # a tar ends with two zero blocks
        raise DataUnavailable(f"{path} is not a readable aclImdb archive: it is incomplete "
                              "(the tar archive has no end marker)")


def labelled_folders(path: Path) -> dict[tuple[str, str], Path]:
    """The existing ``{train,test}/{pos,neg}`` folders of an ``aclImdb`` folder or its parent
    (links below ``path`` are not followed: the data stays inside the folder given)."""
    root = path if _real_dir(path / "train") else path / "aclImdb"
    folders = {(s, l): root / s / l for s in SPLITS for l in LABELS}
    return {key: folder for key, folder in folders.items()
            if all(_real_dir(part) for part in (root, root / key[0], folder))}


def _real_dir(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink()


def _read_folder(path: Path) -> dict[tuple[str, str], list[tuple[int, str]]]:
    """Reviews of a folder; links inside it are never followed (a review linked to /etc/passwd is skipped)."""
    found: dict[tuple[str, str], list[tuple[int, str]]] = {}
    total = 0
    try:
        for (split, label), folder in labelled_folders(path).items():
            for entry in review_entries(folder):
                size = entry.stat(follow_symlinks=False).st_size
                if size > MAX_REVIEW_BYTES:
                    raise DataUnavailable(f"{printable(entry.path)} is {size:,} bytes; "
                                          f"a review is at most {MAX_REVIEW_BYTES >> 20} MiB")
                total += size
                if total > MAX_TOTAL_BYTES:
                    raise DataUnavailable(f"the reviews in {path} add up to more than "
                                          f"{MAX_TOTAL_BYTES >> 30} GiB; the aclImdb data set is far smaller")
                with open(entry.path, "rb", opener=_no_follow) as handle:
                    text = handle.read(MAX_REVIEW_BYTES + 1).decode("utf-8", "replace")
                found.setdefault((split, label), []).append((int(entry.name.split("_")[0]), text))
    except OSError as exc:
        raise DataUnavailable(f"cannot read the aclImdb folder {path}: {exc}") from None
    return found


def review_entries(folder: Path) -> list[os.DirEntry]:
    """The review files of one label folder: regular files named ``<id>_<rating>.txt``, links skipped."""
    return [entry for entry in os.scandir(folder)
            if REVIEW_NAME.match(entry.name) and entry.is_file(follow_symlinks=False)]


def _no_follow(name: str, flags: int) -> int:
    return os.open(name, flags | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))


def _check_complete(seen, path: Path) -> None:
    missing = [f"aclImdb/{s}/{l}" for s in SPLITS for l in LABELS if (s, l) not in seen]
    if missing:
        raise DataUnavailable(f"{path} does not look like the aclImdb data set: no reviews in "
                              + ", ".join(missing))


def _ordered(found: dict[tuple[str, str], list[tuple[int, str]]], path: Path) -> Reviews:
    _check_complete(set(found), path)
    reviews: Reviews = {}
    for split in SPLITS:
        texts: list[str] = []
        labels: list[int] = []
        for label, value in sorted(LABELS.items(), key=lambda item: item[1]):
            for _, text in sorted(found[(split, label)]):
                texts.append(text)
                labels.append(value)
        reviews[split] = (texts, labels)
    return reviews
