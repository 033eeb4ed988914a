"""Training is repeatable: the same seed rebuilds the same head, and the result loads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from classifiers.corpus import load_examples
from classifiers.lora import LoraConfig
from classifiers.model import ToneClassifier
from classifiers.training import TrainConfig, swap_companies, train

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A slice of the real corpus, every split and label present."""
    path = tmp_path_factory.mktemp("corpus") / "corpus.jsonl"
    picked = []
    for split, per_label in (("train", 12), ("dev", 4), ("test", 4)):
        seen: dict[str, int] = {}
        for example in load_examples(split=split):
            if seen.get(example.label, 0) < per_label:
                seen[example.label] = seen.get(example.label, 0) + 1
                picked.append(example)
    path.write_text(
        "".join(json.dumps(e.__dict__, ensure_ascii=False) + "\n" for e in picked), encoding="utf-8"
    )
    return path


def _train(corpus: Path, out: Path, seed: int) -> dict[str, torch.Tensor]:
    config = TrainConfig(
        corpus=corpus, out=out, seed=seed, epochs=1, lora=LoraConfig(first_layer=5), threads=1
    )
    train(config)
    return load_file(str(out))


def test_same_seed_rebuilds_the_same_head(small_corpus: Path, tmp_path: Path) -> None:
    first = _train(small_corpus, tmp_path / "a.safetensors", seed=7)
    second = _train(small_corpus, tmp_path / "b.safetensors", seed=7)
    other = _train(small_corpus, tmp_path / "c.safetensors", seed=8)
    assert first.keys() == second.keys()
    assert any(key.startswith("lora.5.") for key in first)
    assert not any(key.startswith("lora.4.") for key in first)
    for key in first:
        torch.testing.assert_close(first[key], second[key], rtol=0, atol=1e-6)
    assert any(not torch.allclose(first[k], other[k]) for k in first)


def test_a_trained_head_loads_and_classifies(small_corpus: Path, tmp_path: Path) -> None:
    _train(small_corpus, tmp_path / "head.safetensors", seed=7)
    classifier = ToneClassifier(head=tmp_path / "head.safetensors")
    [prediction] = classifier.predict("Acme renewal call moved to thursday")
    assert prediction.label in classifier.labels
    assert "test" in classifier.info.figures


def test_company_names_are_swapped_for_unseen_ones() -> None:
    import random

    text = "Acme and Marlow &amp; Finch again"
    swapped = swap_companies(text, random.Random(1))
    assert "Acme" not in swapped and "Marlow" not in swapped
    assert swapped.endswith(" again")
