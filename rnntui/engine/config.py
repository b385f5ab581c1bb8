"""The run configuration: one frozen dataclass, validated in one place.

Every front end (TOML presets, ``--set key=value``, the TUI form) builds a
``RunConfig`` through :func:`build_config`, so they all share the same parsing
and the same error messages, which name the field, the value and what is
allowed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, fields
from typing import Any, Iterable, Mapping

TASKS = ("recall", "sine", "latching", "bit_relay", "adding", "copy", "temporal_order", "imdb")
CELLS = ("rnn_tanh", "rnn_relu", "lstm", "gru")
INITS = ("pytorch", "keras", "xavier", "kaiming", "orthogonal", "identity", "normal")
GATE_ACTIVATIONS = ("sigmoid", "hard_sigmoid")
OPTIMIZERS = ("adam", "sgd", "rmsprop")
CLIPPING = ("none", "global_norm", "tensor_norm", "value")
SPLITS = ("shuffled", "keras_tail")
DEVICES = ("auto", "cpu", "cuda")


class ConfigError(ValueError):
    """Invalid configuration; ``errors`` maps each bad field to its message."""

    def __init__(self, errors: Mapping[str, str], source: str | None = None):
        self.errors = dict(errors)
        self.source = source
        prefix = f"{source}: " if source else ""
        lines = [f"{prefix}{name}: {message}" for name, message in self.errors.items()]
        super().__init__("\n".join(lines))

    def __reduce__(self):   # crosses from a training process intact (rnntui.engine.process)
        return type(self), (self.errors, self.source)


def _meta(help: str, *, choices: tuple[str, ...] | None = None, low: float | None = None,
          high: float | None = None, low_open: bool = False) -> dict[str, Any]:
    return {"help": help, "choices": choices, "low": low, "high": high, "low_open": low_open}


def _field(default: Any, help: str, **rules: Any) -> Any:
    return field(default=default, metadata=_meta(help, **rules))


@dataclass(frozen=True)
class RunConfig:
    """Everything that defines one training run (or one member of a sweep)."""

    # -- task --------------------------------------------------------------
    task: str = _field("latching", "experiment task", choices=TASKS)
    seq_len: int = _field(20, "sequence length T", low=1, high=100_000)
    reverse: bool = _field(False, "feed each sequence backwards (Keras go_backwards)")
    n_samples: int = _field(10_000, "data set size for data-set tasks", low=2, high=10_000_000)
    noise: float = _field(0.1, "std of Gaussian noise added to inputs", low=0.0, high=100.0)
    val_fraction: float = _field(0.2, "fraction of the data held out for validation", low=0.0, high=0.9,
                                 low_open=True)
    split: str = _field("shuffled", "validation split: shuffled, or Keras' unshuffled tail", choices=SPLITS)
    num_words: int = _field(10_000, "IMDB vocabulary size", low=4, high=200_000)
    embed_dim: int = _field(100, "embedding size for token inputs", low=1, high=4096)
    # -- model -------------------------------------------------------------
    cell: str = _field("lstm", "recurrent cell", choices=CELLS)
    hidden_size: int = _field(1, "units per recurrent layer", low=1, high=8192)
    layers: int = _field(1, "stacked recurrent layers", low=1, high=16)
    init: str = _field("pytorch", "weight initialisation scheme", choices=INITS)
    init_std: float = _field(0.001, "std for the 'normal' init scheme", low=0.0, high=10.0, low_open=True)
    forget_bias: float = _field(0.0, "added to the LSTM forget-gate bias after init (the keras scheme already sets it to 1)",
                                low=-100.0, high=100.0)
    single_bias: bool = _field(False, "one trainable bias per gate, as Keras (PyTorch has two)")
    gate_activation: str = _field("sigmoid", "LSTM/GRU gate activation (Keras < 2.3: hard_sigmoid)",
                                  choices=GATE_ACTIVATIONS)
    input_dropout: float = _field(0.0, "dropout on the first layer's inputs", low=0.0, high=0.95)
    # -- training ----------------------------------------------------------
    optimizer: str = _field("adam", "optimizer", choices=OPTIMIZERS)
    lr: float = _field(1e-3, "learning rate", low=0.0, high=100.0, low_open=True)
    momentum: float = _field(0.0, "SGD momentum / RMSprop momentum", low=0.0, high=0.999)
    batch_size: int = _field(16, "minibatch size", low=1, high=1_000_000)
    epochs: int = _field(5, "passes over the data (data-set tasks)", low=1, high=100_000)
    iterations: int = _field(1000, "training steps (streaming tasks: sine, adding, copy, temporal order)",
                             low=1, high=100_000_000)
    tbptt: bool = _field(True, "sine: carry the hidden state across iterations (truncated BPTT)")
    clip: str = _field("none", "gradient clipping", choices=CLIPPING)
    clip_threshold: float = _field(1.0, "clipping threshold", low=0.0, high=1e9, low_open=True)
    # -- bookkeeping -------------------------------------------------------
    seed: int = _field(0, "random seed", low=0, high=2**31 - 1)
    device: str = _field("auto", "where to train", choices=DEVICES)
    probe_every: int = _field(50, "exact per-timestep gradient probe every K steps (0 = never)",
                              low=0, high=10_000_000)
    eval_every: int = _field(0, "validate every N steps (0 = each epoch / 20 times per streaming run)",
                             low=0, high=10_000_000)

    def __post_init__(self) -> None:
        errors = validate(self)
        if errors:
            raise ConfigError(errors)

    def replace(self, **changes: Any) -> "RunConfig":
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def unused_fields(self) -> dict[str, str]:
        """The fields this run ignores (its task, cell, optimizer, clipping and init decide), each with why."""
        return unused_fields({name: getattr(self, name) for name in DECIDING_FIELDS})


FIELDS: dict[str, dataclasses.Field] = {f.name: f for f in fields(RunConfig)}
FIELD_TYPES: dict[str, type] = {f.name: type(f.default) for f in fields(RunConfig)}

STREAMING_TASKS = ("sine", "adding", "copy", "temporal_order")
NOISY_TASKS = ("latching", "bit_relay")             # the tasks that add Gaussian noise to their inputs
SPLIT_TASKS = ("recall", "latching", "bit_relay")   # one data set split into train and validation
DECIDING_FIELDS = ("task", "cell", "optimizer", "clip", "init")


def unused_fields(choices: Mapping[str, Any]) -> dict[str, str]:
    """Which fields a run ignores, and why, from the fields that decide it (``DECIDING_FIELDS``;
    a missing one takes its default). The form hides these; ``--set`` and presets refuse them."""
    pick = {name: choices.get(name, FIELDS[name].default) for name in DECIDING_FIELDS}
    task, cell, optimizer = pick["task"], pick["cell"], pick["optimizer"]
    streaming = task in STREAMING_TASKS
    unused: dict[str, str] = {}
    if streaming:
        unused["n_samples"] = f"{task} draws fresh sequences every step: its length is iterations"
        unused["epochs"] = f"{task} draws fresh sequences every step: its length is iterations"
    else:
        unused["iterations"] = f"{task} trains on a fixed data set: its length is epochs"
    if task not in SPLIT_TASKS:
        why = "imdb validates on its own test reviews" if task == "imdb" else \
            f"{task} validates on a fixed batch of fresh sequences"
        unused["val_fraction"] = unused["split"] = why
    if task not in NOISY_TASKS:
        unused["noise"] = f"only {' and '.join(NOISY_TASKS)} add input noise"
    if task != "imdb":
        unused["num_words"] = unused["embed_dim"] = f"{task} has no words: only imdb embeds tokens"
    if task != "sine":
        unused["tbptt"] = "only sine carries the hidden state across iterations"
    if cell != "lstm":
        unused["forget_bias"] = f"{cell} has no forget gate"
    if cell not in ("lstm", "gru"):
        unused["gate_activation"] = f"{cell} has no gates"
    if cell == "gru":
        unused["single_bias"] = "gru keeps its two biases (as Keras' reset_after GRU)"
    if optimizer == "adam":
        unused["momentum"] = "adam has no momentum setting (its betas are fixed)"
    if pick["clip"] == "none":
        unused["clip_threshold"] = "clip is none"
    if pick["init"] != "normal":
        unused["init_std"] = f"only init = normal draws with it (init is {pick['init']})"
    return unused


def refuse_unused(config: RunConfig, names: Iterable[str], source: str | None = None) -> None:
    """Raise a ConfigError naming each of ``names`` (fields a user set) that ``config`` ignores, and why."""
    unused = config.unused_fields()
    errors = {name: f"this run does not use it: {unused[name]}" for name in names if name in unused}
    if errors:
        raise ConfigError(errors, source)


def describe_allowed(name: str) -> str:
    """Human text of what a field accepts, for error messages and form hints."""
    meta = FIELDS[name].metadata
    if meta["choices"]:
        return "one of " + ", ".join(meta["choices"])
    kind = FIELD_TYPES[name]
    if kind is bool:
        return "true or false"
    low, high = meta["low"], meta["high"]
    noun = "an integer" if kind is int else "a number"
    opening = ">" if meta["low_open"] else ">="
    return f"{noun} {opening} {low:g} and <= {high:g}"


def _check_field(name: str, value: Any) -> str | None:
    kind = FIELD_TYPES[name]
    meta = FIELDS[name].metadata
    allowed = describe_allowed(name)
    if kind is bool:
        return None if isinstance(value, bool) else f"{value!r} is not {allowed}"
    if kind is str:
        if not isinstance(value, str) or value not in meta["choices"]:
            return f"{value!r} is not {allowed}"
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"{value!r} is not {allowed}"
    if kind is int and not isinstance(value, int):
        return f"{value!r} is not {allowed}"
    if value != value or value in (float("inf"), float("-inf")):
        return f"{value!r} is not {allowed}"
    low, high = meta["low"], meta["high"]
    too_low = value <= low if meta["low_open"] else value < low
    if too_low or value > high:
        return f"{value!r} is not {allowed}"
    return None


def validate(config: RunConfig) -> dict[str, str]:
    """All problems of a config, field by field (empty when valid)."""
    errors: dict[str, str] = {}
    for name in FIELDS:
        problem = _check_field(name, getattr(config, name))
        if problem:
            errors[name] = problem
    if errors:
        return errors
    # Cross-field rules.
    if config.gate_activation == "hard_sigmoid" and config.cell not in ("lstm", "gru"):
        errors["gate_activation"] = "hard_sigmoid gates exist only for lstm and gru cells"
    if config.init == "identity" and config.cell not in ("rnn_tanh", "rnn_relu"):
        errors["init"] = "identity (IRNN) init is for rnn_tanh / rnn_relu cells"
    if config.task in ("latching", "bit_relay", "recall") and config.seq_len < 2:
        errors["seq_len"] = f"{config.seq_len} is too short: {config.task} needs seq_len >= 2"
    if config.task == "temporal_order" and config.seq_len < 10:
        errors["seq_len"] = f"{config.seq_len} is too short: temporal_order needs seq_len >= 10"
    if config.task == "sine" and config.seq_len < 3:
        errors["seq_len"] = f"{config.seq_len} is too short: sine needs seq_len >= 3 points"
    if config.task == "adding" and config.seq_len < 2:
        errors["seq_len"] = f"{config.seq_len} is too short: adding needs seq_len >= 2"
    if config.task == "imdb" and config.seq_len > 2000:
        errors["seq_len"] = f"{config.seq_len} is out of range: imdb maxlen must be <= 2000"
    return errors


def parse_value(name: str, text: str) -> Any:
    """Parse a string (from ``--set`` or a form field) into the field's type."""
    if name not in FIELDS:
        raise ConfigError({name: f"unknown field; known fields: {', '.join(FIELDS)}"})
    kind = FIELD_TYPES[name]
    raw = text.strip()
    try:
        if kind is bool:
            lowered = raw.lower()
            if lowered in ("true", "yes", "on", "1"):
                return True
            if lowered in ("false", "no", "off", "0"):
                return False
            raise ValueError
        if kind is int:
            number = float(raw)
            if not number.is_integer():
                raise ValueError
            return int(number)
        if kind is float:
            return float(raw)
        return raw
    except ValueError:
        raise ConfigError({name: f"{text!r} is not {describe_allowed(name)}"}) from None


def build_config(values: Mapping[str, Any], *, base: RunConfig | None = None,
                 source: str | None = None) -> RunConfig:
    """Make a validated config from a mapping of field values (strings are parsed).

    Unknown keys, unparsable text and out-of-range values are all reported
    together, each under its field name; ``source`` (a file name) prefixes them.
    """
    errors: dict[str, str] = {}
    changes: dict[str, Any] = {}
    for name, value in values.items():
        if name not in FIELDS:
            errors[name] = "unknown key; known keys: " + ", ".join(FIELDS)
            continue
        if isinstance(value, str) and FIELD_TYPES[name] is not str:
            try:
                value = parse_value(name, value)
            except ConfigError as exc:
                errors.update(exc.errors)
                continue
        if FIELD_TYPES[name] is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        changes[name] = value
    start = base if base is not None else RunConfig()
    merged = {f: getattr(start, f) for f in FIELDS}
    merged.update(changes)
    # Validate without __post_init__ raising, so every bad field is reported at once.
    probe = object.__new__(RunConfig)
    for name, value in merged.items():
        object.__setattr__(probe, name, value)
    for name, message in validate(probe).items():
        errors.setdefault(name, message)
    if errors:
        raise ConfigError(errors, source)
    return RunConfig(**merged)
