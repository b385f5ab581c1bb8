"""Presets: plain TOML files that mirror documented experiments.

A preset file has a few descriptive keys and a ``[config]`` table of
``RunConfig`` fields. Anything unknown is rejected with the file and key named.
"""

from __future__ import annotations

import os
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from ..formatting import printable
from .config import ConfigError, RunConfig, build_config, refuse_unused
from .sweep.grid import sweep_settings

MAX_BYTES = 64 * 1024        # shipped presets are under 2 KiB
MAX_DOTS_PER_LINE = 128
MAX_ERRORS = 8

DESCRIPTIVE_KEYS = {"name": str, "title": str, "mirrors": str, "description": str, "look_for": str,
                    "contrast": str}


def presets_dir() -> Path:
    """The shipped presets: ``presets/`` of a checkout, or the installed copy."""
    checkout = Path(__file__).resolve().parents[2] / "presets"
    if checkout.is_dir():
        return checkout
    return Path(__file__).resolve().parents[1] / "presets"


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    mirrors: str
    description: str
    look_for: str
    config: RunConfig
    path: Path | None = None
    contrast: str = ""      # the partner preset: the same task and budget, disease beside cure
    sweep: dict[str, str] = field(default_factory=dict)   # the [sweep] table: how `rnntui sweep` runs it

    def with_overrides(self, overrides: dict[str, Any], source: str = "--set") -> "Preset":
        """The preset with some fields changed; setting one the run then ignores is an error saying why."""
        from dataclasses import replace

        config = build_config(overrides, base=self.config, source=source)
        refuse_unused(config, overrides, source)
        return replace(self, config=config)


def parse_overrides(pairs: Iterable[str]) -> dict[str, str]:
    """``["lr=0.01", "cell=gru"]`` -> ``{"lr": "0.01", "cell": "gru"}`` (values parsed later)."""
    overrides: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError({pair: "expected KEY=VALUE"}, "--set")
        overrides[key.strip()] = value
    return overrides


def read_preset_text(path: Path) -> str:
    """The text of a preset file, refusing what is not a small regular UTF-8 file.

    Opened non-blocking, so a FIFO or a device is refused instead of waiting
    (or reading forever); at most MAX_BYTES are read, and lines with absurdly
    dotted keys are refused before tomllib, which is quadratic in a key's length.
    """
    source = printable(str(path))
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise ConfigError({"file": f"cannot read: {exc.strerror or exc}"}, source) from None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ConfigError({"file": "not a regular file (a preset is a .toml file)"}, source)
        raw = handle.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise ConfigError({"file": f"larger than {MAX_BYTES // 1024} KiB; a preset is a short TOML file"}, source)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError({"file": f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})"},
                          source) from None
    for number, line in enumerate(text.splitlines(), 1):
        if line.count(".") > MAX_DOTS_PER_LINE:
            raise ConfigError({"toml": f"line {number} has more than {MAX_DOTS_PER_LINE} dots; "
                                       "keys nested that deep are refused"}, source)
    return text


def _control_characters(text: str) -> str | None:
    """The first control character of ``text`` (tab and newline allowed), escaped, or None."""
    bad = next((c for c in text if not c.isprintable() and c not in "\t\n\r"), None)
    return None if bad is None else printable(bad)


def load_preset_file(path: Path) -> Preset:
    source = printable(path.name)
    try:
        data = tomllib.loads(read_preset_text(path))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError({"toml": f"not valid TOML: {exc}"}, source) from None
    except RecursionError:
        raise ConfigError({"toml": "nested too deeply"}, source) from None
    errors: dict[str, str] = {}
    for key, value in data.items():
        if key in ("config", "sweep"):
            continue
        if key not in DESCRIPTIVE_KEYS:
            errors[key] = "unknown key; known keys: " + ", ".join([*DESCRIPTIVE_KEYS, "config", "sweep"])
        elif not isinstance(value, str):
            errors[key] = "must be a string"
        elif _control_characters(value):
            errors[key] = f"contains the control character {_control_characters(value)}"
    for key in ("name", "description"):
        if key not in data:
            errors[key] = "missing"
    table = data.get("config", {})
    if not isinstance(table, dict):
        errors["config"] = "must be a [config] table"
        table = {}
    try:
        config = build_config(table, source=source)
    except ConfigError as exc:
        errors.update({f"config.{key}": message for key, message in exc.errors.items()})
    sweep = data.get("sweep", {})
    if not isinstance(sweep, dict):
        errors["sweep"] = "must be a [sweep] table"
        sweep = {}
    try:
        sweep = sweep_settings(sweep, source)
    except ConfigError as exc:
        errors.update(exc.errors)
    if errors:
        raise ConfigError(_first(errors), source)
    return Preset(
        name=data["name"],
        title=data.get("title", data["name"]),
        mirrors=data.get("mirrors", ""),
        description=" ".join(data["description"].split()),
        look_for=" ".join(data.get("look_for", "").split()),
        config=config,
        path=path,
        contrast=data.get("contrast", ""),
        sweep=sweep,
    )


def _first(errors: dict[str, str]) -> dict[str, str]:
    """At most MAX_ERRORS problems, then how many more: a hostile file cannot flood the terminal."""
    if len(errors) <= MAX_ERRORS:
        return errors
    shown = dict(list(errors.items())[:MAX_ERRORS])
    shown["..."] = f"and {len(errors) - MAX_ERRORS} more problems"
    return shown


def list_presets() -> list[Preset]:
    return [load_preset_file(path) for path in sorted(presets_dir().glob("*.toml"))]


def load_preset(name_or_path: str) -> Preset:
    """A shipped preset by name, or any preset file by path."""
    shown = printable(repr(name_or_path if len(name_or_path) <= 80 else name_or_path[:80] + "..."))
    path = Path(name_or_path).expanduser()
    candidate = presets_dir() / f"{name_or_path}.toml"
    try:                    # a name too long for the file system raises here, not a traceback
        exists, shipped = path.exists(), candidate.is_file()
    except OSError as exc:
        raise ConfigError({"preset": f"not a preset name or file: {shown} ({exc.strerror})"}) from None
    if path.suffix == ".toml" or exists:
        if not exists:
            raise ConfigError({"preset": f"no such file {shown}"})
        return load_preset_file(path)    # it refuses what is not a regular file
    if shipped:
        return load_preset_file(candidate)
    known = ", ".join(sorted(p.stem for p in presets_dir().glob("*.toml")))
    raise ConfigError({"preset": f"unknown preset {shown}; known presets: {known}"})
