"""What can be swept and the documented grids: plain constants, so ``rnntui --help`` loads no torch."""

from __future__ import annotations

# E4's grid of sequence lengths (Bengio et al. 1994, as replicated in 2018): 25 values.
LATCHING_LENGTHS = (2, 5, 8, 10, 15, 20, 25, 30, *range(40, 201, 10))
LATCHING_CELLS = ("rnn_tanh", "lstm")
LATCHING_REPEATS = 30
# Documented sweeps per task: the grid of sequence lengths and the cells compared.
DEFAULT_GRIDS = {"latching": (LATCHING_LENGTHS, LATCHING_CELLS)}
SWEEPABLE_FIELDS = ("seq_len", "lr", "hidden_size", "clip_threshold", "init")
BACKENDS = ("auto", "kernel", "torch")
