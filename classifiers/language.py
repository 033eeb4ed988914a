"""Offline language detection that admits when it cannot tell."""

from __future__ import annotations

import re
from functools import cached_property

# Languages the detector chooses among. More languages make short texts less reliable,
# so this is the set a multinational's Slack plausibly holds.
DETECTED = (
    "ENGLISH", "SPANISH", "GERMAN", "FRENCH", "PORTUGUESE", "ITALIAN", "DUTCH",
    "RUSSIAN", "UKRAINIAN", "POLISH", "TURKISH", "SWEDISH",
    "CHINESE", "JAPANESE", "KOREAN",
)  # fmt: skip

_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)
_LATIN = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿĀ-ſ]")
# Short Latin-script messages are where detectors fail (company names and jargon fool the
# letter statistics: "Initech renewal quote sent" reads as German). Below this many letters
# a language is named only when the detector is very sure; otherwise it is left unknown.
SHORT_LATIN_LETTERS = 60
SHORT_MIN_CONFIDENCE = 0.95
# Longer texts: the best language must beat the runner-up by this much.
MIN_MARGIN = 0.1
MIN_LATIN_LETTERS = 12


class LanguageDetector:
    """Detect a text's language with lingua; return None rather than guess."""

    @cached_property
    def _detector(self):  # type: ignore[no-untyped-def]
        from lingua import Language, LanguageDetectorBuilder

        languages = [getattr(Language, name) for name in DETECTED]
        # Low-accuracy mode keeps memory at tens of megabytes instead of hundreds; the
        # confidence rules below make up for it on short texts.
        return LanguageDetectorBuilder.from_languages(*languages).with_low_accuracy_mode().build()

    def detect(self, texts: list[str]) -> list[str | None]:
        """Return an ISO 639-1 code per text, or None when the text is too short to tell."""
        results: list[str | None] = [None] * len(texts)
        todo = [(i, _latin_letters(texts[i])) for i in range(len(texts))]
        todo = [(i, latin) for i, latin in todo if latin is not None]
        if not todo:
            return results
        found = self._detector.compute_language_confidence_values_in_parallel(
            [texts[i] for i, _ in todo]
        )
        for (i, latin), values in zip(todo, found, strict=True):
            if not values:
                continue
            best = values[0]
            runner_up = values[1].value if len(values) > 1 else 0.0
            if latin and latin < SHORT_LATIN_LETTERS and best.value < SHORT_MIN_CONFIDENCE:
                continue
            if best.value - runner_up < MIN_MARGIN:
                continue
            results[i] = best.language.iso_code_639_1.name.lower()
        return results


def _latin_letters(text: str) -> int | None:
    """Return the number of Latin letters (0 for other scripts), or None if too short."""
    letters = _LETTERS.findall(text)
    if not letters:
        return None
    latin = sum(1 for letter in letters if _LATIN.match(letter))
    if latin < len(letters) / 2:
        # Cyrillic, Han, kana and hangul identify themselves in a few characters.
        return 0 if len(letters) >= 2 else None
    if latin < MIN_LATIN_LETTERS or len(text.split()) < 3:
        return None
    return latin


def is_latin_script(text: str) -> bool:
    """Tell whether most letters of a text are Latin (or it has none)."""
    letters = _LETTERS.findall(text)
    if not letters:
        return True
    return sum(1 for letter in letters if _LATIN.match(letter)) >= len(letters) / 2
