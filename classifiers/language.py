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


# Short texts the detector cannot place are often plain enough to place by their
# function words: "los de Acme son idiotas" is Spanish however few letters it has.
# Words shared by several languages count for each; English ones count against all.
_FUNCTION_WORDS = {
    "en": "the a an and or but is are was were be been it its this that these those they "
    "them their there he she we you i to of in on at for with from by not no do does did "
    "have has had will would can can't cant don't dont isn't it's i'm we're they're what "
    "why how who when just so if than then about as my our your",
    "es": "el la los las un una unos unas y o pero es son está están fue ser que de del en "
    "con por para no se su sus lo le les al como más muy ya",
    "fr": "le la les un une des et ou mais est sont été être que qui de du en avec pour pas "
    "ne se sa son ses ce cette ces au aux comme plus très je nous vous ils elles",
    "de": "der die das den dem des ein eine einen und oder aber ist sind war sein dass nicht "
    "mit von zu für auf im ich wir sie es auch noch schon nur wie",
    "pt": "o a os as um uma e ou mas é são foi ser que de do da dos das em com por para não "
    "se seu sua como mais muito já eu nós eles",
    "it": "il lo gli le un una e o ma è sono che di del della in con per non si suo come più "
    "molto già io noi loro",
    "nl": "de het een en of maar is zijn was dat niet met van voor op ik wij zij ook",
}
_WORDS = {lang: frozenset(words.split()) for lang, words in _FUNCTION_WORDS.items()}
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)
# A short text is placed by function words only on at least this many of them.
MIN_FUNCTION_WORDS = 2


def by_function_words(text: str, ranking: list[str]) -> str | None:
    """Return the non-English language whose function words a short text is made of.

    None unless some language has at least MIN_FUNCTION_WORDS of them and more than
    English has; ties go to the language the detector ranked higher.
    """
    words = [w.lower() for w in _WORD.findall(text)]
    english = _WORDS["en"]
    counts = {
        lang: sum(1 for w in words if w in vocabulary and w not in english)
        for lang, vocabulary in _WORDS.items()
        if lang != "en"
    }
    best = max(counts.values())
    if best < MIN_FUNCTION_WORDS or best <= sum(1 for w in words if w in english):
        return None
    tied = [lang for lang, count in counts.items() if count == best]
    return min(tied, key=lambda lang: ranking.index(lang) if lang in ranking else len(ranking))


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
            sure = best.value - runner_up >= MIN_MARGIN and not (
                latin and latin < SHORT_LATIN_LETTERS and best.value < SHORT_MIN_CONFIDENCE
            )
            if sure:
                results[i] = best.language.iso_code_639_1.name.lower()
            elif latin:
                ranking = [v.language.iso_code_639_1.name.lower() for v in values]
                results[i] = by_function_words(texts[i], ranking)
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
