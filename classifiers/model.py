"""The tone classifier: one object, loaded once, predicting labels for lists of messages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from classifiers.encoder import MAX_WINDOW, Encoder, resolve_encoder
from classifiers.head import Head, HeadInfo, head_path_for, load_head
from classifiers.labels import CONTEMPT, LABELS, is_about_customer
from classifiers.language import LanguageDetector, is_latin_script
from classifiers.lora import LoraConfig
from classifiers.text import prepare_text

# Messages are cut to this many characters before anything else; Slack's own limit is 40,000.
MAX_CHARS = 200_000


@dataclass(frozen=True)
class Prediction:
    """The classifier's verdict on one message."""

    label: str
    scores: dict[str, float]
    about_customer: bool
    lang: str | None
    # False when the model is not trusted in this language; such messages are not counted.
    supported: bool
    model_version: str

    @property
    def contempt(self) -> float:
        """Return the probability of contempt."""
        return self.scores.get(CONTEMPT, 0.0)

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON shape of `undertone classify`."""
        return {
            "label": self.label,
            "scores": self.scores,
            "about_customer": self.about_customer,
            "lang": self.lang,
            "supported": self.supported,
            "model_version": self.model_version,
        }


class EmptyTextError(ValueError):
    """A message has nothing to classify once its markup is removed."""


class ToneClassifier:
    """Encoder plus trained head. Load once per process and call `predict` with batches."""

    def __init__(
        self,
        encoder: str = "",
        *,
        head: str | Path | None = None,
        precision: str = "fp32",
        threads: int | None = None,
    ) -> None:
        name, _ = resolve_encoder(encoder)
        # The head comes first: a missing one is reported before the slow encoder load.
        loaded = load_head(Path(head) if head else head_path_for(encoder, name), name)
        scale = LoraConfig(**loaded.info.lora).scale if loaded.info.lora else 1.0
        self.encoder = Encoder(
            encoder,
            precision=precision,
            threads=threads,
            adapters=loaded.adapters,
            adapter_scale=scale,
            # Read text in windows as long as the ones the head was trained on.
            window=int(loaded.info.training.get("max_tokens", MAX_WINDOW)),
        )
        self.head = loaded.head
        self.info = loaded.info
        self.labels = loaded.info.labels
        precision = self.encoder.precision
        self.version = f"{name}+{loaded.version}" + ("" if precision == "fp32" else f"-{precision}")
        self.supported_languages = frozenset(loaded.info.supported_languages)
        self.languages = LanguageDetector()

    def predict(self, texts: str | Sequence[str], *, batch_size: int = 32) -> list[Prediction]:
        """Classify raw Slack messages (mrkdwn); raise EmptyTextError for an empty one."""
        batch = [texts] if isinstance(texts, str) else list(texts)
        prepared = [prepare_text(text[:MAX_CHARS]) for text in batch]
        for i, text in enumerate(prepared):
            if not text.strip():
                raise EmptyTextError(f"message {i} is empty once formatting is removed")
        return self.predict_prepared(prepared, batch_size=batch_size)

    def predict_prepared(self, texts: list[str], *, batch_size: int = 32) -> list[Prediction]:
        """Classify texts that already went through `prepare_text`."""
        if not texts:
            return []
        probabilities = self.probabilities(texts, batch_size=batch_size)
        languages = self.languages.detect(texts)
        results = []
        for text, row, lang in zip(texts, probabilities, languages, strict=True):
            label = self.labels[int(row.argmax())]
            scores = {name: round(float(p), 4) for name, p in zip(self.labels, row, strict=True)}
            results.append(
                Prediction(
                    label=label,
                    scores=scores,
                    about_customer=is_about_customer(label),
                    lang=lang,
                    supported=self.is_supported(lang, text),
                    model_version=self.version,
                )
            )
        return results

    def is_supported(self, lang: str | None, text: str) -> bool:
        """Tell whether the model's label can be trusted for a text in this language."""
        if lang is None:
            # Too short to tell: trust it only in the script the model was measured on.
            return "en" in self.supported_languages and is_latin_script(text)
        return lang in self.supported_languages

    @torch.inference_mode()
    def probabilities(self, texts: list[str], *, batch_size: int = 32) -> NDArray[np.float32]:
        """Return calibrated label probabilities per text, combining the chunks of long ones."""
        encoded = self.encoder.encode(texts, batch_size=batch_size)
        logits = self.head(torch.from_numpy(encoded.features))
        chunk_probs = calibrated(logits, self.info).numpy()
        if len(chunk_probs) == len(texts):
            return chunk_probs
        return combine_chunks(chunk_probs, encoded.text_index, encoded.chunk_tokens, len(texts))


def calibrated(logits: torch.Tensor, info: HeadInfo) -> torch.Tensor:
    """Turn head logits into the probabilities the product reports and decides on.

    The contempt logit is lowered by the head's fitted margin and everything is divided by
    the fitted temperature, so the argmax is the label and the scores are calibrated.
    """
    shift = torch.zeros(logits.shape[-1])
    shift[info.labels.index(CONTEMPT)] = info.contempt_margin
    return torch.softmax((logits - shift) / info.temperature, dim=-1)


def combine_chunks(
    chunk_probs: NDArray[np.float32],
    text_index: NDArray[np.int64],
    chunk_tokens: NDArray[np.int64],
    n_texts: int,
) -> NDArray[np.float32]:
    """Combine chunk probabilities into one row per text.

    A long message is as contemptuous as its most contemptuous part: if any chunk's label
    is contempt, that chunk speaks for the message. Otherwise chunks are averaged, weighted
    by their length.
    """
    contempt = LABELS.index(CONTEMPT)
    out = np.zeros((n_texts, chunk_probs.shape[1]), dtype=np.float32)
    for i in range(n_texts):
        rows = np.flatnonzero(text_index == i)
        probs = chunk_probs[rows]
        if len(rows) == 1:
            out[i] = probs[0]
            continue
        worst = int(probs[:, contempt].argmax())
        if int(probs[worst].argmax()) == contempt:
            out[i] = probs[worst]
        else:
            weights = chunk_tokens[rows].astype(np.float32)
            out[i] = (probs * weights[:, None]).sum(0) / weights.sum()
    return out


@lru_cache(maxsize=4)
def load_classifier(
    encoder: str = "", head: str = "", precision: str = "fp32", threads: int | None = None
) -> ToneClassifier:
    """Return the process's classifier for these settings, loading it on first use."""
    return ToneClassifier(encoder, head=head or None, precision=precision, threads=threads)


__all__ = ["EmptyTextError", "Head", "HeadInfo", "Prediction", "ToneClassifier", "load_classifier"]
