"""Long messages are read in overlapping windows, and contempt anywhere in them counts."""

from __future__ import annotations

import numpy as np
import pytest

from classifiers.labels import CONTEMPT, LABELS, NEUTRAL
from classifiers.model import combine_chunks


def _row(label: str, p: float) -> list[float]:
    rest = (1 - p) / (len(LABELS) - 1)
    return [p if name == label else rest for name in LABELS]


def test_a_contemptuous_chunk_speaks_for_the_whole_message() -> None:
    probs = np.array(
        [_row(NEUTRAL, 0.9), _row(CONTEMPT, 0.8), _row(NEUTRAL, 0.9)], dtype=np.float32
    )
    combined = combine_chunks(probs, np.array([0, 0, 0]), np.array([256, 256, 256]), 1)
    assert LABELS[int(combined[0].argmax())] == CONTEMPT
    assert combined[0][LABELS.index(CONTEMPT)] == pytest.approx(0.8)


def test_otherwise_chunks_are_averaged_by_length() -> None:
    probs = np.array([_row(NEUTRAL, 0.9), _row("constructive", 0.6)], dtype=np.float32)
    combined = combine_chunks(probs, np.array([0, 0]), np.array([300, 100]), 1)
    assert LABELS[int(combined[0].argmax())] == NEUTRAL
    assert combined[0].sum() == pytest.approx(1.0)


def test_texts_keep_their_own_rows() -> None:
    probs = np.array(
        [_row(NEUTRAL, 0.9), _row(CONTEMPT, 0.9), _row(NEUTRAL, 0.7)], dtype=np.float32
    )
    combined = combine_chunks(probs, np.array([0, 1, 1]), np.array([10, 256, 40]), 2)
    assert [LABELS[int(r.argmax())] for r in combined] == [NEUTRAL, CONTEMPT]


@pytest.fixture(scope="module")
def tokenizer_only_encoder():  # type: ignore[no-untyped-def]
    from classifiers.encoder import Encoder

    return Encoder(precision="fp32")


def test_long_text_is_split_into_overlapping_windows(tokenizer_only_encoder) -> None:  # type: ignore[no-untyped-def]
    from classifiers.encoder import CHUNK_STRIDE, MAX_CHUNKS

    encoder = tokenizer_only_encoder
    words = " ".join(f"word{i}" for i in range(600))
    ids, mapping = encoder.tokenize(["short one", words])
    assert mapping[0] == 0 and mapping.count(1) >= 3
    windows = [chunk for chunk, source in zip(ids, mapping, strict=True) if source == 1]
    assert all(len(w) <= encoder.window for w in windows)
    # Consecutive windows overlap, so a sentence on a boundary is read whole once.
    first, second = windows[0][1:-1], windows[1][1:-1]
    assert first[-CHUNK_STRIDE:] == second[:CHUNK_STRIDE]
    huge = "acme " * 100_000
    ids, mapping = encoder.tokenize([huge])
    assert len(ids) == MAX_CHUNKS
