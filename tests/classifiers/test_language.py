"""Language detection says so when it cannot tell, instead of guessing."""

from __future__ import annotations

import pytest

from classifiers.language import LanguageDetector, is_latin_script


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return LanguageDetector()


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("ugh, Acme moved the deadline again and nobody told us why, so the plan is off", "en"),
        ("los de Globex no saben ni leer el manual, otra vez el mismo ticket de siempre", "es"),
        ("die Leute von Acme haben schon wieder das Passwort vergessen und rufen jetzt an", "de"),
        ("клиент опять всё сломал и пишет в поддержку капслоком", "ru"),
        ("这个客户又改需求了，无语", "zh"),
        ("merci pour le ticket, je regarde ça demain matin avec l'équipe support", "fr"),
        ("obrigado pelo retorno, você é demais, vou testar hoje à tarde com o cliente", "pt"),
    ],
)
def test_detects_the_languages_of_the_corpus(
    detector: LanguageDetector, text: str, lang: str
) -> None:
    assert detector.detect([text]) == [lang]


@pytest.mark.parametrize(
    "text",
    [
        "lol",
        "ok",
        "sure",
        ":joy:",
        "+1",
        "12:30",
        "",
        "Initech renewal quote sent",
        "so over this VPN",
    ],
)
def test_short_latin_text_is_undetermined_not_guessed(
    detector: LanguageDetector, text: str
) -> None:
    assert detector.detect([text]) == [None]


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("los de Acme son idiotas", "es"),
        ("les gens d'Acme sont nuls", "fr"),
        ("die von Acme sind Idioten", "de"),
    ],
)
def test_short_text_made_of_another_languages_function_words_is_placed(
    detector: LanguageDetector, text: str, lang: str
) -> None:
    assert detector.detect([text]) == [lang]


def test_short_text_in_a_self_identifying_script_is_still_detected(
    detector: LanguageDetector,
) -> None:
    assert detector.detect(["无语"]) == ["zh"]
    assert detector.detect(["ппц"])[0] in ("ru", "uk", None)


def test_results_keep_input_order(detector: LanguageDetector) -> None:
    texts = [
        "ok",
        "клиент опять всё сломал и молчит",
        "the client is upset about the invoice again",
    ]
    assert detector.detect(texts) == [None, "ru", "en"]


def test_latin_script() -> None:
    assert is_latin_script("acme lol")
    assert is_latin_script("12:30 :)")
    assert not is_latin_script("这个客户又改需求了 lol")
