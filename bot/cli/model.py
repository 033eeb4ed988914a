"""`undertone classify`, `eval` and `train`: the tone classifier from the command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, BinaryIO

import typer
from rich.table import Table

from bot.cli.main import app, console, runtime, stderr
from bot.errors import InputError


def _open_input(path: str) -> BinaryIO:
    if path == "-":
        return sys.stdin.buffer
    try:
        return Path(path).open("rb")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None


@app.command()
def classify(
    ctx: typer.Context,
    source: Annotated[
        str, typer.Argument(help="JSON Lines or plain-text file; - for stdin.")
    ] = "-",
    batch_size: Annotated[int, typer.Option(min=1, max=1024, help="Messages per batch.")] = 32,
) -> int:
    """Classify messages: one JSON object per input line, in order, on stdout.

    Input lines are either JSON objects with "id" and "text", or plain text (one message
    per line). Lines that cannot be classified get an "error" and the rest carry on;
    the exit code is 1 if any line failed.
    """
    from bot.classifier import get_classifier
    from classifiers.stream import classify_lines

    rt = runtime(ctx)
    # Open the input before the slow model load, so a wrong path fails at once.
    handle = _open_input(source)
    failed = 0
    out = sys.stdout
    try:
        classifier = get_classifier(rt.settings)
        for result in classify_lines(handle, classifier, batch_size=batch_size):
            failed += "error" in result
            out.write(json.dumps(result, ensure_ascii=False) + "\n")
    finally:
        if handle is not sys.stdin.buffer:
            handle.close()
    if failed:
        stderr.print(f'{failed} line(s) could not be classified; see their "error" field')
    return 1 if failed else 0


@app.command("eval")
def evaluate(
    ctx: typer.Context,
    split: Annotated[
        str, typer.Option(help="test, dev, challenge, or a JSON Lines file with text and label.")
    ] = "test",
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    batch_size: Annotated[int, typer.Option(min=1, max=1024)] = 64,
) -> None:
    """Measure the classifier on labelled messages, beside a plain-sentiment baseline."""
    from bot.classifier import get_classifier
    from classifiers.corpus import CHALLENGE, CORPUS, load_examples
    from classifiers.evaluation import as_json as figures_json
    from classifiers.evaluation import figures, vader_baseline

    rt = runtime(ctx)
    if split in ("test", "dev", "train"):
        examples = load_examples(CORPUS, split)
    else:
        path = CHALLENGE if split == "challenge" else Path(split)
        if not path.exists():
            raise InputError(
                f"no split or file named {split!r} (use test, dev, challenge or a file)"
            )
        try:
            examples = load_examples(path)
        except (ValueError, KeyError) as exc:
            raise InputError(f"cannot read labelled messages from {path}: {exc}") from None
    if not examples:
        raise InputError(f"{split!r} holds no labelled messages")
    classifier = get_classifier(rt.settings)
    texts = [e.text for e in examples]
    gold = [e.label for e in examples]
    predictions = classifier.predict(texts, batch_size=batch_size)
    result = figures(gold, [p.label for p in predictions], [e.lang for e in examples])
    baseline = vader_baseline(texts, gold)
    if as_json:
        payload = {
            "split": split,
            "model_version": classifier.version,
            "model": figures_json(result),
            "vader_baseline": baseline.headline(),
        }
        console.print_json(data=payload)
        return
    _print_figures(split, classifier.version, result, baseline)


def _pct(value: float) -> str:
    return f"{value:.1%}"


def _print_figures(split: str, version: str, result, baseline) -> None:  # type: ignore[no-untyped-def]
    from classifiers.labels import LABELS

    console.print(f"[bold]{split}[/]: {result.n} messages, model {version}")
    per_label = Table("label", "precision", "recall", "F1", "support", title="Per label")
    for label, fig in result.per_label.items():
        per_label.add_row(
            label, f"{fig.precision:.3f}", f"{fig.recall:.3f}", f"{fig.f1:.3f}", str(fig.support)
        )
    console.print(per_label)
    confusion = Table(
        "gold \\ predicted", *[label[:8] for label in LABELS], title="Confusion matrix"
    )
    for gold_label in LABELS:
        confusion.add_row(gold_label, *[str(result.confusion[gold_label][p]) for p in LABELS])
    console.print(confusion)
    languages = Table(
        "lang",
        "messages",
        "accuracy",
        "contempt F1",
        "constructive→contempt",
        "about-customer acc.",
        title="Per language",
    )
    for lang, fig in result.per_language.items():
        languages.add_row(
            lang,
            str(fig["n"]),
            f"{fig['accuracy']:.3f}",
            f"{fig['contempt_f1']:.3f}",
            _pct(fig["constructive_as_contempt"]),
            f"{fig['about_customer_accuracy']:.3f}",
        )
    console.print(languages)
    versus = Table(
        "figure", "Undertone", "VADER negative = contempt", title="Against plain sentiment"
    )
    versus.add_row("contempt F1", f"{result.contempt_f1:.3f}", f"{baseline.contempt_f1:.3f}")
    versus.add_row(
        "contempt precision",
        f"{result.per_label['contempt'].precision:.3f}",
        f"{baseline.contempt_precision:.3f}",
    )
    versus.add_row(
        "contempt recall",
        f"{result.per_label['contempt'].recall:.3f}",
        f"{baseline.contempt_recall:.3f}",
    )
    versus.add_row(
        "constructive called contempt",
        _pct(result.constructive_as_contempt),
        _pct(baseline.constructive_as_contempt),
    )
    versus.add_row("about-customer accuracy", f"{result.about_customer_accuracy:.3f}", "n/a")
    console.print(versus)
    console.print(f"accuracy {result.accuracy:.3f}, macro-F1 {result.macro_f1:.3f}")


@app.command()
def train(
    ctx: typer.Context,
    encoder: Annotated[
        str, typer.Option(help="Hugging Face model id or folder; default: UNDERTONE_ENCODER.")
    ] = "",
    out: Annotated[
        Path | None,
        typer.Option(help="Where to write the head (or, with --finetune, the encoder folder)."),
    ] = None,
    seed: Annotated[
        int, typer.Option(help="Random seed; the default rebuilds the committed head.")
    ] = 13,
    epochs: Annotated[int, typer.Option(min=1, max=50)] = 5,
    finetune: Annotated[
        bool,
        typer.Option(
            "--finetune", help="Train every encoder weight (slow on CPU; for more data or a GPU)."
        ),
    ] = False,
) -> None:
    """Train the classifier on the bundled corpus and save it where `classify` finds it."""
    from classifiers.training import TrainConfig
    from classifiers.training import train as run_training

    rt = runtime(ctx)
    config = TrainConfig(
        encoder=encoder or rt.settings.encoder, out=out, seed=seed, epochs=epochs, finetune=finetune
    )
    result = run_training(config, progress=lambda line: stderr.print(line))
    console.print(f"saved {result.path} (version {result.version}) in {result.seconds:.0f}s")
    console.print(f"test split (fp32): {result.test.headline()}")
    console.print(f"supported languages: {', '.join(result.info.supported_languages) or 'none'}")
