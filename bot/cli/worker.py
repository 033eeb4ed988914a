"""`undertone worker`: classify queued messages for distributed mode."""

from __future__ import annotations

import logging
import socket
from typing import Annotated

import typer

from bot.cli.main import app, runtime, setup_logging, stderr
from bot.errors import ConfigurationError, DatabaseError

log = logging.getLogger(__name__)


@app.command()
def worker(
    ctx: typer.Context,
    name: Annotated[
        str, typer.Option(help="Worker name shown by Celery; default: worker-HOST-PID.")
    ] = "",
) -> None:
    """Classify queued messages in batches (distributed mode; run as many as you need).

    Each worker is one process with one model. Run one per core with UNDERTONE_THREADS=1,
    or fewer workers with more threads each. SIGTERM or Ctrl-C finishes the batch in hand.
    """
    import os

    from bot.classifier import get_classifier
    from bot.db import migrate
    from bot.distributed.worker import run_worker

    rt = runtime(ctx)
    settings = rt.settings
    setup_logging(rt)
    if rt.database.engine.dialect.name != "postgresql":
        raise ConfigurationError(
            "`undertone worker` needs PostgreSQL (DATABASE_URL=postgresql://…), the database "
            "every app replica and worker shares"
        )
    rt.database.check()
    if migrate.current_revision(rt.database) != migrate.head_revision():
        raise DatabaseError(
            f"the database at {rt.database.url} is not up to date; run `undertone db upgrade`"
        )
    classifier = get_classifier(settings)
    hostname = name or f"worker-{socket.gethostname()}-{os.getpid()}"
    stderr.print(
        f"Undertone worker {hostname}: model {classifier.version}, "
        f"{settings.threads or 'all'} thread(s), batches of {settings.batch_size}"
    )
    run_worker(settings, database=rt.database, classifier=classifier, name=hostname)
    stderr.print("Undertone worker stopped cleanly.")
