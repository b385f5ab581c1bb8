"""``rnntui presets``: every shipped preset, one line each."""

from __future__ import annotations

import argparse

from ..engine.presets import list_presets


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    subparsers.add_parser("presets", help="list the shipped presets")


def run(args: argparse.Namespace) -> int:
    presets = list_presets()
    width = max((len(p.name) for p in presets), default=0)
    for preset in presets:
        print(f"{preset.name:<{width}}  {preset.title}")
    return 0
