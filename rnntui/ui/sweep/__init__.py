"""Sweep view: the success-vs-length curve filling in live as runs land."""

from .screen import SweepScreen

__all__ = ["SweepScreen"]
