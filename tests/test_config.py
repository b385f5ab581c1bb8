"""Config validation: every bad value is caught and named; parsing round-trips."""

from __future__ import annotations

import pytest
from config_strategies import NAMES, field_and_bad_value, field_and_good_value
from hypothesis import given, settings
from hypothesis import strategies as st

from rnntui.engine.config import FIELDS, ConfigError, RunConfig, build_config, describe_allowed, parse_value

def test_defaults_are_valid():
    assert RunConfig().to_dict().keys() == FIELDS.keys()


@settings(max_examples=400, deadline=None)
@given(field_and_bad_value())
def test_bad_values_are_rejected_naming_the_field(case):
    name, value = case
    with pytest.raises(ConfigError) as caught:
        build_config({name: value})
    assert name in caught.value.errors
    assert name in str(caught.value)


@settings(max_examples=200, deadline=None)
@given(field_and_bad_value())
def test_the_constructor_rejects_what_build_config_rejects(case):
    name, value = case
    with pytest.raises(ConfigError) as caught:
        RunConfig(**{name: value})
    assert name in caught.value.errors


@settings(max_examples=300, deadline=None)
@given(field_and_good_value())
def test_parse_value_round_trips(case):
    name, value = case
    text = str(value).lower() if isinstance(value, bool) else repr(value) if isinstance(value, float) else str(value)
    parsed = parse_value(name, text)
    assert parsed == value and type(parsed) is type(value)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(NAMES), st.just(None), min_size=2, max_size=5))
def test_every_bad_field_is_reported_at_once(names):
    with pytest.raises(ConfigError) as caught:
        build_config(dict(names))
    assert set(names) <= set(caught.value.errors)


def test_message_names_value_and_what_is_allowed():
    with pytest.raises(ConfigError) as caught:
        build_config({"cell": "transformer"}, source="mine.toml")
    message = str(caught.value)
    assert message.startswith("mine.toml: cell:")
    assert "'transformer'" in message and describe_allowed("cell") in message


def test_strings_are_parsed_into_field_types():
    config = build_config({"hidden_size": "8", "lr": "0.5", "reverse": "yes", "cell": "gru"})
    assert (config.hidden_size, config.lr, config.reverse, config.cell) == (8, 0.5, True, "gru")


@pytest.mark.parametrize("name, text", [("hidden_size", "2.5"), ("hidden_size", "many"), ("lr", "fast"),
                                        ("reverse", "maybe")])
def test_unparsable_text_is_rejected(name, text):
    with pytest.raises(ConfigError) as caught:
        parse_value(name, text)
    assert name in caught.value.errors and repr(text) in caught.value.errors[name]


def test_unknown_field_is_rejected():
    with pytest.raises(ConfigError) as caught:
        build_config({"colour": "red"})
    assert "colour" in caught.value.errors


@pytest.mark.parametrize("changes, field", [
    (dict(cell="rnn_tanh", gate_activation="hard_sigmoid"), "gate_activation"),
    (dict(cell="lstm", init="identity"), "init"),
    (dict(task="latching", seq_len=1), "seq_len"),
    (dict(task="temporal_order", seq_len=9), "seq_len"),
])
def test_cross_field_rules(changes, field):
    with pytest.raises(ConfigError) as caught:
        build_config(changes)
    assert field in caught.value.errors


def test_ints_are_accepted_for_float_fields():
    config = build_config({"lr": 1})
    assert config.lr == 1.0 and isinstance(config.lr, float)
