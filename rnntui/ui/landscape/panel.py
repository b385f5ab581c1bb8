"""The side panel: the numbers behind the picture, and the clipping story in one sentence."""

from __future__ import annotations

from rich.text import Text

from rnntui.engine.analysis.landscape import LandscapeSummary, Trajectory

from .cliffmap import CURSOR, legend, marker
from .view import View

HINT = ("Arrows or a click move +. Enter descends from it with and without clipping (d, c: one "
        "each; backspace clears). [ ] step T, + − zoom, shift+arrows pan, 0 resets, r R resolution; "
        "l learning rate, k clipping threshold, m steps; ? help.")


def _pair(point) -> str:
    return f"({point[0]:.3g}, {point[1]:.3g})"


def _inside(view: View, w: float, b: float) -> bool:
    return view.w_range[0] <= w <= view.w_range[1] and view.b_range[0] <= b <= view.b_range[1]


def path_lines(view: View, path: Trajectory) -> Text:
    glyph, colour = marker(path)
    name = "no clipping" if path.clip is None else f"clipped, ‖g‖ ≤ {path.clip:g}"
    step = int(path.step_norm.argmax())
    w, b, loss = path.points[-1].tolist()
    where = "" if _inside(view, w, b) else " off map"
    text = Text(f"{glyph} ", style=f"bold {colour}").append(name, style="bold")
    text.append(f": |∇L| up to {float(path.grad_norm.max()):.3g}\n")
    text.append(f"  largest step {float(path.step_norm[step]):.3g} (step {step})\n")
    return text.append(f"  ends {_pair((w, b))}{where}, loss {loss:.2g}\n")


def story(view: View, paths: list[Trajectory]) -> str:
    """One sentence comparing the pair, measured, not assumed."""
    plain = next((p for p in paths if p.clip is None), None)
    clipped = next((p for p in paths if p.clip is not None), None)
    if plain is None or clipped is None:
        return ""
    jump = float(plain.step_norm.max())
    bound = view.lr * clipped.clip
    if jump <= bound:
        return "The gradient never exceeded the threshold here: both paths are the same."
    end_plain, end_clip = float(plain.points[-1, 2]), float(clipped.points[-1, 2])
    verdict = ("clipping ends lower" if end_clip < end_plain else
               "clipping does not end lower here" if end_clip > end_plain else "both end at the same loss")
    return (f"Unclipped, one step was {jump / bound:.3g}× the clipped bound ({bound:g}): "
            f"the wall's gradient threw it {jump:.3g} away; {verdict} "
            f"({end_clip:.3g} vs {end_plain:.3g}).")


def describe(view: View, summary: LandscapeSummary | None, cursor: tuple[float, float],
             paths: list[Trajectory]) -> Text:
    """``cursor`` is (loss, |∇L|) at the cursor."""
    text = Text("x_t = w·σ(x_{t−1}) + b, x_0 = 0.5\n")
    text.append(f"T = {view.T}", style="bold").append(f", grid {view.resolution}²\n")
    if summary is None:
        text.append("computing…\n")
    else:
        text.append(f"lowest loss {summary.min_loss:.2g} at {_pair(summary.argmin)}\n")
        text.append(f"steepest |∇L| {summary.steepest:.3g} at {_pair(summary.steepest_at)}\n")
        text.append(f"wall: loss jump {summary.wall_jump:.2f} at {_pair(summary.wall_at)}\n")
    text.append(f"{CURSOR[0]} ", style=f"bold {CURSOR[1]}")
    text.append(f"start {_pair(view.cursor)}: loss {cursor[0]:.2g}, |∇L| {cursor[1]:.2g}\n")
    text.append(f"descent: lr {view.lr:g}, {view.steps} steps, clip at ‖g‖ ≤ {view.clip:g}\n")
    for path in paths:
        text.append_text(path_lines(view, path))
    line = story(view, paths)
    text.append(f"{line}\n" if line else f"{HINT}\n", style="italic" if line else "dim")
    return text.append_text(legend())
