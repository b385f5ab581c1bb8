"""What can be swept and the documented grids: plain constants, so ``rnntui --help`` loads no torch."""

from __future__ import annotations

import re

from ..config import ConfigError

# E4's grid of sequence lengths (Bengio et al. 1994, as replicated in 2018): 25 values.
LATCHING_LENGTHS = (2, 5, 8, 10, 15, 20, 25, 30, *range(40, 201, 10))
LATCHING_CELLS = ("rnn_tanh", "lstm")
LATCHING_REPEATS = 30
# Documented sweeps per task: the grid of sequence lengths and the cells compared.
DEFAULT_GRIDS = {"latching": (LATCHING_LENGTHS, LATCHING_CELLS)}
SWEEPABLE_FIELDS = ("seq_len", "lr", "hidden_size", "clip_threshold", "init")
BACKENDS = ("auto", "kernel", "torch")
RAY_ADDRESS_HELP = "auto, ray://HOST:PORT, HOST:PORT, or empty for a local Ray instance"
RAY_ADDRESS = re.compile(r"auto|(ray://)?[\w.-]+:\d{1,5}")


def check_ray_address(address: str, source: str = "sweep") -> str:
    """The Ray address a sweep runs on (``--ray``, ``--set sweep.ray=``, a preset's ``[sweep]``), checked."""
    address = address.strip()
    if address == "" or RAY_ADDRESS.fullmatch(address):
        return address
    raise ConfigError({"ray": f"{address!r} is not a Ray address: use {RAY_ADDRESS_HELP}"}, source)


SWEEP_SETTINGS = {"ray": check_ray_address}    # a preset's [sweep] table and --set sweep.KEY=VALUE


def sweep_settings(table: dict, source: str) -> dict[str, str]:
    """A preset's ``[sweep]`` table or ``--set sweep.*`` pairs, checked: the one place they are validated."""
    errors, settings = {}, {}
    for key, value in table.items():
        if key not in SWEEP_SETTINGS:
            errors[f"sweep.{key}"] = f"unknown sweep setting; known: {', '.join(SWEEP_SETTINGS)}"
        elif not isinstance(value, str):
            errors[f"sweep.{key}"] = f"{value!r} must be a string"
        else:
            try:
                settings[key] = SWEEP_SETTINGS[key](value, source)
            except ConfigError as exc:
                errors.update({f"sweep.{name}": message for name, message in exc.errors.items()})
    if errors:
        raise ConfigError(errors, source)
    return settings
