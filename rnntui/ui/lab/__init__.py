"""The main screen: experiment pane, live plots, runs, status."""

from .screen import LabScreen

__all__ = ["LabScreen"]
