"""Messages from the training worker to the UI, coalesced so a fast run cannot flood it."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass
class RunUpdated(Message):
    """New events reached run ``number``'s record; a pending one for the same run is replaced."""

    number: int

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, RunUpdated) and message.number == self.number


@dataclass
class RunEnded(Message):
    """Run ``number`` finished, diverged, stopped or failed: ``failure`` ("crashed", "no data", "refused") says
    how, ``error`` why."""

    number: int
    error: str = ""
    failure: str = ""
