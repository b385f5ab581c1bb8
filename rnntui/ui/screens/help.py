"""The help screen: keys, and how to read each plot."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

HELP = """\
# rnntui

Pick a preset on the left (or edit any field), press **s** to train it, and watch
the gradients. Everything runs in the background: keep typing, switching tabs, resizing.

| key | does |
|---|---|
| `s` | start a run with the fields on the left |
| `p` | pause / resume |
| `n` | single step (starts a paused run if none is going) |
| `x` | stop the run (within a second) |
| `e` | export the selected run as CSV |
| `c` | compare: overlay two runs' curves (Runs tab) |
| `v` | contrast: train this preset beside its partner (e.g. clipped vs not) and overlay both |
| `l` | jump to the preset picker |
| `f` | hide / show the experiment pane |
| `g` | cliff explorer (loss landscape), where installed |
| `i` | inspect the selected run's model: Jacobian products, loss slices (paused or finished) |
| `w` | sweep the preset over sequence length (`f` there picks another field, `e` exports) |
| `ctrl+p` | command palette: load preset, start, stop, export, compare, contrast, theme |
| `?` | this help · `q` quit (inside a text field `q` is just a letter) |

## Reading the plots
- **loss**: training loss per step (faded) and validation loss, log scale.
- **metric**: the task's validation metric (accuracy, mse, …).
- **‖∂L/∂h_t‖ vs t**: how much the loss reaches back to each timestep, for the latest
  probe; the first probe is faded behind. A line falling steeply to the left is a
  *vanishing* gradient; one rising without bound is *exploding*.
- **heatmap**: the same profile for every probe over training (rows t, columns step,
  log colour). Dark rows at small t are timesteps the network can no longer learn from.
- **gradient norm**: before and after clipping, with the threshold line.
- **task view**: generated sine vs the truth, or recall predictions vs true values.

In the **Runs** tab, press enter on two rows to overlay their curves.
The **Why** tab says what the newest run shows (both runs after `v`), in sentences with
numbers from the probes: how much gradient reaches t = 1, clipping, ρ(W_hh), the baseline.
`p`, `n` and `x` act on both runs of a contrast.
A vertical red line marks the step where a run diverged.

On a small terminal (80×24) the plots stack in one scrolling column: use the mouse
wheel, or click them and use PgUp/PgDn; `f` hides the experiment pane for more room.
Long presets: lower `epochs` or `iterations` in the pane before pressing `s`.

The IMDB presets need the aclImdb data set: start with `rnntui --imdb PATH` (an
archive or an extracted folder) or set `RNNTUI_IMDB`; without it the run stops with
the loader's message saying what to do.

Over SSH, set `COLORTERM=truecolor` for full colour; `NO_COLOR=1` turns colour off.
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark,f1", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog help"):
            yield Markdown(HELP)
