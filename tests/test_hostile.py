"""Hostile and careless input through the real entry point: exit 2, one line naming the problem, no traceback."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rnntui.cli import GLOBAL_OPTIONS, build_parser
from rnntui.cli.arguments import normalise_argv

from cli_helpers import ROOT, environment, refused, rnntui

# -- the command line ------------------------------------------------------------


def test_global_options_work_after_the_command(tmp_path):
    result = rnntui("run", "imdb-lstm", "--imdb", str(tmp_path / "nowhere"), "--data-dir", str(tmp_path))
    refused(result, "does not exist", str(tmp_path / "nowhere"))


def test_an_option_after_the_command_wins_over_the_same_before_it():
    args = build_parser().parse_args(["--threads", "3", "run", "smoke", "--threads", "2"])
    assert args.threads == 2
    assert build_parser().parse_args(["--threads", "3", "run", "smoke"]).threads == 3


def test_every_command_takes_every_global_option():
    parser = build_parser()
    for command in ("run", "sweep", "landscape", "presets"):
        for flags, _ in GLOBAL_OPTIONS:
            value = "1" if flags[0] == "--threads" else "cpu" if flags[0] == "--device" else "x"
            argv = [command, "smoke", flags[0], value] if command in ("run", "sweep") else [command, flags[0], value]
            assert getattr(parser.parse_args(argv), flags[0][2:].replace("-", "_")) is not None


def test_set_stops_at_the_first_word_that_is_not_key_value(tmp_path):
    result = rnntui("run", "--set", "seq_len=5", "epochs=1", "latching-srnn", "--csv", str(tmp_path / "r.csv"))
    assert result.returncode == 0, result.stderr
    assert "latching-srnn" in result.stdout


def test_set_without_key_value_names_the_word():
    refused(rnntui("run", "smoke", "--set", "lr"), "lr", "expected KEY=VALUE")


@pytest.mark.parametrize("value", ["-1", "0", "two", "100000"])
def test_threads_must_be_a_positive_count(value):
    refused(rnntui("run", "smoke", "--threads", value), "--threads", "1 to")


@pytest.mark.parametrize("argv, words", [
    (["sweep", "smoke", "--lengths", "-5"], ["seq_len", "-5", ">= 1"]),
    (["sweep", "smoke", "--lengths", "-5,6"], ["seq_len", "-5", ">= 1"]),
    (["sweep", "smoke", "--field", "lr", "--values", "-0.1,0.2"], ["lr", "-0.1"]),
    (["landscape", "--T", "-5"], ["-5", "outside"]),
])
def test_negative_numbers_are_values_with_a_range_error(argv, words):
    line = refused(rnntui(*argv), *words)
    assert "expected one argument" not in line and "unrecognized" not in line


@pytest.mark.parametrize("argv", [
    ["sweep", "smoke", "--lengths", ""], ["sweep", "smoke", "--cells", ""],
    ["sweep", "smoke", "--field", "lr", "--values", " , "], ["landscape", "--T", ""],
])
def test_empty_lists_are_errors_not_defaults(argv):
    refused(rnntui(*argv), "empty")


@pytest.mark.parametrize("argv, words", [
    (["--lengths", "5,5,5"], ["values", "5 appears more than once"]),
    (["--lengths", "3", "--cells", "lstm,gru,lstm"], ["cells", "lstm appears more than once"]),
])
def test_duplicate_grid_points_are_refused(argv, words):
    refused(rnntui("sweep", "smoke", *argv), *words)


def test_the_engine_refuses_duplicates_too():
    from rnntui.engine.config import ConfigError, RunConfig
    from rnntui.engine.sweep import SweepSpec

    for spec in (SweepSpec(RunConfig(), values=(5, 5)), SweepSpec(RunConfig(), values=(5,), cells=("gru", "gru"))):
        with pytest.raises(ConfigError):
            spec.validate()


def test_usage_errors_are_one_line_with_control_characters_escaped():
    line = refused(rnntui("run", "smoke", "--bogus", "\x1b[31mred"), "unrecognized", "--help")
    assert "\x1b" not in line and "\\x1b[31mred" in line


def test_argparse_still_has_the_private_attributes_normalise_argv_reads():
    """normalise_argv walks ``_actions`` and ``_SubParsersAction``: fail loudly if argparse renames them."""
    parser = build_parser()
    assert any(isinstance(a, argparse._SubParsersAction) for a in parser._actions)
    assert any("--lengths" in a.option_strings and a.nargs is None
               for a in parser._subparsers._group_actions[0].choices["sweep"]._actions)
    assert normalise_argv(parser, ["sweep", "x", "--lengths", "-5,6", "--set", "a=1", "b=2", "x"]) == \
        ["sweep", "x", "--lengths=-5,6", "--set=a=1", "--set=b=2", "x"]


# -- sizes -------------------------------------------------------------------------


def test_a_billion_repeats_is_refused_at_once():
    line = refused(rnntui("sweep", "smoke", "--repeats", "1000000000"), "repeats", "runs", "lower")
    assert "50,000,000,000" in line


def test_sweep_runs_are_made_as_they_are_read():
    import itertools
    import time

    from rnntui.engine.config import RunConfig
    from rnntui.engine.sweep import SweepSpec

    spec = SweepSpec(RunConfig(), values=(5, 6), cells=("lstm",), repeats=400_000)
    started = time.perf_counter()
    first = list(itertools.islice(spec.runs(), 3))
    assert time.perf_counter() - started < 1.0
    assert [run.config.seed for run in first] == [0, 1, 2] and spec.total_runs == 800_000


# -- preset files ------------------------------------------------------------------

GOOD = 'name = "mine"\ndescription = "x"\n[config]\ntask = "latching"\n'


def preset(tmp_path: Path, content: str | bytes, name: str = "p.toml") -> str:
    path = tmp_path / name
    (path.write_bytes if isinstance(content, bytes) else path.write_text)(content)
    return str(path)


@pytest.mark.parametrize("content, words", [
    (b'name = "\xff\xfe"\n', ["not UTF-8", "0xff"]),
    ("a = " + "[" * 5000 + "]" * 5000 + "\n", ["nested too deeply"]),
    ("a" + ".a" * 20_000 + " = 1\n", ["line 1", "dots"]),
    ("# " + "x" * 70_000 + "\n", ["64 KiB"]),
    (GOOD.replace('"mine"', '"\\u001b[2J\\u001b[31mred"'), ["name", "control character", "\\x1b"]),
    ("".join(f'"k\\u001b{i}" = 1\n' for i in range(50)), ["and", "more problems"]),
])
def test_hostile_preset_files_are_refused_in_one_line(tmp_path, content, words):
    line = refused(rnntui("run", preset(tmp_path, content), timeout=20), *words)
    assert "\x1b" not in line


def test_a_fifo_preset_is_refused_without_waiting(tmp_path):
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    refused(rnntui("run", str(fifo), timeout=20), "not a regular file")


def test_a_device_preset_is_refused(tmp_path):
    refused(rnntui("run", "/dev/zero", timeout=20), "not a regular file")


def test_a_missing_preset_file_is_named(tmp_path):
    refused(rnntui("run", str(tmp_path / "none.toml")), "none.toml", "no such file")


def test_a_preset_name_with_escapes_never_reaches_the_terminal_raw():
    line = refused(rnntui("run", "\x1b[31mevil", timeout=20), "unknown preset")
    assert "\x1b" not in line and "\\x1b" in line


def test_dotted_keys_at_the_limit_parse_quickly(tmp_path):
    import time

    from rnntui.engine.presets import MAX_BYTES, MAX_DOTS_PER_LINE, read_preset_text

    line = "x" + ".y" * MAX_DOTS_PER_LINE + " = 1\n"
    path = Path(preset(tmp_path, line * (MAX_BYTES // len(line))))
    started = time.perf_counter()
    import tomllib

    with pytest.raises(tomllib.TOMLDecodeError):     # the same key twice: invalid, found quickly
        tomllib.loads(read_preset_text(path))
    assert time.perf_counter() - started < 5


# -- memory --------------------------------------------------------------------------


def test_a_run_that_cannot_fit_is_refused_before_allocating():
    line = refused(rnntui("run", "smoke", "--set", "n_samples=10000000", "seq_len=100000"),
                   "memory", "TB", "lower n_samples or seq_len")
    assert "data 8.0 TB" in line


def test_the_address_space_limit_counts(tmp_path):
    code = ("import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30)); "
            "from rnntui.cli import main; sys.exit(main(['run', 'smoke', '--set', 'n_samples=1000000', "
            "'seq_len=2000']))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environment(),
                            cwd=ROOT, timeout=60)
    refused(result, "memory", "address-space limit", "lower n_samples or seq_len")


def test_a_sweep_that_cannot_fit_is_refused():
    refused(rnntui("sweep", "smoke", "--lengths", "100000", "--set", "n_samples=100000"),
            "memory", "this sweep")


def test_shipped_presets_fit_a_small_machine():
    """The estimate must not refuse the documented experiments on a 4 GiB box."""
    from rnntui.engine.presets import list_presets
    from rnntui.engine.resources import run_estimate

    for preset in list_presets():
        assert sum(size for size, _ in run_estimate(preset.config).values()) < 1.5e9, preset.name


# -- IMDB data -----------------------------------------------------------------------


def imdb(path, tmp_path: Path) -> subprocess.CompletedProcess:
    return rnntui("run", "imdb-lstm", "--imdb", str(path), "--data-dir", str(tmp_path / "cache"))


def review_tar(reviews_per_folder: int = 40, big: int = 0) -> bytes:
    """An uncompressed aclImdb tar with varied reviews (``big``: one review of that many bytes)."""
    import io
    import random
    import tarfile

    rng = random.Random(0)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as out:
        for split in ("train", "test"):
            for label in ("pos", "neg"):
                for i in range(reviews_per_folder):
                    data = " ".join(rng.choice(["good", "bad", "film", "plot", str(i)]) for _ in range(300)).encode()
                    if big and i == 0:
                        data = b"x" * big
                    info = tarfile.TarInfo(f"aclImdb/{split}/{label}/{i}_7.txt")
                    info.size = len(data)
                    out.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.mark.parametrize("target", ["/dev/zero", "fifo"])
def test_imdb_path_must_be_a_file_or_a_folder(tmp_path, target):
    if target == "fifo":
        target = tmp_path / "fifo.tar.gz"
        os.mkfifo(target)
    refused(imdb(target, tmp_path), "not a regular file or a folder")


def test_a_symlink_loop_as_the_data_path_is_one_line(tmp_path):
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    refused(imdb(loop, tmp_path), "symlink loop")
    assert rnntui("--imdb", str(loop), "presets").returncode == 0     # other commands do not care


def test_a_truncated_archive_is_refused(tmp_path):
    import gzip

    whole = gzip.compress(review_tar())
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(whole[: len(whole) * 9 // 10])
    refused(imdb(cut, tmp_path), "incomplete")


def test_an_archive_cut_at_a_member_boundary_is_refused(tmp_path):
    """Whole members and a sound gzip stream, but no tar end marker: still incomplete."""
    import gzip
    import io
    import tarfile

    tar = review_tar()
    offsets = [member.offset for member in tarfile.open(fileobj=io.BytesIO(tar))]
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(gzip.compress(tar[:offsets[len(offsets) * 9 // 10]]))
    refused(imdb(cut, tmp_path), "no end marker")


def test_an_oversized_review_is_refused_before_it_is_read(tmp_path):
    import gzip

    bomb = tmp_path / "bomb.tar.gz"
    bomb.write_bytes(gzip.compress(review_tar(reviews_per_folder=2, big=3 << 20)))
    refused(imdb(bomb, tmp_path), "at most 1 MiB")


def test_an_archive_expanding_past_the_cap_is_refused(tmp_path, monkeypatch):
    import gzip

    from rnntui.engine.data import DataUnavailable, archive

    path = tmp_path / "a.tar.gz"
    path.write_bytes(gzip.compress(review_tar()))
    monkeypatch.setattr(archive, "MAX_TOTAL_BYTES", 100_000)
    with pytest.raises(DataUnavailable, match="expands to more than"):
        archive.read_reviews(path)


def test_links_inside_a_data_folder_are_not_followed(tmp_path):
    from rnntui.engine.data import archive

    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET words")
    root = tmp_path / "aclImdb"
    for split in ("train", "test"):
        for label in ("pos", "neg"):
            folder = root / split / label
            folder.mkdir(parents=True)
            (folder / "1_7.txt").write_text("a fine film")
    (root / "train" / "pos" / "2_8.txt").symlink_to(secret)
    texts, _ = archive.read_reviews(root)["train"]
    assert texts == ["a fine film", "a fine film"]


# -- the compiled sweep kernel ----------------------------------------------------------


@pytest.fixture
def kernel_cache(tmp_path, monkeypatch):
    """A fresh kernel cache under RNNTUI_CACHE; the build outcome is forgotten before and after."""
    import shutil

    from rnntui.engine.sweep import kernel

    if not (os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")):
        pytest.skip("no C compiler")
    monkeypatch.setenv("RNNTUI_CACHE", str(tmp_path / "cache"))
    kernel.forget()
    yield tmp_path / "cache" / "kernels"
    kernel.forget()


def test_the_kernel_cache_is_private_and_honours_rnntui_cache(kernel_cache):
    from rnntui.engine.sweep import kernel

    kernel.load()
    assert oct(kernel_cache.stat().st_mode & 0o777) == "0o700"
    assert len(list(kernel_cache.glob("*.so"))) == 1 and len(list(kernel_cache.glob("*.so.sha256"))) == 1


def test_a_loose_kernel_cache_is_tightened(kernel_cache):
    from rnntui.engine.sweep import kernel

    kernel_cache.mkdir(parents=True, mode=0o755)
    kernel_cache.chmod(0o755)
    kernel.load()
    assert kernel_cache.stat().st_mode & 0o777 == 0o700


def test_a_planted_kernel_is_never_loaded(kernel_cache, tmp_path):
    """A library with a constructor that leaves a mark, put where the kernel goes: rebuilt, never run."""
    import shutil

    from rnntui.engine.sweep import kernel

    kernel.load()
    target = next(kernel_cache.glob("*.so"))
    mark = tmp_path / "planted-code-ran"
    source = tmp_path / "evil.c"
    source.write_text('#include <stdio.h>\n__attribute__((constructor)) static void run(void) '
                      f'{{ FILE *f = fopen("{mark}", "w"); if (f) fclose(f); }}\n')
    compiler = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    subprocess.run([compiler, "-shared", "-fPIC", "-o", str(target), str(source)], check=True)
    kernel.forget()
    kernel.load()
    assert not mark.exists()
    assert kernel._trusted(target)


def test_a_kernel_others_can_write_is_rebuilt(kernel_cache):
    from rnntui.engine.sweep import kernel

    kernel.load()
    target = next(kernel_cache.glob("*.so"))
    target.chmod(0o777)
    assert not kernel._trusted(target)
    kernel.forget()
    kernel.load()
    assert target.stat().st_mode & 0o022 == 0 and kernel._trusted(target)


def test_two_ctrl_c_during_the_first_kernel_build_exit_130(tmp_path):
    import shutil
    import signal
    import time

    compiler = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler")
    started = tmp_path / "build-started"
    slow = tmp_path / "slow-cc"
    slow.write_text(f"#!/bin/sh\ntouch {started}\nsleep 30\nexec {compiler} \"$@\"\n")
    slow.chmod(0o755)
    env = {**environment(), "RNNTUI_CACHE": str(tmp_path / "cache"), "CC": str(slow)}
    process = subprocess.Popen([sys.executable, "-m", "rnntui", "sweep", "smoke", "--csv", str(tmp_path / "s.csv")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        while not started.exists() and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.1)
        assert started.exists(), process.communicate()
        process.send_signal(signal.SIGINT)
        time.sleep(0.3)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr and "AttributeError" not in stderr


@pytest.mark.parametrize("argv, words", [
    (["--resolution", "2000", "--T", "100000"], ["point-steps", "lower --resolution or --T"]),
    (["--T", "100000", "--resolution", "2", "--start", "1", "1", "--steps", "100000"], ["lower --steps or --T"]),
])
def test_absurd_landscapes_are_refused_at_once(argv, words):
    refused(rnntui("landscape", *argv, timeout=20), *words)


def test_threads_reach_a_headless_run(tmp_path):
    result = rnntui("run", "smoke", "--csv", str(tmp_path / "s.csv"), "--threads", "2")
    assert result.returncode == 0, result.stderr
    assert "cpu (2 threads)" in result.stdout


@pytest.mark.parametrize("name", ["x" * 5000, "x" * 5000 + ".toml"])
def test_a_preset_name_too_long_for_the_file_system_is_one_line(name):
    line = refused(rnntui("run", name), "preset")
    assert len(line) < 2000
