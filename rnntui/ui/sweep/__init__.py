"""Sweep view: the success-vs-length curve filling in live as runs land."""

from .screen import SweepScreen
from .setup import default_spec

__all__ = ["SweepScreen", "default_spec"]
