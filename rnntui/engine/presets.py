"""Presets: plain TOML files that mirror documented experiments.

A preset file has a few descriptive keys and a ``[config]`` table of
``RunConfig`` fields. Anything unknown is rejected with the file and key named.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from .config import ConfigError, RunConfig, build_config, refuse_unused

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


def load_preset_file(path: Path) -> Preset:
    source = path.name
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError({"file": f"cannot read: {exc.strerror or exc}"}, str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError({"toml": f"not valid TOML: {exc}"}, source) from None
    errors: dict[str, str] = {}
    for key, value in data.items():
        if key == "config":
            continue
        if key not in DESCRIPTIVE_KEYS:
            errors[key] = "unknown key; known keys: " + ", ".join([*DESCRIPTIVE_KEYS, "config"])
        elif not isinstance(value, str):
            errors[key] = f"{value!r} must be a string"
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
    if errors:
        raise ConfigError(errors, source)
    return Preset(
        name=data["name"],
        title=data.get("title", data["name"]),
        mirrors=data.get("mirrors", ""),
        description=" ".join(data["description"].split()),
        look_for=" ".join(data.get("look_for", "").split()),
        config=config,
        path=path,
        contrast=data.get("contrast", ""),
    )


def list_presets() -> list[Preset]:
    return [load_preset_file(path) for path in sorted(presets_dir().glob("*.toml"))]


def load_preset(name_or_path: str) -> Preset:
    """A shipped preset by name, or any preset file by path."""
    path = Path(name_or_path).expanduser()
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise ConfigError({"preset": f"no such file {name_or_path!r}"})
        return load_preset_file(path)
    candidate = presets_dir() / f"{name_or_path}.toml"
    if candidate.is_file():
        return load_preset_file(candidate)
    known = ", ".join(sorted(p.stem for p in presets_dir().glob("*.toml")))
    raise ConfigError({"preset": f"unknown preset {name_or_path!r}; known presets: {known}"})
