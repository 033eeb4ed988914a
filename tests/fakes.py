"""Stand-ins with the real interfaces, for tests that are not about the model."""

from __future__ import annotations

from classifiers.labels import LABELS
from classifiers.model import Prediction

# Words that decide the fake's label, checked in this order.
RULES = (
    ("idiot", "contempt"),
    ("morons", "contempt"),
    ("can't read", "contempt"),
    ("ugh", "frustration"),
    ("let's offer", "constructive"),
    ("thanks to", "positive"),
    ("renewal", "neutral"),
)


class FakeClassifier:
    """Label by keyword, with the real classifier's output types; counts its calls."""

    version = "fake-1"

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def label_for(self, text: str) -> str:
        lowered = text.lower()
        for word, label in RULES:
            if word in lowered:
                return label
        return "not_customer"

    def predict_prepared(self, texts: list[str], *, batch_size: int = 32) -> list[Prediction]:
        self.calls.append(list(texts))
        results = []
        for text in texts:
            label = self.label_for(text)
            scores = {name: (0.95 if name == label else 0.01) for name in LABELS}
            results.append(
                Prediction(
                    label=label,
                    scores=scores,
                    about_customer=label != "not_customer",
                    lang="en",
                    supported=True,
                    model_version=self.version,
                )
            )
        return results
