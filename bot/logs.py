"""Logging set-up, with secrets scrubbed from every record."""

from __future__ import annotations

import logging
import re
import sys

# Slack tokens and signing secrets look like these; they never belong in a log line.
_SECRET_PATTERNS = (
    re.compile(r"xox[abposer]-[A-Za-z0-9-]+"),
    re.compile(r"xapp-[A-Za-z0-9-]+"),
    re.compile(r"(?i)(token|secret|pepper|password)=([^&\s]+)"),
)


def scrub(text: str) -> str:
    """Replace anything that looks like a secret with a placeholder."""
    text = _SECRET_PATTERNS[0].sub("xox?-[redacted]", text)
    text = _SECRET_PATTERNS[1].sub("xapp-[redacted]", text)
    return _SECRET_PATTERNS[2].sub(r"\1=[redacted]", text)


class ScrubSecrets(logging.Filter):
    """Rewrite a record's message so no token or secret reaches a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def configure_logging(level: str = "INFO") -> None:
    """Send log lines to stderr, scrubbed, at the given level."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(ScrubSecrets())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper() if level.upper() in logging.getLevelNamesMapping() else "INFO")
    # Libraries are chatty at INFO; their warnings still show.
    for noisy in ("httpx", "urllib3", "filelock", "transformers", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
