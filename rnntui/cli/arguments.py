"""Argument parsing the way a shell user expects it, on top of argparse.

argparse reads ``--lengths -5,6`` as two options and lets ``--set`` swallow
the preset name after it; :func:`normalise_argv` rewrites such words into the
unambiguous ``--option=value`` form first. Every usage error is one line.
"""

from __future__ import annotations

import argparse
import re

from ..engine.sweep.grid import RAY_ADDRESS
from ..formatting import printable

KEY_VALUE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*=")   # dots: --set sweep.ray=ADDRESS
MAX_THREADS = 1024


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line on stderr (exit 2), control characters escaped."""

    def error(self, message: str) -> None:
        self.exit(2, f"{self.prog}: {printable(' '.join(message.split()))} (see {self.prog} --help)\n")


def thread_count(text: str) -> int:
    """``--threads``: a whole number from 1 to MAX_THREADS."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_THREADS:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number from 1 to {MAX_THREADS}")
    return value


def comma_list(text: str) -> list[str]:
    """The items of ``A,B,...``; an empty list is an error, not a silent default."""
    items = [part.strip() for part in text.split(",")]
    if not any(items):
        raise argparse.ArgumentTypeError("the list is empty; give one or more comma-separated values")
    if not all(items):
        raise argparse.ArgumentTypeError(f"{text!r} has an empty item")
    return items


def option_strings(parser: argparse.ArgumentParser) -> tuple[set[str], set[str]]:
    """(every option string, those that take exactly one value), over the parser and its subcommands.

    Reads argparse's ``_actions`` and ``_SubParsersAction``: tests/test_hostile.py
    fails if a Python release renames them.
    """
    every, single = set(), set()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for subparser in action.choices.values():
                sub_every, sub_single = option_strings(subparser)
                every |= sub_every
                single |= sub_single
        elif action.option_strings:
            every.update(action.option_strings)
            if action.nargs is None:
                single.update(action.option_strings)
    return every, single


def normalise_argv(parser: argparse.ArgumentParser, argv: list[str]) -> list[str]:
    """Rewrite ``OPTION -VALUE`` to ``OPTION=-VALUE`` and each ``KEY=VALUE`` after ``--set`` to
    ``--set=KEY=VALUE``, so negative numbers are values and ``--set`` stops at the first other word;
    ``--ray`` followed by a word that is no address (``--ray PRESET``) is ``--ray=``, a local instance."""
    every, single = option_strings(parser)
    out: list[str] = []
    index = 0
    while index < len(argv):
        word = argv[index]
        index += 1
        if word == "--":
            out.extend(argv[index - 1:])
            break
        if word == "--set" and index < len(argv) and KEY_VALUE.match(argv[index]):
            while index < len(argv) and KEY_VALUE.match(argv[index]):
                out.append(f"--set={argv[index]}")
                index += 1
        elif word == "--ray" and index < len(argv) and not RAY_ADDRESS.fullmatch(argv[index]) \
                and not argv[index].startswith("-"):
            out.append("--ray=")
        elif word in single and index < len(argv) and argv[index].startswith("-") and argv[index] not in every:
            out.append(f"{word}={argv[index]}")
            index += 1
        else:
            out.append(word)
    return out
