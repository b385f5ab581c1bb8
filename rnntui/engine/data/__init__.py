"""Real data sets; no network access happens on import."""

from .encode import ImdbData
from .errors import DataUnavailable
from .imdb import load_imdb

__all__ = ["DataUnavailable", "ImdbData", "load_imdb"]
