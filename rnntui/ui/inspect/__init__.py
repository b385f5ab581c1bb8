"""Model inspection: Jacobian products and loss slices of a paused or finished run's model."""

from .screen import InspectScreen

__all__ = ["InspectScreen"]
