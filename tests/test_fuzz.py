"""Fuzzing: random bytes and TOML to the preset loader, random argument lists to the parser (in
process, with hypothesis), and a small run of bench/fuzz.py through the real entry point."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import random
import string
import sys
import tempfile
import time
import tomllib
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rnntui.cli import build_parser
from rnntui.cli.arguments import normalise_argv
from rnntui.engine.config import FIELDS, ConfigError, RunConfig, build_config
from rnntui.engine.presets import MAX_BYTES, load_preset_file, parse_overrides

ROOT = Path(__file__).resolve().parents[1]
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _bench():
    spec = importlib.util.spec_from_file_location("fuzz_bench", ROOT / "bench" / "fuzz.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module          # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _load(content: bytes) -> None:
    """Load ``content`` as a preset file: success or ConfigError, never anything else, and fast."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.toml"
        path.write_bytes(content)
        started = time.perf_counter()
        try:
            load_preset_file(path)
        except ConfigError as exc:
            assert str(exc)
        assert time.perf_counter() - started < 2.0


@FAST
@given(st.binary(max_size=4096))
def test_random_bytes_as_a_preset(content):
    _load(content)


toml_text = st.text(alphabet=string.printable + "é\u202e\x1b\x00[]{}.=\"'", max_size=600)


@FAST
@given(toml_text)
def test_random_text_as_a_preset(text):
    _load(text.encode("utf-8", "surrogatepass"))


scalar = st.one_of(st.integers(min_value=-10**20, max_value=10**20), st.floats(), st.booleans(),
                   st.text(max_size=20), st.lists(st.integers(), max_size=3))


@FAST
@given(st.dictionaries(st.sampled_from(sorted(FIELDS) + ["bogus"]), scalar, max_size=8))
def test_random_config_tables(table):
    try:
        config = build_config(table)
    except ConfigError as exc:
        assert exc.errors
    else:
        assert isinstance(config, RunConfig)


def _toml_string(text: str) -> str:
    return '"' + "".join(c if c.isalnum() or c == " " else f"\\U{ord(c):08x}" for c in text) + '"'


@FAST
@given(st.dictionaries(st.sampled_from(["name", "title", "description", "look_for", "mirrors", "contrast", "x"]),
                       st.text(max_size=30), min_size=0, max_size=6))
def test_random_descriptive_keys(keys):
    text = "\n".join(f"{key} = {_toml_string(value)}" for key, value in keys.items())
    tomllib.loads(text)              # the generator writes valid TOML: the loader must judge it, not crash
    _load((text + '\n[config]\ntask = "latching"\n').encode())


def test_the_size_cap_holds_for_a_file_just_over_it():
    _load(b"#" * (MAX_BYTES + 1))


words = st.one_of(st.sampled_from(["run", "sweep", "landscape", "presets", "--set", "--lengths", "--cells",
                                   "--values", "--threads", "--device", "--imdb", "--T", "--repeats", "smoke",
                                   "-5", "-5,6", "", "seq_len=5", "=", "--", "-h"]),
                  st.text(max_size=12).map(lambda s: s.replace("\x00", "")))


@FAST
@given(st.lists(words, max_size=8))
def test_random_argument_lists_parse_or_exit_2(argv):
    parser = build_parser()
    with contextlib.redirect_stderr(io.StringIO()) as err, contextlib.redirect_stdout(io.StringIO()):
        try:
            args = parser.parse_args(normalise_argv(parser, argv))
        except SystemExit as exc:
            assert exc.code in (0, 2)
            if exc.code == 2:
                assert len(err.getvalue().strip().splitlines()) == 1, err.getvalue()
                assert "\x1b" not in err.getvalue()
            return
    if getattr(args, "overrides", None):
        try:
            parse_overrides(args.overrides)
        except ConfigError:
            pass


def test_a_small_fuzz_run_through_the_entry_point_has_no_findings(tmp_path):
    """The bench's own generators, a few cases each: every one refused in one line, run, or training."""
    bench = _bench()
    rng = random.Random(7)
    cases = bench.argv_cases(rng, 5, tmp_path) + bench.preset_cases(rng, 5, tmp_path)
    outcomes = bench.fuzz(cases, tmp_path, timeout=60, jobs=2)      # 60 s: a loaded CI box is no hang
    findings = [(o.kind, o.argv, o.stderr[-300:]) for o in outcomes if o.kind in bench.FINDINGS]
    assert not findings
    assert max(o.peak_kib for o in outcomes) < bench.MEMORY_CAP // 1024
