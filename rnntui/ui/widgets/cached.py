"""Line API widgets whose lines are built from data: cached, and rebuilt off the event loop.

The live plots and the heatmap are the UI's costly repaints (a plotext build
is 4-10 ms at 160x48), several times a second while a run trains. Their lines
are kept per (size, news count) and only rebuilt when the data changed. The
lab's refresh asks for the rebuild in the builder thread while the last picture
stays on screen, so a keypress never waits behind it; the first picture, a new
size or theme, and a run's end are built at once, on the next paint. A widget
out of view (a hidden tab, scrolled away in the 80x24 column) builds nothing
until it is painted again.

One thread builds for every widget, one build at a time, rather than a Textual
worker per build: builds in parallel only fought each other and the event loop
for the GIL, and each worker's task and coroutine formed a reference cycle that
kept the build's lines (56,000 objects in 3 s) for the cyclic collector, whose
full passes then stalled the UI for 60-80 ms every second or two.
"""

from __future__ import annotations

import logging
import time
from queue import SimpleQueue
from threading import Lock, Thread
from typing import Callable

from textual.dom import NoScreen
from textual.errors import NoWidget
from textual.geometry import Size
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget


class CachedLines(Widget):
    """Subclasses build their lines in :meth:`build_lines` and call :meth:`news` when the data changed."""

    _drawn: tuple[Size, int, list[Strip]] | None = None   # (size, news count, lines) of the last build

    class Built(Message):
        """Lines built off the event loop, for this size and news count."""

        bubble = False

        def __init__(self, size: Size, news: int, lines: list[Strip]) -> None:
            super().__init__()
            self.size, self.news, self.lines = size, news, lines

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._news = 0        # how many times the data changed
        self._building = False
        self._build_lock = Lock()   # one build at a time: builds share the widget's state

    def build_lines(self) -> list[Strip]:
        """The widget's lines for the current data, size and theme (may run in a worker thread)."""
        raise NotImplementedError

    def news(self, background: bool = False) -> None:
        """The data changed: rebuild, in a worker thread while the last picture stays if ``background``."""
        self._news += 1
        if background and self._drawn is not None and self._drawn[0] == self.size and self.in_view():
            self._build_later()
        else:
            self.refresh()   # built on the next paint, if it is ever painted

    def in_view(self) -> bool:
        """Whether some of the widget shows (not scrolled away, nor in a hidden tab)."""
        try:
            return self.screen.find_widget(self).visible_region.area > 0
        except (NoScreen, NoWidget):
            return False

    def _build_later(self) -> None:
        if not self._building:
            self._building = True
            BUILDER.submit(self)

    def _build_in_thread(self) -> None:
        size, news = self.size, self._news
        try:
            lines = self._lines()
        except Exception:
            self._building = False   # the next news tries again
            raise
        self.post_message(self.Built(size, news, lines))

    def on_cached_lines_built(self, message: Built) -> None:
        self._building = False
        if self._drawn is None or not message.size == self._drawn[0] == self.size:
            self._drawn = None   # resized or hidden meanwhile: the next paint builds afresh
            return
        if message.news > self._drawn[1]:
            self._drawn = (message.size, message.news, message.lines)
            super().refresh()
        if self._drawn[1] < self._news:   # news arrived during the build
            self._build_later()

    def _lines(self) -> list[Strip]:
        with self._build_lock:
            return self.build_lines()

    def refresh(self, *regions, **kwargs):
        self._drawn = None  # new data, theme or size: build again on the next paint
        return super().refresh(*regions, **kwargs)

    def render_line(self, y: int) -> Strip:
        if self._drawn is None or self._drawn[0] != self.size:
            self._drawn = (self.size, self._news, self._lines())
        lines = self._drawn[2]
        line = lines[y] if y < len(lines) else Strip.blank(0, self.rich_style)
        return line.crop_extend(0, self.size.width, self.rich_style)


class LineBuilder:
    """The one thread that builds lines off the event loop, for every :class:`CachedLines`, in turn.

    Keys go before pictures: a build holds the interpreter lock for 4-14 ms, so while keys
    arrive the builder waits for a gap of ``KEY_GAP`` seconds (at most ``LONGEST_DEFER``) before
    it starts one, and the frame that shows the key is not kept waiting behind it.
    """

    KEY_GAP = 0.03
    LONGEST_DEFER = 0.04

    def __init__(self) -> None:
        self._queue: SimpleQueue[CachedLines] = SimpleQueue()
        self._thread: Thread | None = None
        self._start_lock = Lock()
        self.last_key: Callable[[], float] = self.no_keys   # the app says when keys come

    @staticmethod
    def no_keys() -> float:
        return float("-inf")

    def _wait_for_a_gap_in_the_keys(self) -> None:
        deadline = time.monotonic() + self.LONGEST_DEFER
        while time.monotonic() < deadline and time.monotonic() - self.last_key() < self.KEY_GAP:
            time.sleep(0.005)

    def submit(self, widget: CachedLines) -> None:
        with self._start_lock:
            if self._thread is None:
                self._thread = Thread(target=self._serve, name="rnntui-line-builder", daemon=True)
                self._thread.start()
        self._queue.put(widget)

    def _serve(self) -> None:
        while True:
            widget = self._queue.get()
            self._wait_for_a_gap_in_the_keys()
            if not widget.is_attached:   # its app or screen has gone meanwhile
                widget._building = False
                continue
            try:
                widget._build_in_thread()
            except Exception:   # one widget's failed build must not end the builds of the others
                if widget.is_attached:   # else its app closed mid-build: nothing failed that matters
                    logging.getLogger(__name__).exception("building %r failed", widget)
            del widget   # nothing of a built widget stays reachable from this thread


BUILDER = LineBuilder()
