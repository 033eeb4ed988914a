"""Figures that say how good the classifier is, and how much better than plain sentiment."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from classifiers.labels import CONSTRUCTIVE, CONTEMPT, LABELS, NOT_CUSTOMER

# VADER calls a text negative below this compound score (its authors' threshold).
VADER_NEGATIVE = -0.05


@dataclass
class LabelFigures:
    """Precision, recall and F1 of one label."""

    precision: float
    recall: float
    f1: float
    support: int


@dataclass
class Figures:
    """Everything `undertone eval` reports for one set of predictions."""

    n: int
    accuracy: float
    macro_f1: float
    per_label: dict[str, LabelFigures]
    confusion: dict[str, dict[str, int]]
    contempt_f1: float
    # Share of truly constructive messages the model called contempt: the costly mistake.
    constructive_as_contempt: float
    about_customer_accuracy: float
    per_language: dict[str, dict[str, float]] = field(default_factory=dict)

    def headline(self) -> dict[str, float]:
        """Return the figures the targets are stated in."""
        return {
            "n": self.n,
            "accuracy": round(self.accuracy, 4),
            "macro_f1": round(self.macro_f1, 4),
            "contempt_f1": round(self.contempt_f1, 4),
            "constructive_as_contempt": round(self.constructive_as_contempt, 4),
            "about_customer_accuracy": round(self.about_customer_accuracy, 4),
        }


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def figures(
    gold: Sequence[str], predicted: Sequence[str], langs: Sequence[str] | None = None
) -> Figures:
    """Compute per-label, headline and (if languages are given) per-language figures."""
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted differ in length")
    confusion: dict[str, dict[str, int]] = {g: dict.fromkeys(LABELS, 0) for g in LABELS}
    for g, p in zip(gold, predicted, strict=True):
        confusion[g][p] += 1
    per_label = {}
    for label in LABELS:
        tp = confusion[label][label]
        fp = sum(confusion[g][label] for g in LABELS if g != label)
        fn = sum(confusion[label][p] for p in LABELS if p != label)
        precision, recall, f1 = _prf(tp, fp, fn)
        per_label[label] = LabelFigures(precision, recall, f1, tp + fn)
    n = len(gold)
    present = [f.f1 for f in per_label.values() if f.support]
    constructive = sum(confusion[CONSTRUCTIVE].values())
    about_right = sum(
        (g == NOT_CUSTOMER) == (p == NOT_CUSTOMER) for g, p in zip(gold, predicted, strict=True)
    )
    result = Figures(
        n=n,
        accuracy=sum(g == p for g, p in zip(gold, predicted, strict=True)) / n if n else 0.0,
        macro_f1=sum(present) / len(present) if present else 0.0,
        per_label=per_label,
        confusion=confusion,
        contempt_f1=per_label[CONTEMPT].f1,
        constructive_as_contempt=(
            confusion[CONSTRUCTIVE][CONTEMPT] / constructive if constructive else 0.0
        ),
        about_customer_accuracy=about_right / n if n else 0.0,
    )
    if langs is not None:
        by_lang: dict[str, list[int]] = defaultdict(list)
        for i, lang in enumerate(langs):
            by_lang[lang].append(i)
        for lang, rows in sorted(by_lang.items()):
            sub = figures([gold[i] for i in rows], [predicted[i] for i in rows])
            result.per_language[lang] = sub.headline()
    return result


@dataclass
class BaselineFigures:
    """How a 'negative sentiment means contempt' rule does on the same messages."""

    n: int
    contempt_precision: float
    contempt_recall: float
    contempt_f1: float
    constructive_as_contempt: float
    flagged_share_by_label: dict[str, float]

    def headline(self) -> dict[str, float]:
        """Return the comparable figures."""
        return {
            "contempt_f1": round(self.contempt_f1, 4),
            "contempt_precision": round(self.contempt_precision, 4),
            "contempt_recall": round(self.contempt_recall, 4),
            "constructive_as_contempt": round(self.constructive_as_contempt, 4),
        }


def vader_baseline(texts: Sequence[str], gold: Sequence[str]) -> BaselineFigures:
    """Flag every message VADER finds negative as contempt, and score that rule."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    flagged = [analyzer.polarity_scores(t)["compound"] < VADER_NEGATIVE for t in texts]
    tp = sum(f and g == CONTEMPT for f, g in zip(flagged, gold, strict=True))
    fp = sum(f and g != CONTEMPT for f, g in zip(flagged, gold, strict=True))
    fn = sum((not f) and g == CONTEMPT for f, g in zip(flagged, gold, strict=True))
    precision, recall, f1 = _prf(tp, fp, fn)
    totals = Counter(gold)
    hits = Counter(g for f, g in zip(flagged, gold, strict=True) if f)
    share = {label: hits[label] / totals[label] for label in LABELS if totals[label]}
    return BaselineFigures(
        n=len(gold),
        contempt_precision=precision,
        contempt_recall=recall,
        contempt_f1=f1,
        constructive_as_contempt=share.get(CONSTRUCTIVE, 0.0),
        flagged_share_by_label=share,
    )


def as_json(fig: Figures) -> dict[str, Any]:
    """Return the figures as plain JSON-able data."""
    return {
        **fig.headline(),
        "per_label": {
            label: {
                "precision": round(v.precision, 4),
                "recall": round(v.recall, 4),
                "f1": round(v.f1, 4),
                "support": v.support,
            }
            for label, v in fig.per_label.items()
        },
        "confusion": fig.confusion,
        "per_language": fig.per_language,
    }
