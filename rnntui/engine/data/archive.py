"""Reading the labelled reviews of an aclImdb archive or extracted folder.

Only ``aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt`` is read, so the
official archive and the labelled-only copy read the same, and the extra
members (unlabelled reviews, bag-of-words files) are skipped. A source is
accepted when all four of those folders hold reviews.
"""

from __future__ import annotations

import os
import re
import tarfile
import zlib
from pathlib import Path

from .errors import DataUnavailable

SPLITS = ("train", "test")
LABELS = {"neg": 0, "pos": 1}
REVIEW = re.compile(r"^(?:\./)?aclImdb/(train|test)/(pos|neg)/(\d+)_(\d+)\.txt$")

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


def _archive_members(path: Path):
    """(name, bytes) of each labelled review, streamed; corrupt archives raise DataUnavailable."""
    try:
        with tarfile.open(path, "r|*") as archive:
            for member in archive:
                if member.isfile() and REVIEW.match(member.name):
                    yield member.name, archive.extractfile(member).read()
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise DataUnavailable(f"{path} is not a readable aclImdb archive: it is corrupt or "
                              f"incomplete ({exc or type(exc).__name__})") from None


def labelled_folders(path: Path) -> dict[tuple[str, str], Path]:
    """The existing ``{train,test}/{pos,neg}`` folders of an ``aclImdb`` folder or its parent."""
    root = path if (path / "train").is_dir() else path / "aclImdb"
    folders = {(s, l): root / s / l for s in SPLITS for l in LABELS}
    return {key: folder for key, folder in folders.items() if folder.is_dir()}


def _read_folder(path: Path) -> dict[tuple[str, str], list[tuple[int, str]]]:
    found: dict[tuple[str, str], list[tuple[int, str]]] = {}
    try:
        for (split, label), folder in labelled_folders(path).items():
            for entry in os.scandir(folder):
                match = REVIEW.match(f"aclImdb/{split}/{label}/{entry.name}")
                if match and entry.is_file():
                    text = Path(entry.path).read_bytes().decode("utf-8", "replace")
                    found.setdefault((split, label), []).append((int(match.group(3)), text))
    except OSError as exc:
        raise DataUnavailable(f"cannot read the aclImdb folder {path}: {exc}") from None
    return found


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
