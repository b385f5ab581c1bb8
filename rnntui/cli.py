"""The ``rnntui`` command: the TUI by default, headless subcommands beside it.

Torch and the TUI load only inside the command that needs them, so
``rnntui --help`` and ``rnntui presets`` answer at once. Bad input of any kind
ends in one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

from .engine.config import DEVICES, ConfigError
from .engine.presets import list_presets, load_preset, parse_overrides

EXIT_BAD_INPUT, EXIT_NO_TUI, EXIT_INTERRUPTED = 2, 1, 130

# Subcommands that live in their own modules, each with add_parser(subparsers) and run(args).
# A module that does not exist (yet) is skipped.
OPTIONAL_COMMANDS = ("rnntui.landscape_cli", "rnntui.sweep_cli")


def _run(args: argparse.Namespace) -> int:
    preset = load_preset(args.preset)
    overrides = parse_overrides(args.overrides)
    if args.device:
        overrides["device"] = args.device
    if overrides:
        preset = preset.with_overrides(overrides)
    from .headless import run_headless

    return run_headless(preset, args.csv)


def _presets(args: argparse.Namespace) -> int:
    presets = list_presets()
    width = max((len(p.name) for p in presets), default=0)
    for preset in presets:
        print(f"{preset.name:<{width}}  {preset.title}")
    return 0


def _tui(args: argparse.Namespace) -> int:
    if args.preset:
        load_preset(args.preset)   # a bad name fails here, before the screen takes over
    try:
        from .ui.app import run_app
    except ModuleNotFoundError as exc:
        if exc.name not in ("rnntui.ui", "rnntui.ui.app"):
            raise
        print("rnntui: the TUI is not part of this build (rnntui.ui.app is missing); "
              "`rnntui run PRESET` trains headless", file=sys.stderr)
        return EXIT_NO_TUI
    return run_app(args.preset)


def _add_optional_commands(subparsers: argparse._SubParsersAction) -> None:
    for name in OPTIONAL_COMMANDS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        before = set(subparsers.choices)
        module.add_parser(subparsers)
        for command in set(subparsers.choices) - before:
            subparsers.choices[command].set_defaults(handler=module.run)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rnntui", description="A terminal lab for vanishing and exploding gradients in RNNs. "
                                   "Without a command, opens the TUI.")
    parser.add_argument("--preset", metavar="NAME_OR_PATH", help="open the TUI with this preset loaded")
    parser.add_argument("--imdb", metavar="PATH",
                        help="a local IMDB archive or extracted aclImdb folder (sets RNNTUI_IMDB)")
    parser.add_argument("--data-dir", metavar="DIR",
                        help="where downloaded and encoded data sets are cached (sets RNNTUI_CACHE)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = subparsers.add_parser("run", help="train a preset headless (progress, summary, CSV)",
                                description="Train a preset without the TUI and export a CSV. "
                                            "Exit codes: 0 finished, 1 diverged, 2 bad input, "
                                            "130 interrupted.")
    run.add_argument("preset", metavar="PRESET_OR_PATH", help="a shipped preset name or a .toml file")
    run.add_argument("--set", dest="overrides", action="extend", nargs="+", default=[],
                     metavar="KEY=VALUE", help="override config fields, e.g. --set lr=0.01 cell=gru")
    run.add_argument("--csv", type=Path, metavar="PATH",
                     help="where to write the run summary (default runs/<time>-<preset>.csv); "
                          "the gradient profile goes beside it as <name>.timesteps.csv")
    run.add_argument("--device", choices=DEVICES, help="override the preset's device")
    run.set_defaults(handler=_run)
    presets = subparsers.add_parser("presets", help="list the shipped presets")
    presets.set_defaults(handler=_presets)
    _add_optional_commands(subparsers)
    return parser


def _apply_data_options(args: argparse.Namespace) -> None:
    """Data locations travel as environment variables, the loaders' one source of truth."""
    if args.imdb:
        os.environ["RNNTUI_IMDB"] = str(Path(args.imdb).expanduser().resolve())
    if args.data_dir:
        os.environ["RNNTUI_CACHE"] = str(Path(args.data_dir).expanduser().resolve())


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        _apply_data_options(args)
        return args.handler(args) if args.command else _tui(args)
    except SystemExit as exc:        # argparse: --help, usage errors (code 2)
        return exc.code if isinstance(exc.code, int) else EXIT_BAD_INPUT
    except ConfigError as exc:
        print("rnntui: " + "; ".join(str(exc).splitlines()), file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as exc:
        from .engine.data.errors import DataUnavailable   # loaded late: it pulls in torch

        if not isinstance(exc, DataUnavailable):
            raise
        print(f"rnntui: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
