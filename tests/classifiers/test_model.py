"""The real classifier: the committed head holds its recorded figures and the contract."""

from __future__ import annotations

import pytest

from classifiers import encoder as encoder_module
from classifiers.corpus import load_examples
from classifiers.encoder import resolve_precision
from classifiers.errors import ModelError
from classifiers.evaluation import figures
from classifiers.labels import LABELS
from classifiers.model import EmptyTextError, ToneClassifier

pytestmark = pytest.mark.model

# How far a re-measured figure may fall below the recorded one before the test fails.
# The recorded figures come from this same code; only float noise across CPUs may differ.
TOLERANCE = 0.01


@pytest.fixture(scope="module")
def classifier() -> ToneClassifier:
    return ToneClassifier()


@pytest.fixture(scope="module")
def test_split_figures(classifier: ToneClassifier):  # type: ignore[no-untyped-def]
    examples = load_examples(split="test")
    predictions = classifier.predict([e.text for e in examples], batch_size=64)
    return figures(
        [e.label for e in examples], [p.label for p in predictions], [e.lang for e in examples]
    )


def test_committed_head_reproduces_its_recorded_test_figures(
    classifier: ToneClassifier, test_split_figures
) -> None:  # type: ignore[no-untyped-def]
    recorded = classifier.info.figures["test"]
    measured = test_split_figures.headline()
    for name in ("accuracy", "macro_f1", "contempt_f1", "about_customer_accuracy"):
        assert measured[name] >= recorded[name] - TOLERANCE, (name, measured, recorded)
    assert measured["constructive_as_contempt"] <= recorded["constructive_as_contempt"] + TOLERANCE


def test_targets_on_the_test_split(test_split_figures) -> None:  # type: ignore[no-untyped-def]
    english = test_split_figures.per_language["en"]
    assert english["contempt_f1"] >= 0.85
    assert test_split_figures.contempt_f1 >= 0.75
    assert test_split_figures.constructive_as_contempt <= 0.05
    assert test_split_figures.about_customer_accuracy >= 0.90


def test_scores_are_probabilities_over_the_six_labels(classifier: ToneClassifier) -> None:
    [prediction] = classifier.predict("Acme's people can't read, lol")
    assert set(prediction.scores) == set(LABELS)
    assert sum(prediction.scores.values()) == pytest.approx(1.0, abs=1e-3)
    assert prediction.label == max(prediction.scores, key=prediction.scores.get)
    assert prediction.model_version.startswith("all-MiniLM-L6-v2+")


def test_blunt_criticism_is_not_contempt_but_ridicule_is(classifier: ToneClassifier) -> None:
    healthy, sneering = classifier.predict(
        [
            "Acme keeps misusing the import, let's offer them training",
            "Acme's people can't read, lol. absolute clowns :clown_face:",
        ]
    )
    assert healthy.label == "constructive"
    assert sneering.label == "contempt"
    assert sneering.contempt > healthy.contempt


def test_contempt_in_the_middle_of_a_long_message_is_not_lost(classifier: ToneClassifier) -> None:
    filler = (
        "Status for the Globex rollout: the data import finished overnight, the SSO "
        "configuration is in review and the training calendar is booked for next week. "
    )
    sneer = "honestly their admins are clueless morons who can't read a two-line email lol. "
    message = filler * 12 + sneer + filler * 12
    assert len(classifier.encoder.tokenize([message])[0]) > 2
    [prediction] = classifier.predict(message)
    assert prediction.label == "contempt"


def test_unsupported_languages_say_so(classifier: ToneClassifier) -> None:
    [chinese] = classifier.predict("这个客户的管理员连邮件都看不懂，真是一群笨蛋")
    assert chinese.lang == "zh"
    assert chinese.supported is ("zh" in classifier.supported_languages)
    [english] = classifier.predict(
        "the Acme admins still haven't reset the SSO certificate, so nobody on their side "
        "can log in until they do it"
    )
    assert english.lang == "en" and english.supported
    # Too short to tell: no language is claimed, and Latin script is scored as trained.
    [short] = classifier.predict("Initech renewal quote sent")
    assert short.lang is None and short.supported
    # Short, but plainly Spanish, which the model was not measured in: not scored.
    [spanish] = classifier.predict("los de Acme son idiotas")
    assert spanish.lang == "es" and spanish.supported is ("es" in classifier.supported_languages)


def test_empty_text_is_refused(classifier: ToneClassifier) -> None:
    with pytest.raises(EmptyTextError):
        classifier.predict(["fine", "   "])


def test_bf16_gives_the_fp32_label_on_99_percent_of_the_test_split(
    classifier: ToneClassifier,
) -> None:
    bf16 = ToneClassifier(precision="bf16")
    texts = [e.text for e in load_examples(split="test")]
    reference = [p.label for p in classifier.predict(texts, batch_size=64)]
    labels = [p.label for p in bf16.predict(texts, batch_size=64)]
    agreement = sum(a == b for a, b in zip(labels, reference, strict=True)) / len(texts)
    assert agreement >= 0.99
    assert bf16.version == classifier.version + "-bf16"


def test_auto_precision_takes_bf16_only_where_the_cpu_has_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(encoder_module, "native_bf16", lambda: False)
    assert resolve_precision("auto") == "fp32"
    monkeypatch.setattr(encoder_module, "native_bf16", lambda: True)
    assert resolve_precision("auto") == "bf16"
    assert resolve_precision("int8") == "int8"
    with pytest.raises(ModelError, match="unknown precision 'fp16'"):
        resolve_precision("fp16")
