"""`undertone demo`: see the classifier at work on a few bundled messages."""

from __future__ import annotations

import typer
from rich.table import Table

from bot.cli.main import app, console, runtime

EXAMPLES = (
    "Acme keeps misusing the import, let's offer them training",
    "Acme's people can't read, lol",
    "ugh, Globex moved the go-live AGAIN. third time this month :weary:",
    "oh sure, Initech will *definitely* read the docs this time :upside_down_face:",
    "they're not idiots, the settings page is genuinely confusing. fixing the labels today",
    "shoutout to the Northwind admins, their bug report had repro steps and logs :pray:",
    "Contoso renewal call moved to thu 3pm",
    "jenkins is a steaming pile, retrying the build for the 4th time",
    "the users table has 3 duplicate rows after the import, cleaning up",
    "&gt; you people are useless\nhow should I answer this from Kestrel's CTO?",
)


@app.command()
def demo(ctx: typer.Context) -> None:
    """Classify a handful of bundled example messages and show the verdicts."""
    from bot.classifier import get_classifier

    rt = runtime(ctx)
    classifier = get_classifier(rt.settings)
    predictions = classifier.predict(list(EXAMPLES))
    table = Table("message", "label", "contempt", "lang", title=f"Undertone ({classifier.version})")
    for text, prediction in zip(EXAMPLES, predictions, strict=True):
        table.add_row(text, prediction.label, f"{prediction.contempt:.2f}", prediction.lang or "?")
    console.print(table)
