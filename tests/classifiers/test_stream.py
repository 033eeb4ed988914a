"""`classify` input handling: every line gets a prediction or an error, in order."""

from __future__ import annotations

import json

from classifiers.labels import LABELS
from classifiers.model import Prediction
from classifiers.stream import READ_AHEAD, classify_lines


class EchoPredictor:
    """Labels everything neutral and remembers what it was asked."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def predict_prepared(self, texts: list[str], *, batch_size: int = 32) -> list[Prediction]:
        self.batches.append(list(texts))
        scores = dict.fromkeys(LABELS, 0.0) | {"neutral": 1.0}
        return [Prediction("neutral", scores, True, "en", True, "echo") for _ in texts]


def lines(*items: str | bytes) -> list[bytes]:
    return [item if isinstance(item, bytes) else item.encode() + b"\n" for item in items]


def run(*items: str | bytes) -> tuple[list[dict], EchoPredictor]:
    predictor = EchoPredictor()
    return list(classify_lines(lines(*items), predictor)), predictor


def test_json_lines_keep_their_ids_and_order() -> None:
    results, _ = run('{"id": "a", "text": "acme renewal"}', '{"id": 7, "text": "globex call"}')
    assert [r["id"] for r in results] == ["a", 7]
    assert all(r["label"] == "neutral" and r["about_customer"] is True for r in results)
    assert set(results[0]) >= {"id", "label", "scores", "about_customer", "lang"}


def test_plain_text_lines_are_numbered() -> None:
    results, predictor = run("acme renewal", "globex call")
    assert [r["id"] for r in results] == [1, 2]
    assert predictor.batches == [["acme renewal", "globex call"]]


def test_bad_lines_get_an_error_and_the_rest_are_still_classified() -> None:
    results, predictor = run(
        '{"id": 1, "text": "fine"}',
        '{"id": 2, "text": ',
        '{"id": 3}',
        '{"id": 4, "text": 42}',
        '{"id": 5, "text": "   "}',
        b'{"id": 6, "text": "caf\xe9"}\n',
        '{"id": 7, "text": ":joy: :joy:"}',
        '["not", "an", "object"]',
        '{"id": 9, "text": "' + "acme " * 20_000 + '"}',
    )
    by_id = {i + 1: r for i, r in enumerate(results)}
    assert len(results) == 9
    assert by_id[1]["label"] == "neutral"
    assert by_id[2]["error"].startswith("line 2: invalid JSON")
    assert by_id[3]["error"] == 'line 3: no "text" field'
    assert by_id[3]["id"] == 3
    assert by_id[4]["error"] == 'line 4: "text" must be a string'
    assert by_id[5]["error"] == "line 5: empty text"
    assert by_id[6]["error"].startswith("line 6: not valid UTF-8")
    assert by_id[7]["label"] == "neutral"  # emoji-only text is read as words
    assert by_id[8]["error"] == "line 8: expected a JSON object"
    assert by_id[9]["label"] == "neutral"  # 100,000 characters still get a verdict
    assert sum("error" in r for r in results) == 6
    assert predictor.batches[0][1] == "joy joy"


def test_input_is_streamed_in_bounded_batches() -> None:
    count = READ_AHEAD * 2 + 5
    predictor = EchoPredictor()
    stream = (f'{{"id": {i}, "text": "message {i}"}}\n'.encode() for i in range(count))
    results = classify_lines(stream, predictor)
    first = next(results)
    assert first["id"] == 0
    assert len(predictor.batches) == 1 and len(predictor.batches[0]) == READ_AHEAD
    rest = list(results)
    assert len(rest) + 1 == count
    assert max(len(batch) for batch in predictor.batches) == READ_AHEAD


def test_output_is_json_serialisable() -> None:
    results, _ = run('{"id": {"nested": true}, "text": "ok then"}')
    assert json.loads(json.dumps(results[0]))["id"] == {"nested": True}
