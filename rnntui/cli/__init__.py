"""The ``rnntui`` command: the TUI by default, headless subcommands beside it.

One module per subcommand (``run``, ``presets``, ``sweep``, ``landscape``, ``runs``), each
with ``add_parser(subparsers)`` and ``run(args) -> exit code``. Torch and the
TUI load only inside the command that needs them, so ``rnntui --help`` and
``rnntui presets`` answer at once. Bad input of any kind ends in one line on
stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..engine.config import DEVICES, ConfigError
from ..engine.presets import load_preset
from ..engine.store import StoreError
from ..engine.store.location import STORE_ENV
from ..formatting import printable
from . import landscape, presets, run, runs, sweep
from .arguments import Parser, normalise_argv, thread_count

EXIT_BAD_INPUT, EXIT_NO_TUI, EXIT_INTERRUPTED = 2, 1, 130
SUBCOMMANDS = (run, presets, sweep, landscape, runs)
# Options every command takes, before or after its name; adding one is one line here.
GLOBAL_OPTIONS = (
    (("--imdb",), dict(metavar="PATH",
                       help="a local IMDB archive or extracted aclImdb folder (sets RNNTUI_IMDB)")),
    (("--data-dir",), dict(metavar="DIR",
                           help="where downloaded and encoded data sets are cached (sets RNNTUI_CACHE)")),
    (("--threads",), dict(type=thread_count, metavar="N",
                          help="CPU threads for training (default: chosen per run; a sweep uses every core)")),
    (("--device",), dict(choices=DEVICES, help="where to train, overriding the preset's device")),
    (("--store",), dict(metavar="PATH",
                        help=f"the run store, a SQLite file (sets {STORE_ENV}; default: the user data dir)")),
)


def _tui(args: argparse.Namespace) -> int:
    if args.preset:
        load_preset(args.preset)   # a bad name fails here, before the screen takes over
    try:
        from ..ui.app import run_app
    except ModuleNotFoundError as exc:
        if exc.name not in ("rnntui.ui", "rnntui.ui.app"):
            raise
        print("rnntui: the TUI is not part of this build (rnntui.ui.app is missing); "
              "`rnntui run PRESET` trains headless", file=sys.stderr)
        return EXIT_NO_TUI
    return run_app(args.preset)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="rnntui", description="A terminal lab for vanishing and exploding gradients in RNNs. "
                                   "Without a command, opens the TUI.")
    parser.add_argument("--preset", metavar="NAME_OR_PATH", help="open the TUI with this preset loaded")
    for flags, options in GLOBAL_OPTIONS:
        parser.add_argument(*flags, **options)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in SUBCOMMANDS:
        before = set(subparsers.choices)
        command.add_parser(subparsers)
        for name in set(subparsers.choices) - before:
            subparser = subparsers.choices[name]
            subparser.set_defaults(handler=command.run)
            _accept_global_options(subparser)
    return parser


def _accept_global_options(parser: argparse.ArgumentParser) -> None:
    """A command (and its actions, as in ``runs list``) takes the global options too; unset there,
    the value given before the command stands."""
    for flags, options in GLOBAL_OPTIONS:
        parser.add_argument(*flags, **options, default=argparse.SUPPRESS)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for subparser in action.choices.values():
                _accept_global_options(subparser)


def _absolute(path: str) -> str:
    """The path made absolute without following links (resolve() raises on a symlink loop)."""
    return str(Path(path).expanduser().absolute())


def _apply_data_options(args: argparse.Namespace) -> None:
    """Data and store locations and the thread count travel as environment variables, the loaders' one source of truth."""
    if args.threads:
        os.environ["RNNTUI_THREADS"] = str(args.threads)
    if args.imdb:
        os.environ["RNNTUI_IMDB"] = _absolute(args.imdb)
    if args.data_dir:
        os.environ["RNNTUI_CACHE"] = _absolute(args.data_dir)
    if args.store:
        os.environ[STORE_ENV] = _absolute(args.store)


def main(argv: list[str] | None = None) -> int:
    try:
        parser = build_parser()
        args = parser.parse_args(normalise_argv(parser, sys.argv[1:] if argv is None else argv))
        _apply_data_options(args)
        return args.handler(args) if args.command else _tui(args)
    except SystemExit as exc:        # argparse: --help, usage errors (code 2)
        return exc.code if isinstance(exc.code, int) else EXIT_BAD_INPUT
    except (ConfigError, StoreError) as exc:
        print("rnntui: " + printable("; ".join(str(exc).splitlines())), file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:          # `rnntui runs list | head`: the reader left, nothing is wrong
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:
        from ..engine.data.errors import DataUnavailable   # loaded late: it pulls in torch

        if not isinstance(exc, DataUnavailable):
            raise
        print("rnntui: " + printable("; ".join(str(exc).splitlines())), file=sys.stderr)
        return EXIT_BAD_INPUT
