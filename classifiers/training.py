"""Train the classifier on the labelled corpus.

The default, which rebuilds the committed head, fine-tunes the encoder with low-rank
adapters and trains the head on top, in a few minutes on two CPU cores. `finetune=True`
trains every encoder weight instead and writes a whole new encoder folder, for people with
more data or a GPU.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from classifiers.corpus import COMPANIES, CORPUS, Example, load_examples
from classifiers.encoder import mean_pool, resolve_encoder
from classifiers.errors import ModelError
from classifiers.evaluation import Figures, figures
from classifiers.head import Head, HeadInfo, head_path_for, save_head
from classifiers.labels import CONSTRUCTIVE, CONTEMPT, LABELS
from classifiers.lora import LoraConfig, adapter_state, add_adapters
from classifiers.text import prepare_text

# Names used only to vary training text, so the model learns tone, not company names.
AUGMENT_COMPANIES = (
    "Fabrikam", "Wingtip Toys", "Litware", "Proseware", "Adatum", "Lucerne Publishing",
    "Coho Winery", "Tailspin Toys", "Fourth Coffee", "Trey Research", "Margie's Travel",
    "Alpine Ski House", "Blue Yonder Airlines", "Humongous Insurance", "Woodgrove Bank",
    "Wide World Importers", "Southridge Video", "Nod Publishers", "Datum Corp", "Northgate",
)  # fmt: skip
_COMPANY = re.compile(
    "|".join(re.escape(c.replace("&", "&amp;")) + "|" + re.escape(c) for c in COMPANIES)
)

# A language counts as supported when the dev split shows the model works in it.
SUPPORT_MIN_EXAMPLES = 15
SUPPORT_MIN_CONTEMPT_F1 = 0.7
SUPPORT_MIN_ACCURACY = 0.7
SUPPORT_MIN_ABOUT_CUSTOMER = 0.85

Progress = Callable[[str], None]


@dataclass
class TrainConfig:
    """How to train; the defaults rebuild the committed head."""

    encoder: str = ""
    corpus: Path = CORPUS
    out: Path | None = None
    seed: int = 13
    epochs: int = 5
    batch_size: int = 32
    max_tokens: int = 96
    learning_rate: float = 1e-3
    head_learning_rate: float = 2e-3
    weight_decay: float = 1e-2
    label_smoothing: float = 0.05
    hidden: int = 256
    # Adapters on layers 2-5: the bottom two layers stay as pretrained, which trains a third
    # faster than adapting all six at no measurable loss on the dev split.
    lora: LoraConfig = field(default_factory=lambda: LoraConfig(first_layer=2))
    finetune: bool = False
    augment: bool = True
    # The contempt margin is fitted so at most this share of dev constructive messages
    # is called contempt.
    max_constructive_as_contempt: float = 0.04
    threads: int | None = None


@dataclass
class TrainResult:
    """What training produced and how well it does."""

    path: Path
    version: str
    info: HeadInfo
    dev: Figures
    test: Figures
    seconds: float


def seed_everything(seed: int) -> None:
    """Make a run repeatable."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def swap_companies(text: str, rng: random.Random) -> str:
    """Replace known client names with unseen ones, so no name predicts a label."""
    return _COMPANY.sub(lambda _: rng.choice(AUGMENT_COMPANIES), text)


def _batches(lengths: list[int], size: int, rng: random.Random | None) -> Iterator[list[int]]:
    """Yield index batches of similar length (little padding), shuffled when training."""
    order = list(range(len(lengths)))
    if rng is not None:
        rng.shuffle(order)
    pool = size * 50
    batches = []
    for start in range(0, len(order), pool):
        chunk = sorted(order[start : start + pool], key=lambda i: lengths[i])
        batches += [chunk[i : i + size] for i in range(0, len(chunk), size)]
    if rng is not None:
        rng.shuffle(batches)
    yield from batches


class _Model(nn.Module):
    """Encoder, mean pooling and head, as trained end to end."""

    def __init__(self, encoder: nn.Module, head: Head) -> None:
        super().__init__()
        self.encoder = encoder
        self.head = head

    def forward(self, input_ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        state = self.encoder(input_ids=input_ids, attention_mask=mask).last_hidden_state
        logits: torch.Tensor = self.head(mean_pool(state, mask))
        return logits


def _tensors(tokenizer: Any, texts: list[str], max_tokens: int) -> tuple[torch.Tensor, ...]:
    batch = tokenizer(
        texts, padding=True, truncation=True, max_length=max_tokens, return_tensors="pt"
    )
    return batch["input_ids"], batch["attention_mask"]


def _logits(model: _Model, tokenizer: Any, texts: list[str], config: TrainConfig) -> torch.Tensor:
    model.eval()
    lengths = [len(t) for t in texts]
    out = torch.zeros(len(texts), len(LABELS))
    with torch.inference_mode():
        for rows in _batches(lengths, 64, None):
            ids, mask = _tensors(tokenizer, [texts[i] for i in rows], config.max_tokens)
            out[rows] = model(ids, mask)
    return out


def _targets(examples: list[Example]) -> torch.Tensor:
    return torch.tensor([LABELS.index(e.label) for e in examples], dtype=torch.long)


def _labels(logits: torch.Tensor) -> list[str]:
    return [LABELS[i] for i in logits.argmax(-1).tolist()]


def shifted(logits: torch.Tensor, margin: float) -> torch.Tensor:
    """Lower the contempt logit by a margin."""
    shift = torch.zeros(len(LABELS))
    shift[LABELS.index(CONTEMPT)] = margin
    return logits - shift


def fit_margin(logits: torch.Tensor, gold: list[str], max_rate: float) -> float:
    """Return the contempt margin with the best dev contempt F1 among those that keep
    constructive-called-contempt at or below `max_rate` (the smallest rate if none do)."""
    best: tuple[bool, float, float] | None = None
    chosen = 0.0
    for margin in np.arange(0.0, 3.01, 0.1):
        fig = figures(gold, _labels(shifted(logits, float(margin))))
        within = fig.constructive_as_contempt <= max_rate
        key = (within, fig.contempt_f1 if within else -fig.constructive_as_contempt, -margin)
        if best is None or key > best:
            best, chosen = key, float(margin)
    return round(chosen, 2)


def fit_temperature(logits: torch.Tensor, targets: torch.Tensor) -> float:
    """Return the temperature that minimises dev negative log-likelihood (calibration)."""
    best_t, best_nll = 1.0, float("inf")
    for t in np.arange(0.5, 5.0, 0.05):
        nll = float(nn.functional.cross_entropy(logits / float(t), targets))
        if nll < best_nll:
            best_t, best_nll = float(t), nll
    return round(best_t, 2)


def supported_languages(dev: Figures) -> list[str]:
    """Return the languages whose dev figures show the model can be trusted."""
    return sorted(
        lang
        for lang, fig in dev.per_language.items()
        if fig["n"] >= SUPPORT_MIN_EXAMPLES
        and fig["contempt_f1"] >= SUPPORT_MIN_CONTEMPT_F1
        and fig["accuracy"] >= SUPPORT_MIN_ACCURACY
        and fig["about_customer_accuracy"] >= SUPPORT_MIN_ABOUT_CUSTOMER
    )


def _load(config: TrainConfig) -> tuple[str, Any, Any]:
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    name, location = resolve_encoder(config.encoder)
    try:
        tokenizer = AutoTokenizer.from_pretrained(location)
        encoder = AutoModel.from_pretrained(location)
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot load encoder {name!r}: {str(exc).splitlines()[0]}") from None
    return name, tokenizer, encoder


def train(config: TrainConfig, progress: Progress = lambda _: None) -> TrainResult:
    """Fine-tune adapters (or the whole encoder) and the head; calibrate, measure, save."""
    started = time.perf_counter()
    if config.threads:
        torch.set_num_threads(config.threads)
    seed_everything(config.seed)
    torch.use_deterministic_algorithms(True)
    examples = load_examples(config.corpus)
    split = {s: [e for e in examples if e.split == s] for s in ("train", "dev", "test")}
    progress(
        f"corpus: {len(split['train'])} train, {len(split['dev'])} dev, "
        f"{len(split['test'])} test messages"
    )
    name, tokenizer, encoder = _load(config)
    if config.finetune:
        trainable = list(encoder.parameters())
    else:
        trainable = add_adapters(encoder, config.lora)
    head = Head(int(encoder.config.hidden_size), config.hidden)
    model = _Model(encoder, head)
    optimizer = torch.optim.AdamW(
        [
            {"params": trainable, "lr": config.learning_rate},
            {"params": head.parameters(), "lr": config.head_learning_rate},
        ],
        weight_decay=config.weight_decay,
    )
    targets = _targets(split["train"])
    counts = torch.bincount(targets, minlength=len(LABELS)).float().clamp(min=1)
    weights = counts.sum() / counts
    loss_fn = nn.CrossEntropyLoss(
        weight=weights / weights.mean(), label_smoothing=config.label_smoothing
    )
    per_epoch = -(-len(split["train"]) // config.batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer,
        max_lr=[config.learning_rate, config.head_learning_rate],
        total_steps=config.epochs * per_epoch,
        pct_start=0.1,
    )
    rng = random.Random(config.seed)
    dev_texts = [prepare_text(e.text) for e in split["dev"]]
    dev_gold = [e.label for e in split["dev"]]
    best_score, best_epoch, best_state = -1.0, 0, None
    for epoch in range(1, config.epochs + 1):
        # Dropout only in the head: the adapters are small, the best epoch is chosen on dev,
        # and without dropout in the encoder an epoch takes a quarter less time.
        model.head.train()
        model.encoder.eval()
        texts = [
            prepare_text(swap_companies(e.text, rng) if config.augment else e.text)
            for e in split["train"]
        ]
        for rows in _batches([len(t) for t in texts], config.batch_size, rng):
            ids, mask = _tensors(tokenizer, [texts[i] for i in rows], config.max_tokens)
            loss = loss_fn(model(ids, mask), targets[rows])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
        score = figures(dev_gold, _labels(_logits(model, tokenizer, dev_texts, config))).macro_f1
        progress(
            f"epoch {epoch}/{config.epochs}: dev macro-F1 {score:.3f} "
            f"({time.perf_counter() - started:.0f}s)"
        )
        if score > best_score:
            best_score, best_epoch = score, epoch
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    assert best_state is not None
    model.load_state_dict(best_state)

    dev_logits = _logits(model, tokenizer, dev_texts, config)
    margin = fit_margin(dev_logits, dev_gold, config.max_constructive_as_contempt)
    temperature = fit_temperature(shifted(dev_logits, margin), _targets(split["dev"]))
    test_texts = [prepare_text(e.text) for e in split["test"]]
    test_logits = shifted(_logits(model, tokenizer, test_texts, config), margin)
    dev = figures(dev_gold, _labels(shifted(dev_logits, margin)), [e.lang for e in split["dev"]])
    test = figures(
        [e.label for e in split["test"]], _labels(test_logits), [e.lang for e in split["test"]]
    )
    info = HeadInfo(
        encoder=name,
        hidden=config.hidden,
        temperature=temperature,
        contempt_margin=margin,
        supported_languages=supported_languages(dev),
        lora=None if config.finetune else asdict(config.lora),
        figures={"test_fp32": test.headline(), "test_fp32_per_language": test.per_language},
        training=_training_record(config, best_epoch, time.perf_counter() - started),
    )
    if config.finetune:
        out_dir = config.out or Path.cwd() / f"{name.replace('/', '--')}-undertone"
        encoder.save_pretrained(out_dir)
        tokenizer.save_pretrained(out_dir)
        info.encoder = out_dir.resolve().name
        path = out_dir / "undertone-head.safetensors"
        version = save_head(path, head, info)
    else:
        path = config.out or head_path_for(config.encoder, name)
        adapters = adapter_state(encoder)
        save_head(path, head, info, adapters)
        # Record the figures of the model as it runs (adapters merged into the weights),
        # which is what the regression test re-measures.
        progress("measuring the saved model as deployed …")
        deployed = _measure_deployed(config.encoder, path, split["test"])
        info.figures["test"] = deployed.headline()
        info.figures["test_per_language"] = deployed.per_language
        version = save_head(path, head, info, adapters)
    return TrainResult(path, version, info, dev, test, time.perf_counter() - started)


def _measure_deployed(encoder: str, path: Path, examples: list[Example]) -> Figures:
    from classifiers.model import ToneClassifier

    classifier = ToneClassifier(encoder, head=path, precision="fp32")
    predictions = classifier.predict([e.text for e in examples], batch_size=64)
    return figures(
        [e.label for e in examples], [p.label for p in predictions], [e.lang for e in examples]
    )


def _training_record(config: TrainConfig, best_epoch: int, seconds: float) -> dict[str, Any]:
    return {
        "seed": config.seed,
        "epochs": config.epochs,
        "best_epoch": best_epoch,
        "batch_size": config.batch_size,
        "max_tokens": config.max_tokens,
        "learning_rate": config.learning_rate,
        "head_learning_rate": config.head_learning_rate,
        "weight_decay": config.weight_decay,
        "label_smoothing": config.label_smoothing,
        "augment": config.augment,
        "finetune": config.finetune,
        "threads": torch.get_num_threads(),
        "seconds": round(seconds),
        "torch": torch.__version__,
    }


__all__ = ["CONSTRUCTIVE", "TrainConfig", "TrainResult", "train"]
