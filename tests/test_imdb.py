"""IMDB loader and task, on small archives in the official aclImdb layout."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
import time
import urllib.error
from collections import Counter
from pathlib import Path

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from rnntui.engine.config import ConfigError, RunConfig
from rnntui.engine.data import DataUnavailable, load_imdb
from rnntui.engine.data import download as fetch
from rnntui.engine.data import imdb as imdb_module
from rnntui.engine.data.encode import OOV, PAD, START, pad_front, tokenize, vocabulary
from rnntui.engine.tasks import make_task

REAL = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"

SMALL = {
    ("train", "pos"): ["A great, great film!", "Great fun.<br />Loved it"],
    ("train", "neg"): ["a bad film", "Bad bad plot; the film is bad"],
    ("test", "pos"): ["great"],
    ("test", "neg"): ["awful film, bad"],
}


def quiet() -> Console:
    return Console(file=io.StringIO(), width=200)


def write_tree(root: Path, reviews=SMALL) -> Path:
    """The official folder layout, with the extras the loader must skip."""
    base = root / "aclImdb"
    for (split, label), texts in reviews.items():
        folder = base / split / label
        folder.mkdir(parents=True, exist_ok=True)
        for i, text in enumerate(texts):
            (folder / f"{i}_{8 if label == 'pos' else 2}.txt").write_text(text, encoding="utf-8")
    (base / "train" / "unsup").mkdir(parents=True, exist_ok=True)
    (base / "train" / "unsup" / "0_0.txt").write_text("unlabelled words words words")
    (base / "train" / "labeledBow.feat").write_text("0 0:1\n")
    (base / "imdb.vocab").write_text("the\nand\n")
    (base / "README").write_text("Large Movie Review Dataset v1.0\n")
    return base


def write_archive(tmp_path: Path, reviews=SMALL, name: str = "aclImdb.tar.gz") -> Path:
    tree = write_tree(tmp_path / f"tree-{name}", reviews)
    archive = tmp_path / name
    with tarfile.open(archive, "w:gz") as out:
        out.add(tree, arcname="aclImdb")
    return archive


def many_reviews(per_class: int) -> dict:
    words = ["good", "fine", "bad", "dull", "plot", "actor"]
    return {(split, label): [" ".join(words[(i + j) % 6] for j in range(3 + i % 5)) for i in range(per_class)]
            for split in ("train", "test") for label in ("pos", "neg")}


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """No test sees the user's cache, data path or the network."""
    monkeypatch.setenv("RNNTUI_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("RNNTUI_IMDB", raising=False)
    monkeypatch.setattr(imdb_module, "URL", (tmp_path / "nowhere" / "aclImdb_v1.tar.gz").as_uri())


# -- encoding ----------------------------------------------------------------

def test_tokenize_follows_keras_text_to_word_sequence():
    assert tokenize("Great<br />film, isn't it? 10/10 -- 'Sure'") == \
        ["great", "br", "film", "isn't", "it", "10", "10", "'sure'"]


def test_vocabulary_ranks_by_frequency_then_alphabet():
    words = vocabulary(Counter({"b": 2, "a": 2, "the": 5, "z": 1}), num_words=7)
    assert words == ["<pad>", "<start>", "<oov>", "<unused>", "the", "a", "b"]


@given(st.lists(st.lists(st.integers(1, 50), max_size=12), max_size=6), st.integers(1, 10))
def test_pad_front_matches_keras_pad_sequences(sequences, maxlen):
    expected = [[0] * (maxlen - len(s[-maxlen:])) + s[-maxlen:] for s in sequences]
    assert pad_front(sequences, maxlen).reshape(len(sequences), maxlen).tolist() == expected


def test_keras_ids_start_token_oov_and_front_truncation(tmp_path):
    archive = write_archive(tmp_path)
    # train counts: bad 4, film 3, great 3, a 2, ... -> bad=4, film=5, great=6, a=7
    data = load_imdb(num_words=7, maxlen=6, source=archive, console=quiet())
    assert data.words[4:] == ["bad", "film", "great"]
    assert data.x_train[0].tolist() == [PAD, PAD, START, OOV, 4, 5]    # neg "a bad film"
    assert data.x_test[0].tolist() == [PAD, PAD, START, OOV, 5, 4]     # neg "awful film, bad"
    assert data.x_test[1].tolist() == [PAD, PAD, PAD, PAD, START, 6]   # pos "great"
    # "Bad bad plot; the film is bad": 7 words, maxlen 6 keeps the last 6, dropping the start token
    assert data.x_train[1].tolist() == [4, OOV, OOV, 5, OOV, 4]
    assert data.y_train.tolist() == [0, 0, 1, 1] and data.y_test.tolist() == [0, 1]


def test_num_words_caps_the_ids(tmp_path):
    data = load_imdb(num_words=5, maxlen=10, source=write_archive(tmp_path), console=quiet())
    assert int(data.x_train.max()) == 4 and set(data.x_train.unique().tolist()) <= {0, 1, 2, 4}
    assert 0 < data.coverage["train"] < 1


# -- sources -----------------------------------------------------------------

def test_archive_folder_and_parent_folder_load_the_same(tmp_path):
    archive = write_archive(tmp_path)
    tree = write_tree(tmp_path / "extracted")
    results = [load_imdb(20, 8, source=s, console=quiet()) for s in (archive, tree, tree.parent)]
    for other in results[1:]:
        assert torch.equal(other.x_train, results[0].x_train) and torch.equal(other.x_test, results[0].x_test)


def test_env_var_names_the_source(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNTUI_IMDB", str(write_archive(tmp_path)))
    assert load_imdb(20, 8, console=quiet()).x_train.shape == (4, 8)


def test_missing_path_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNTUI_IMDB", str(tmp_path / "absent.tar.gz"))
    with pytest.raises(DataUnavailable, match="RNNTUI_IMDB points to .*absent.tar.gz, which does not exist"):
        load_imdb(console=quiet())


def test_corrupt_archive(tmp_path):
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"this is not a gzip file" * 100)
    with pytest.raises(DataUnavailable, match="junk.tar.gz is not a readable aclImdb archive"):
        load_imdb(source=junk, console=quiet())


def test_partial_archive(tmp_path):
    whole = write_archive(tmp_path, many_reviews(30)).read_bytes()
    partial = tmp_path / "partial.tar.gz"
    partial.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(DataUnavailable, match="partial.tar.gz is not a readable aclImdb archive"):
        load_imdb(source=partial, console=quiet())


def test_archive_missing_a_split(tmp_path):
    reviews = {key: texts for key, texts in SMALL.items() if key != ("test", "neg")}
    with pytest.raises(DataUnavailable, match=r"no reviews in aclImdb/test/neg$"):
        load_imdb(source=write_archive(tmp_path, reviews), console=quiet())


@pytest.mark.parametrize("changes, field", [({"num_words": 3}, "num_words"), ({"maxlen": 0}, "seq_len"),
                                            ({"maxlen": 5000}, "seq_len"), ({"num_words": 10**6}, "num_words")])
def test_out_of_range_sizes(tmp_path, changes, field):
    with pytest.raises(ConfigError) as caught:
        load_imdb(**changes, source=write_archive(tmp_path), console=quiet())
    assert set(caught.value.errors) == {field}


# -- cache -------------------------------------------------------------------

def test_encoded_tensors_are_cached_per_size_and_source(tmp_path, monkeypatch):
    archive = write_archive(tmp_path)
    first = load_imdb(20, 8, source=archive, console=quiet())
    real_read = imdb_module.read_reviews
    monkeypatch.setattr(imdb_module, "read_reviews", lambda path: pytest.fail("cache not used"))
    assert torch.equal(load_imdb(20, 8, source=archive, console=quiet()).x_train, first.x_train)
    calls = []
    monkeypatch.setattr(imdb_module, "read_reviews", lambda path: calls.append(path) or real_read(path))
    load_imdb(21, 8, source=archive, console=quiet())
    load_imdb(20, 9, source=archive, console=quiet())
    changed = write_archive(tmp_path, many_reviews(3), name="changed.tar.gz")
    changed.replace(archive)
    load_imdb(20, 8, source=archive, console=quiet())
    assert len(calls) == 3


def test_damaged_cache_file_is_rebuilt(tmp_path):
    archive = write_archive(tmp_path)
    first = load_imdb(20, 8, source=archive, console=quiet())
    (stored,) = (tmp_path / "cache" / "imdb").glob("encoded-*.pt")
    stored.write_bytes(stored.read_bytes()[:100])
    assert torch.equal(load_imdb(20, 8, source=archive, console=quiet()).x_test, first.x_test)
    assert torch.equal(load_imdb(20, 8, source=archive, console=quiet()).x_test, first.x_test)


def test_unwritable_cache_only_costs_speed_when_data_is_given(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    console = quiet()
    data = load_imdb(20, 8, source=write_archive(tmp_path), cache_dir=blocker, console=console)
    assert data.x_train.shape == (4, 8)
    assert "cannot cache the encoded reviews" in console.file.getvalue()


def test_unwritable_cache_is_a_clear_error_when_a_download_is_needed(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(DataUnavailable, match="is not writable.*RNNTUI_CACHE or --data-dir"):
        load_imdb(cache_dir=blocker, console=quiet())


# -- download ----------------------------------------------------------------

def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_offline_without_cache_says_which_file_to_put_where(tmp_path):
    with pytest.raises(DataUnavailable) as caught:
        load_imdb(console=quiet())
    message = str(caught.value)
    assert str(tmp_path / "cache" / "imdb" / "aclImdb_v1.tar.gz") in message
    assert "RNNTUI_IMDB" in message and "could not download" in message
    assert not list((tmp_path / "cache" / "imdb").glob("*.tar.gz"))


def test_download_verify_extract_then_offline(tmp_path, monkeypatch):
    archive = write_archive(tmp_path)
    monkeypatch.setattr(imdb_module, "URL", archive.as_uri())
    monkeypatch.setattr(imdb_module, "SHA256", sha(archive))
    first = load_imdb(20, 8, console=quiet())
    cache = tmp_path / "cache" / "imdb"
    assert (cache / "aclImdb" / "test" / "neg" / "0_2.txt").read_text() == "awful film, bad"
    assert not (cache / "aclImdb" / "train" / "unsup").exists()
    assert sorted(p.name for p in cache.iterdir() if not p.name.startswith("encoded-")) == ["aclImdb"]
    monkeypatch.setattr(imdb_module, "URL", "http://offline.invalid/aclImdb_v1.tar.gz")
    again = load_imdb(20, 9, console=quiet())  # new size: re-encodes from the extracted cache
    assert torch.equal(again.y_train, first.y_train)


def test_archive_placed_by_hand_is_checked_against_the_official_checksum(tmp_path):
    cache = tmp_path / "cache" / "imdb"
    cache.mkdir(parents=True)
    placed = write_archive(tmp_path).replace(cache / "aclImdb_v1.tar.gz")
    with pytest.raises(DataUnavailable, match="is not the official aclImdb_v1.tar.gz"):
        load_imdb(console=quiet())
    assert placed.exists()


def test_archive_placed_by_hand_is_extracted(tmp_path, monkeypatch):
    cache = tmp_path / "cache" / "imdb"
    cache.mkdir(parents=True)
    placed = write_archive(tmp_path).replace(cache / "aclImdb_v1.tar.gz")
    monkeypatch.setattr(imdb_module, "SHA256", sha(placed))
    assert load_imdb(20, 8, console=quiet()).x_test.shape == (2, 8)
    assert (cache / "aclImdb").is_dir() and not placed.exists()


class Response(io.BytesIO):
    """A minimal HTTP response; ``fail_after`` bytes are served before the connection drops."""

    def __init__(self, body: bytes, status: int = 200, headers=None, fail_after: int | None = None):
        super().__init__(body)
        self.status = status
        self.headers = {"Content-Length": str(len(body)), **(headers or {})}
        self.fail_after = fail_after

    def read(self, size=-1):
        if self.fail_after is not None and self.tell() >= self.fail_after:
            raise ConnectionResetError("connection reset by peer")
        limit = size if self.fail_after is None else min(size, self.fail_after - self.tell())
        return super().read(limit)


def server(payload: bytes, requests: list, fail_after: int | None = None, honour_range: bool = True):
    def opener(request, timeout):
        requests.append(request.get_header("Range"))
        start = int(request.get_header("Range")[6:-1]) if request.get_header("Range") else 0
        if start and honour_range:
            return Response(payload[start:], 206, {"Content-Range": f"bytes {start}-{len(payload) - 1}/{len(payload)}"},
                            fail_after)
        return Response(payload, 200, fail_after=fail_after)
    return opener


def test_interrupted_download_keeps_the_part_and_resumes(tmp_path):
    payload = bytes(range(256)) * 40
    dest, requests = tmp_path / "file.bin", []
    digest = hashlib.sha256(payload).hexdigest()
    with pytest.raises(DataUnavailable, match="interrupted .* run again to resume"):
        fetch.download("https://x/file.bin", dest, digest, quiet(), opener=server(payload, requests, fail_after=3000))
    assert not dest.exists() and (tmp_path / "file.bin.part").stat().st_size == 3000
    fetch.download("https://x/file.bin", dest, digest, quiet(), opener=server(payload, requests))
    assert requests == [None, "bytes=3000-"]
    assert dest.read_bytes() == payload and not (tmp_path / "file.bin.part").exists()


def test_download_restarts_when_the_server_ignores_the_range(tmp_path):
    payload = b"0123456789" * 100
    (tmp_path / "file.bin.part").write_bytes(b"stale bytes from another file")
    requests = []
    fetch.download("https://x/file.bin", tmp_path / "file.bin", hashlib.sha256(payload).hexdigest(), quiet(),
                   opener=server(payload, requests, honour_range=False))
    assert requests == ["bytes=29-"] and (tmp_path / "file.bin").read_bytes() == payload


def test_download_with_a_complete_part_finishes_on_http_416(tmp_path):
    payload = b"complete"
    (tmp_path / "file.bin.part").write_bytes(payload)

    def opener(request, timeout):
        raise urllib.error.HTTPError(request.full_url, 416, "Range Not Satisfiable", {}, None)
    fetch.download("https://x/file.bin", tmp_path / "file.bin", hashlib.sha256(payload).hexdigest(), quiet(), opener)
    assert (tmp_path / "file.bin").read_bytes() == payload


def test_short_download_is_not_trusted(tmp_path):
    def opener(request, timeout):
        response = Response(b"half")
        response.headers["Content-Length"] = "8"
        return response
    with pytest.raises(DataUnavailable, match="ended early"):
        fetch.download("https://x/f", tmp_path / "f", "0" * 64, quiet(), opener)
    assert not (tmp_path / "f").exists() and (tmp_path / "f.part").read_bytes() == b"half"


def test_checksum_mismatch_deletes_the_part(tmp_path):
    source = tmp_path / "source.bin"
    source.write_bytes(b"tampered")
    with pytest.raises(DataUnavailable, match="does not match its sha256"):
        fetch.download(source.as_uri(), tmp_path / "f", "0" * 64, quiet())
    assert not (tmp_path / "f").exists() and not (tmp_path / "f.part").exists()


# -- task --------------------------------------------------------------------

def imdb_config(**changes) -> RunConfig:
    values = dict(task="imdb", seq_len=6, num_words=10, batch_size=4, n_samples=25_000, seed=3)
    values.update(changes)
    return RunConfig(**values)


@pytest.fixture
def small_imdb(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNTUI_IMDB", str(write_archive(tmp_path, many_reviews(9))))


def test_task_shapes_and_scoring(small_imdb):
    task = make_task(imdb_config())
    assert (task.vocab_size, task.output_size, task.loss_kind, task.metric_name, task.metric_goal) == \
        (10, 1, "bce", "accuracy", "max")
    assert task.steps_per_epoch() == 4  # 18 reviews, batches of 4, the last 2 dropped
    batches = list(task.train_batches(torch.Generator().manual_seed(0)))
    assert len(batches) == 4 and all(b.inputs.shape == (1, 4, 6) and b.targets.shape == (1, 4, 1) for b in batches)
    assert batches[0].inputs.dtype == torch.int64 and batches[0].targets.dtype == torch.float32
    validation = task.validation_batch()
    assert validation.inputs.shape == (1, 18, 6) and validation.targets.shape == (1, 18, 1)
    assert task.baseline() == pytest.approx(0.6931, abs=1e-4)
    logits = torch.tensor([[[2.0], [-1.0], [0.5], [-3.0]]])
    labels = torch.tensor([[[1.0], [1.0], [0.0], [0.0]]])
    assert task.metrics(logits, labels)["accuracy"].tolist() == [0.5]
    assert task.loss(logits, labels).shape == (1,)


def test_task_shuffles_with_the_generator(small_imdb):
    task = make_task(imdb_config())
    def epoch(seed):
        return torch.cat([b.inputs[0] for b in task.train_batches(torch.Generator().manual_seed(seed))])
    assert torch.equal(epoch(1), epoch(1)) and not torch.equal(epoch(1), epoch(2))
    assert len({tuple(row) for row in epoch(1).tolist()}) > 1


def test_task_subsample_is_fixed_and_independent_of_seed(small_imdb):
    a, b = make_task(imdb_config(n_samples=6)), make_task(imdb_config(n_samples=6, seed=9))
    assert a.train_inputs.shape == (6, 6) and a.val_inputs.shape == (6, 6)
    assert torch.equal(a.train_inputs, b.train_inputs) and torch.equal(a.val_targets, b.val_targets)


def test_task_rejects_a_batch_larger_than_the_data(small_imdb):
    with pytest.raises(ConfigError, match="batch_size"):
        make_task(imdb_config(batch_size=19))


# -- the real archive --------------------------------------------------------

@pytest.mark.slow
def test_real_archive_loads_and_encodes(tmp_path):
    archive = REAL / "aclImdb_labelled.tar.gz"
    if not archive.exists():
        pytest.skip(f"real archive not found at {archive}")
    started = time.perf_counter()
    data = load_imdb(10_000, 80, source=archive, console=quiet())
    first = time.perf_counter() - started
    started = time.perf_counter()
    cached = load_imdb(10_000, 80, source=archive, console=quiet())
    second = time.perf_counter() - started
    print(f"real IMDB load: first {first:.1f}s, cached {second:.2f}s, coverage {data.coverage}")
    assert second < 5 and torch.equal(cached.x_train, data.x_train)
    for x, y in ((data.x_train, data.y_train), (data.x_test, data.y_test)):
        assert x.shape == (25_000, 80) and x.dtype == torch.int64 and y.shape == (25_000,)
        assert int(y.sum()) == 12_500 and 0 <= int(x.min()) and int(x.max()) == 9_999
        assert not (x == 3).any()  # Keras leaves id 3 unused
        short = (x == PAD).any(dim=1)
        starts = (x == START).float().argmax(dim=1)
        assert bool(short.any()) and bool((x[short].gather(1, starts[short, None]) == START).all())
    assert data.coverage["train"] > 0.9 and data.coverage["test"] > 0.9
    keras = json.loads(gzip.open(REAL / "imdb_word_index.json.gz").read())
    keras_top = {word for word, rank in keras.items() if rank + 3 < 10_000}
    assert len(keras_top & set(data.words[4:])) / len(keras_top) > 0.99
