"""Cliff explorer: the one-unit loss landscape with clipped and unclipped descent."""

from .screen import LandscapeScreen

__all__ = ["LandscapeScreen"]
