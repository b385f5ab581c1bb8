"""Shipped presets load; broken preset files fail naming the file and the key."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from config_strategies import field_and_bad_value
from hypothesis import given, settings

from rnntui.engine.config import ConfigError, RunConfig
from rnntui.engine.presets import (list_presets, load_preset, load_preset_file, parse_overrides,
                                   presets_dir)

SHIPPED = sorted(presets_dir().glob("*.toml"))
GOOD_HEADER = 'name = "mine"\ndescription = "a test preset"\n'


def toml_value(value) -> str:
    """TOML text for a scalar (hypothesis values included: inf, nan, odd strings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, str):
        return '"' + "".join(c if c.isascii() and c.isalnum() else f"\\U{ord(c):08x}" for c in value) + '"'
    if isinstance(value, list):
        return "[" + ", ".join(map(toml_value, value)) + "]"
    return str(value)


def write_preset(directory: Path, text: str, name: str = "mine.toml") -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def test_every_documented_family_is_shipped():
    names = {path.stem for path in SHIPPED}
    expected = {"smoke", "sine", "sine-short", "adding", "copy-memory", "temporal-order", "stacked-lstm",
                "explode-noclip", "explode-clip", "clip-value-sgd", "latching-keras-split",
                "latching-lstm-hard-sigmoid"}
    expected |= {f"recall-{cell}-{order}" for cell in ("srnn", "lstm") for order in ("forward", "reversed")}
    expected |= {f"{task}-{cell}" for task in ("latching", "bit-relay") for cell in ("srnn", "lstm", "gru")}
    expected |= {f"init-{scheme}" for scheme in ("normal", "xavier", "kaiming", "orthogonal", "irnn", "pytorch")}
    assert expected <= names


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_preset_loads_and_describes_itself(path):
    preset = load_preset_file(path)
    assert preset.name == path.stem
    assert preset.title and preset.mirrors and preset.look_for
    assert len(preset.description) > 80
    assert load_preset(path.stem) == preset


def test_list_presets_returns_them_all():
    assert [preset.name for preset in list_presets()] == [path.stem for path in SHIPPED]


@pytest.mark.parametrize("name", ["recall-srnn-forward", "recall-srnn-reversed", "recall-lstm-forward",
                                  "recall-lstm-reversed"])
def test_recall_presets_use_the_keras_recipe(name):
    config = load_preset(name).config
    assert (config.task, config.n_samples, config.seq_len, config.hidden_size) == ("recall", 1000, 10, 5)
    assert (config.split, config.val_fraction, config.batch_size, config.epochs) == ("keras_tail", 0.5, 20, 200)
    assert (config.init, config.single_bias, config.optimizer, config.lr) == ("keras", True, "adam", 1e-3)
    assert config.reverse == name.endswith("reversed")


@pytest.mark.parametrize("name", ["latching-srnn", "latching-lstm", "latching-gru"])
def test_latching_presets_use_the_replication_recipe(name):
    config = load_preset(name).config
    assert (config.hidden_size, config.n_samples, config.val_fraction, config.split) == (1, 10_000, 0.2, "shuffled")
    assert (config.optimizer, config.lr, config.batch_size, config.epochs) == ("adam", 1e-3, 16, 5)
    assert (config.init, config.single_bias) == ("keras", True)


def test_explode_presets_differ_only_in_clipping():
    plain, clipped = load_preset("explode-noclip").config, load_preset("explode-clip").config
    assert (clipped.clip, clipped.clip_threshold) == ("global_norm", 1.0)
    assert plain.replace(clip="global_norm", clip_threshold=1.0) == clipped


def test_init_presets_differ_only_in_the_scheme():
    configs = {path.stem: load_preset_file(path).config for path in SHIPPED if path.stem.startswith("init-")}
    neutral = {config.replace(init="pytorch", init_std=0.001, cell="rnn_tanh") for config in configs.values()}
    assert len(configs) == 6 and len(neutral) == 1


@pytest.mark.parametrize("text, key", [
    (GOOD_HEADER + 'colour = "red"\n', "colour"),
    (GOOD_HEADER + "[config]\nbogus = 1\n", "config.bogus"),
    (GOOD_HEADER + '[config]\ncell = "transformer"\n', "config.cell"),
    (GOOD_HEADER + '[config]\nhidden_size = "many"\n', "config.hidden_size"),
    (GOOD_HEADER + "[config]\nlr = -1.0\n", "config.lr"),
    (GOOD_HEADER + "[config]\nreverse = 3\n", "config.reverse"),
    ('description = "no name"\n', "name"),
    ('name = "x"\n', "description"),
    ("name = 3\n" + 'description = "x"\n', "name"),
    (GOOD_HEADER + 'config = "not a table"\n', "config"),
    (GOOD_HEADER + "[config\n", "toml"),
    ('name = "unterminated\n', "toml"),
])
def test_bad_preset_file_names_file_and_key(tmp_path, text, key):
    path = write_preset(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_preset(str(path))
    assert key in caught.value.errors
    assert caught.value.source == "mine.toml"
    assert str(caught.value).startswith("mine.toml: ")


def test_all_problems_of_a_file_are_reported_together(tmp_path):
    path = write_preset(tmp_path, 'name = "x"\nshade = 1\n[config]\ncell = "x"\nlayers = 0\n')
    with pytest.raises(ConfigError) as caught:
        load_preset_file(path)
    assert {"description", "shade", "config.cell", "config.layers"} <= set(caught.value.errors)


def test_unknown_preset_lists_the_known_ones():
    with pytest.raises(ConfigError) as caught:
        load_preset("no-such-preset")
    assert "smoke" in caught.value.errors["preset"]


def test_missing_preset_file(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_preset(str(tmp_path / "absent.toml"))
    assert "preset" in caught.value.errors


def test_set_overrides_change_only_their_fields():
    preset = load_preset("smoke")
    changed = preset.with_overrides(parse_overrides(["lr=0.5", "cell=gru", "reverse=true"]))
    assert (changed.config.lr, changed.config.cell, changed.config.reverse) == (0.5, "gru", True)
    assert changed.config.replace(lr=preset.config.lr, cell=preset.config.cell, reverse=False) == preset.config
    assert changed.name == preset.name


@pytest.mark.parametrize("pairs, key", [(["bogus=1"], "bogus"), (["lr=fast"], "lr"), (["layers=0"], "layers"),
                                        (["novalue"], "novalue"), (["=3"], "=3")])
def test_bad_overrides_are_rejected_naming_the_key(pairs, key):
    with pytest.raises(ConfigError) as caught:
        load_preset("smoke").with_overrides(parse_overrides(pairs))
    assert key in caught.value.errors


@settings(max_examples=150, deadline=None)
@given(field_and_bad_value())
def test_generated_bad_config_values_name_the_field(tmp_path_factory, case):
    name, value = case
    if value is None:
        return                     # TOML has no null; covered in test_config
    path = write_preset(tmp_path_factory.mktemp("bad"), f"{GOOD_HEADER}[config]\n{name} = {toml_value(value)}\n")
    with pytest.raises(ConfigError) as caught:
        load_preset_file(path)
    assert f"config.{name}" in caught.value.errors
    assert caught.value.source == "mine.toml"


def test_every_contrast_names_a_shipped_preset_that_points_back_or_onward():
    presets = {preset.name: preset for preset in list_presets()}
    for preset in presets.values():
        if preset.contrast:
            assert preset.contrast in presets, f"{preset.name}: contrast {preset.contrast!r} is not a preset"
            assert preset.contrast != preset.name


# -- fields a run ignores ------------------------------------------------------------
@pytest.mark.parametrize("pairs, key, why", [
    (["num_words=5"], "num_words", "only imdb"),
    (["momentum=0.9"], "momentum", "adam"),
    (["iterations=10"], "iterations", "epochs"),
    (["cell=gru", "forget_bias=1"], "forget_bias", "gru has no forget gate"),
    (["clip_threshold=2"], "clip_threshold", "clip is none"),
])
def test_setting_a_field_the_run_ignores_is_an_error_that_says_why(pairs, key, why):
    with pytest.raises(ConfigError) as caught:
        load_preset("smoke").with_overrides(parse_overrides(pairs))
    assert set(caught.value.errors) == {key} and why in caught.value.errors[key]
    assert str(caught.value).startswith(f"--set: {key}: this run does not use it")


def test_a_field_becomes_settable_with_what_uses_it():
    config = load_preset("smoke").with_overrides(parse_overrides(["optimizer=sgd", "momentum=0.9"])).config
    assert (config.optimizer, config.momentum) == ("sgd", 0.9)
    clip = load_preset("smoke").with_overrides(parse_overrides(["clip=global_norm", "clip_threshold=2"])).config
    assert clip.clip_threshold == 2.0


def test_every_shipped_preset_stays_valid_with_the_rule_on_overrides():
    """The rule binds what a user sets on top of a preset; each shipped preset still loads and runs as set."""
    for preset in list_presets():
        assert preset.with_overrides({}).config == preset.config


@pytest.mark.parametrize("task, unused, used", [
    ("latching", {"iterations", "num_words", "embed_dim", "tbptt"}, {"epochs", "n_samples", "noise", "split"}),
    ("sine", {"epochs", "n_samples", "noise", "val_fraction", "split"}, {"iterations", "tbptt"}),
    ("imdb", {"iterations", "noise", "val_fraction", "split", "tbptt"}, {"num_words", "embed_dim", "n_samples"}),
])
def test_unused_fields_follow_the_task(task, unused, used):
    ignored = RunConfig(task=task, seq_len=20).unused_fields()
    assert unused <= ignored.keys() and not used & ignored.keys()
    assert all(reason for reason in ignored.values())


def test_unused_fields_follow_cell_optimizer_clip_and_init():
    base = RunConfig()
    assert {"momentum", "clip_threshold", "init_std"} <= base.unused_fields().keys()
    assert "forget_bias" not in base.unused_fields()             # lstm has a forget gate
    tuned = base.replace(cell="rnn_tanh", optimizer="rmsprop", clip="value", init="normal")
    assert {"forget_bias", "gate_activation"} <= tuned.unused_fields().keys()
    assert not {"momentum", "clip_threshold", "init_std"} & tuned.unused_fields().keys()
    assert "single_bias" in base.replace(cell="gru").unused_fields()


def test_a_sweep_over_a_field_the_run_ignores_is_refused():
    from rnntui.engine.sweep import SweepSpec

    with pytest.raises(ConfigError) as caught:
        SweepSpec(RunConfig(), field="clip_threshold", values=(0.1, 1.0)).runs()
    assert "clip is none" in caught.value.errors["field"]
