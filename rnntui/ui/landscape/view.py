"""What the cliff explorer shows, as one frozen value: ranges, T, resolution, cursor, descent knobs.

Kept free of Textual so zoom and stepping are plain functions of the state.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

T_STEPS = (1, 2, 5, 10, 20, 50, 100, 200)
RESOLUTIONS = (50, 100, 200, 400)
LEARNING_RATES = (0.1, 0.5, 2.0)
CURSOR_STEPS = 40          # an arrow key moves the cursor 1/40 of the visible range


def _step_through(choices: tuple, current, step: int):
    index = choices.index(current) if current in choices else 0
    return choices[max(0, min(len(choices) - 1, index + step))]


@dataclass(frozen=True)
class View:
    w_range: tuple[float, float] = (0.0, 10.0)
    b_range: tuple[float, float] = (-7.0, 1.0)
    T: int = 50
    resolution: int = 200
    cursor: tuple[float, float] = (5.5, -2.0)   # a start that walks into the wall at T = 50
    lr: float = 0.5
    clip: float = 1.0
    steps: int = 150

    @property
    def grid_key(self) -> tuple:
        """Everything the loss grid depends on (the cursor and descent knobs do not)."""
        return self.w_range, self.b_range, self.T, self.resolution

    def step_T(self, step: int) -> "View":
        return replace(self, T=_step_through(T_STEPS, self.T, step))

    def step_resolution(self, step: int) -> "View":
        return replace(self, resolution=_step_through(RESOLUTIONS, self.resolution, step))

    def next_lr(self) -> "View":
        return replace(self, lr=LEARNING_RATES[(LEARNING_RATES.index(self.lr) + 1) % len(LEARNING_RATES)]
                       if self.lr in LEARNING_RATES else LEARNING_RATES[0])

    def move(self, dw: int, db: int) -> "View":
        """Move the cursor by whole arrow steps, kept inside the visible ranges."""
        (w0, w1), (b0, b1) = self.w_range, self.b_range
        w = min(w1, max(w0, self.cursor[0] + dw * (w1 - w0) / CURSOR_STEPS))
        b = min(b1, max(b0, self.cursor[1] + db * (b1 - b0) / CURSOR_STEPS))
        return replace(self, cursor=(w, b))

    def pick(self, fx: float, fy: float) -> "View":
        """Put the cursor at fractions (0..1) of the width and height, y from the top."""
        (w0, w1), (b0, b1) = self.w_range, self.b_range
        return replace(self, cursor=(w0 + fx * (w1 - w0), b1 - fy * (b1 - b0)))

    def reset_ranges(self) -> "View":
        home = View()
        return replace(self, w_range=home.w_range, b_range=home.b_range)

    def zoom(self, factor: float) -> "View":
        """Scale both ranges by ``factor`` about the cursor (factor < 1 zooms in)."""
        def around(centre: float, span: tuple[float, float]) -> tuple[float, float]:
            low, high = span
            return centre - (centre - low) * factor, centre + (high - centre) * factor

        return replace(self, w_range=around(self.cursor[0], self.w_range),
                       b_range=around(self.cursor[1], self.b_range))
