"""The process's tone classifier, configured from settings."""

from __future__ import annotations

from bot.settings import Settings
from classifiers.model import ToneClassifier, load_classifier


def get_classifier(settings: Settings) -> ToneClassifier:
    """Return the classifier for these settings, loaded once per process."""
    return load_classifier(settings.encoder, settings.head, settings.precision)
