"""What the cliff explorer shows, as one frozen value: ranges, T, resolution, cursor, descent knobs.

Kept free of Textual so zoom and stepping are plain functions of the state.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

T_STEPS = (1, 2, 5, 10, 20, 50, 100, 200)
RESOLUTIONS = (50, 100, 200, 400)
# Descent knobs a key cycles through: learning rate, clipping threshold, number of steps.
CHOICES = {"lr": (0.1, 0.5, 2.0), "clip": (0.1, 0.3, 1.0, 3.0, 10.0), "steps": (50, 150, 500)}
CURSOR_STEPS = 40          # an arrow key moves the cursor 1/40 of the visible range
PAN_STEPS = 4              # shift+arrow moves the grid 1/4 of its range


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

    @property
    def descent_key(self) -> tuple:
        """Everything a descent path depends on besides its start."""
        return self.T, self.lr, self.clip, self.steps

    def step_T(self, step: int) -> "View":
        return replace(self, T=_step_through(T_STEPS, self.T, step))

    def step_resolution(self, step: int) -> "View":
        return replace(self, resolution=_step_through(RESOLUTIONS, self.resolution, step))

    def cycle(self, knob: str) -> "View":
        """The next of the ``knob``'s CHOICES (lr, clip or steps), wrapping around."""
        choices, current = CHOICES[knob], getattr(self, knob)
        following = choices[(choices.index(current) + 1) % len(choices)] if current in choices else choices[0]
        return replace(self, **{knob: following})

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

    def pan(self, dw: int, db: int) -> "View":
        """Shift the grid (and the cursor with it) by whole quarters of its range."""
        (w0, w1), (b0, b1) = self.w_range, self.b_range
        shift_w, shift_b = dw * (w1 - w0) / PAN_STEPS, db * (b1 - b0) / PAN_STEPS
        return replace(self, w_range=(w0 + shift_w, w1 + shift_w), b_range=(b0 + shift_b, b1 + shift_b),
                       cursor=(self.cursor[0] + shift_w, self.cursor[1] + shift_b))

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
