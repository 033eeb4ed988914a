"""`undertone analyze`: same path as live, nothing twice, resumable, nothing personal kept."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import JSON, String, Text, func, select

from bot.db.engine import Database
from bot.exports.analyze import ExportAnalysis, workspace_for
from bot.exports.reader import SlackExport
from bot.ingest.pipeline import Pipeline
from bot.models import Base, Observation
from bot.settings import Settings
from tests.bot.exports.test_reader import HFARAN, grid_export
from tests.fakes import FakeClassifier


def run_analysis(database: Database, settings: Settings, path: Path, classifier=None):  # type: ignore[no-untyped-def]
    with SlackExport(path) as export:
        analysis = ExportAnalysis(
            export=export,
            pipeline=Pipeline(
                database=database, classifier=classifier or FakeClassifier(), settings=settings
            ),
            database=database,
            workspace_id=workspace_for(export, None),
            workspace_name="test",
            batch_size=16,
        )
        return analysis.run(analysis.plan())


def count(database: Database) -> int:
    with database.session() as session:
        return int(session.scalar(select(func.count()).select_from(Observation)) or 0)


def test_a_real_export_is_analysed_once(database: Database, settings: Settings) -> None:
    first = run_analysis(database, settings, HFARAN / "testarchive.zip")
    assert first.read == 158
    assert first.classified == count(database) == 50
    assert first.files_done == 17
    again = run_analysis(database, settings, HFARAN / "testarchive.zip")
    assert again.files_already_done == 17 and again.classified == 0
    assert count(database) == 50
    # The unpacked folder is the same export: nothing twice either.
    run_analysis(database, settings, HFARAN)
    assert count(database) == 50


class PowerCutError(RuntimeError):
    pass


class DiesAfter(FakeClassifier):
    def __init__(self, batches: int) -> None:
        super().__init__()
        self.left = batches

    def predict_prepared(self, texts, *, batch_size=32):  # type: ignore[no-untyped-def]
        if self.left == 0:
            raise PowerCutError("power cut")
        self.left -= 1
        return super().predict_prepared(texts, batch_size=batch_size)


def test_an_interrupted_run_resumes_where_it_stopped(
    database: Database, settings: Settings
) -> None:
    with pytest.raises(PowerCutError):
        run_analysis(database, settings, HFARAN / "testarchive.zip", classifier=DiesAfter(1))
    partial = count(database)
    assert 0 < partial < 50
    fake = FakeClassifier()
    resumed = run_analysis(database, settings, HFARAN / "testarchive.zip", classifier=fake)
    assert resumed.files_already_done > 0
    assert count(database) == 50
    assert sum(len(call) for call in fake.calls) < 50  # finished files were not read again


def test_no_text_names_or_emails_reach_the_database(database: Database, settings: Settings) -> None:
    run_analysis(database, settings, HFARAN / "testarchive.zip")
    users = json.loads((HFARAN / "users.json").read_text())
    secrets = (
        {u["name"] for u in users}
        | {u.get("real_name") or "" for u in users}
        | {u["id"] for u in users}
    )
    secrets |= {(u.get("profile") or {}).get("email") or "" for u in users}
    words = set()
    with SlackExport(HFARAN) as export:
        for channel in export.channels():
            for day in export.day_files(channel):
                for message in export.messages(day):
                    words |= {
                        w
                        for w in str(message.get("text", "")).split()
                        if len(w) > 7 and w.isalpha()
                    }
    stored = []
    with database.session() as session:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
            for row in session.execute(select(*columns)) if columns else []:
                stored.extend(str(v) for v in row if v is not None)
    blob = "\n".join(stored)
    for secret in {s for s in secrets if len(s) > 3}:
        assert secret not in blob, secret
    leaked = {w for w in words if w in blob and w not in {"traveling", "enrique"}}
    assert not leaked, leaked


def test_the_cli_says_when_a_run_was_partial(tmp_path: Path) -> None:
    bad = tmp_path / "export.zip"
    with zipfile.ZipFile(HFARAN / "testarchive.zip") as source, zipfile.ZipFile(bad, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.endswith("2016-01-15.json"):
                data = b"{ broken"
            target.writestr(item, data)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "UNDERTONE_"))}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'undertone.db'}"
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "analyze", str(bad), "--channels", "enrique"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert "2016-01-15.json" in result.stderr and "partial" in result.stderr
    assert "#enrique" in result.stdout and "#traveling-sailor" not in result.stdout
    # Printing the report is a report view, and the audit log says so.
    audit = subprocess.run(
        [sys.executable, "-m", "bot.cli", "audit"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120, check=False,
    )  # fmt: skip
    assert audit.returncode == 0 and "report.view" in audit.stdout, audit.stderr
    unknown = subprocess.run(
        [sys.executable, "-m", "bot.cli", "analyze", str(bad), "--since", "yesterday"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
        check=False,
    )
    assert unknown.returncode == 2 and "--since 'yesterday' is not a date" in unknown.stderr


def _export_zip(tmp_path: Path, files: dict[str, str]) -> Path:
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


def _message(ts: str | None, text: str = "the acme renewal is on thursday") -> dict:
    message = {"type": "message", "user": "U0AAAAAA1", "text": text}
    if ts is not None:
        message["ts"] = ts
    return message


def _cli(path: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "UNDERTONE_"))}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'undertone.db'}"
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "analyze", str(path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
        check=False,
    )


def test_messages_without_ts_name_their_file_and_make_the_run_partial(
    database: Database, settings: Settings, tmp_path: Path
) -> None:
    path = _export_zip(
        tmp_path,
        {
            "channels.json": json.dumps([{"id": "C1", "name": "general"}]),
            "general/2023-11-14.json": json.dumps(
                [_message("1699956000.000100"), _message(None), _message("not a time")]
            ),
            "general/2023-11-15.json": json.dumps([_message("1700042400.000100")]),
        },
    )
    result = run_analysis(database, settings, path)
    assert result.classified == count(database) == 2  # the good messages of both days
    assert result.skipped == {"no ts": 2}
    assert result.problems == [
        ("general/2023-11-14.json", "2 message(s) without a valid ts were skipped")
    ]
    assert result.partial
    # Still damaged on a second run: said again, while the clean day is not read twice.
    again = run_analysis(database, settings, path)
    assert again.files_already_done == 1
    assert [name for name, _ in again.problems] == ["general/2023-11-14.json"]
    assert count(database) == 2

    cli = _cli(path, tmp_path)
    assert cli.returncode == 1, cli.stderr
    assert "general/2023-11-14.json: 2 message(s) without a valid ts" in cli.stderr
    assert "partial" in cli.stderr


def test_an_enterprise_grid_export_is_analysed_in_part_and_says_so(tmp_path: Path) -> None:
    cli = _cli(grid_export(tmp_path), tmp_path)
    assert cli.returncode == 1, cli.stderr
    assert "Enterprise Grid workspace folders are not supported" in cli.stderr
    assert "(sales, support)" in cli.stderr and "partial" in cli.stderr
    assert "#announcements" in cli.stdout and "#deals" not in cli.stdout
    assert "2 classified" in cli.stdout
