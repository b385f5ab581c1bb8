"""The Textual front end: ``run_app`` opens it (see :mod:`rnntui.ui.app`).

Frames go out at up to 120 per second (``TEXTUAL_FPS``, Textual's default is
60) unless the user chose otherwise. Textual's screen timer, once a change woke
it, waits one to two frame periods before it paints the next change: at 60 fps
a keypress right after a plot's repaint waited up to 33 ms to appear. The timer
only runs while something changed, so an idle screen costs nothing more.
Textual reads the variable when it is first imported, so this package sets it
before any of its modules import Textual.
"""

import os

os.environ.setdefault("TEXTUAL_FPS", "120")
