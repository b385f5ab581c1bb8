"""What the lab computes about a model or a run beyond training itself.

- ``landscape``: Pascanu et al.'s one-unit cliff over a (w, b) grid, descent paths
- ``jacobian``: products of per-step Jacobians against distance
- ``slices``: the validation loss along directions in weight space
- ``verdict``: what a run's record says about it, in sentences with numbers
"""
