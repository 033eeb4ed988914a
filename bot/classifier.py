"""The process's tone classifier, configured from settings."""

from __future__ import annotations

from bot.settings import Settings
from classifiers.encoder import default_threads
from classifiers.model import ToneClassifier, load_classifier


def get_classifier(settings: Settings, *, serving: bool = False) -> ToneClassifier:
    """Return the classifier for these settings, loaded once per process.

    `serving` leaves a CPU free for answering Slack when the thread count is automatic.
    """
    threads = settings.threads or (max(1, default_threads() - 1) if serving else default_threads())
    return load_classifier(settings.encoder, settings.head, settings.precision, threads)
