"""Classify a stream of input lines (JSON Lines or plain text), in order, in batches."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from classifiers.model import MAX_CHARS, Prediction
from classifiers.text import prepare_text

# Lines read before a batch is classified; bounds memory whatever the input size.
READ_AHEAD = 512


class Predictor(Protocol):
    """What the stream needs of a classifier."""

    def predict_prepared(self, texts: list[str], *, batch_size: int = 32) -> list[Prediction]:
        """Classify prepared texts."""
        ...


@dataclass
class _Item:
    number: int
    id: Any
    text: str | None = None
    error: str | None = None


def _parse(number: int, raw: bytes, json_mode: bool) -> _Item:
    try:
        line = raw.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError as exc:
        return _Item(number, None, error=f"line {number}: not valid UTF-8 (byte {exc.start})")
    if not json_mode:
        return _Item(number, number, text=line)
    if not line.strip():
        return _Item(number, None, error=f"line {number}: empty line")
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        return _Item(number, None, error=f"line {number}: invalid JSON ({exc.msg})")
    if not isinstance(obj, dict):
        return _Item(number, None, error=f"line {number}: expected a JSON object")
    item_id = obj.get("id", number)
    if "text" not in obj:
        return _Item(number, item_id, error=f'line {number}: no "text" field')
    if not isinstance(obj["text"], str):
        return _Item(number, item_id, error=f'line {number}: "text" must be a string')
    return _Item(number, item_id, text=obj["text"])


def _looks_like_json(raw: bytes) -> bool:
    return raw.lstrip().startswith(b"{")


def classify_lines(
    lines: Iterable[bytes], predictor: Predictor, *, batch_size: int = 32
) -> Iterator[dict[str, Any]]:
    """Yield one result per input line, in order: a prediction or an `error`.

    The format is decided by the first non-blank line: a JSON object means JSON Lines
    (`{"id": …, "text": …}`), anything else means one plain-text message per line.
    """
    json_mode: bool | None = None
    pending: list[_Item] = []
    for number, raw in enumerate(lines, start=1):
        if json_mode is None:
            if not raw.strip():
                pending.append(_Item(number, number, error=f"line {number}: empty line"))
                continue
            json_mode = _looks_like_json(raw)
        pending.append(_parse(number, raw, json_mode))
        if len(pending) >= READ_AHEAD:
            yield from _flush(pending, predictor, batch_size)
            pending = []
    yield from _flush(pending, predictor, batch_size)


def _flush(items: list[_Item], predictor: Predictor, batch_size: int) -> Iterator[dict[str, Any]]:
    todo: list[tuple[_Item, str]] = []
    for item in items:
        if item.text is None:
            continue
        prepared = prepare_text(item.text[:MAX_CHARS])
        if not prepared.strip():
            item.error = f"line {item.number}: empty text"
        else:
            todo.append((item, prepared))
    predictions = predictor.predict_prepared([text for _, text in todo], batch_size=batch_size)
    by_line = {item.number: p for (item, _), p in zip(todo, predictions, strict=True)}
    for item in items:
        if item.error is not None:
            yield {"id": item.id, "error": item.error}
        else:
            yield {"id": item.id, **by_line[item.number].as_dict()}
