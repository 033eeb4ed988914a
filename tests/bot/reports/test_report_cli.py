"""`undertone report` offline, and the HTML page as a leader's browser shows it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.db.engine import Database
from tests import factories

OCT = datetime(2026, 10, 14, 10, tzinfo=UTC)


@pytest.fixture
def filled(database: Database, database_url: str) -> str:
    with database.session() as s:
        factories.channel(s, "C1", "implementation")
        factories.channel(s, "C2", "support")
        factories.team(s, "Implementation", ["C1"], ["U0MGR0001"])
        factories.observations(
            s, channel="C1", at=OCT, labels={"contempt": 9, "constructive": 21}, authors=6
        )
        factories.observations(
            s, channel="C2", at=OCT, labels={"contempt": 1, "positive": 19}, authors=8
        )
    return database_url


def undertone(*args: str, url: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "UNDERTONE_"))}
    env["DATABASE_URL"] = url
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def test_every_format(filled: str, tmp_path: Path) -> None:
    result = undertone("report", "--month", "2026-10", "--format", "json", url=filled, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["month"] == "2026-10"
    assert {t["team"] for t in data["teams"]} == {"Implementation", "#support"}
    # October 2026 week by week; everything was written in W42 (12–18 Oct).
    assert [w["week"] for w in data["weeks"]] == [f"2026-W{n}" for n in range(40, 45)]
    w42 = data["weeks"][2]
    assert w42["overall"]["messages_about_customers"] == 50
    assert {t["team"]: t["contempt_rate"] for t in w42["teams"]} == {
        "Implementation": 0.3,
        "#support": 0.05,
    }
    assert {c["channel"] for c in w42["channels"]} == {"#implementation", "#support"}
    text = undertone("report", "--month", "2026-10", url=filled, cwd=tmp_path).stdout
    assert "In October 2026, 20.0% of 50 messages about customers showed contempt" in text
    markdown = undertone(
        "report", "--month", "2026-10", "--format", "markdown", url=filled, cwd=tmp_path
    ).stdout
    assert markdown.startswith("# Culture report: October 2026")
    out = tmp_path / "report.html"
    html_run = undertone(
        "report",
        "--month",
        "2026-10",
        "--format",
        "html",
        "--out",
        str(out),
        url=filled,
        cwd=tmp_path,
    )
    assert html_run.returncode == 0 and str(out) in html_run.stderr
    assert "data:image/png;base64," in out.read_text()


def test_one_team_and_bad_input(filled: str, tmp_path: Path) -> None:
    team = undertone(
        "report",
        "--month",
        "2026-10",
        "--team",
        "Implementation",
        "--format",
        "json",
        url=filled,
        cwd=tmp_path,
    )
    assert [t["team"] for t in json.loads(team.stdout)["teams"]] == ["Implementation"]
    unknown = undertone(
        "report", "--month", "2026-10", "--team", "Finance", url=filled, cwd=tmp_path
    )
    assert unknown.returncode != 0 and "no team or channel called 'Finance'" in unknown.stderr
    bad = undertone("report", "--month", "2026-13", url=filled, cwd=tmp_path)
    assert bad.returncode == 2 and "not a month" in bad.stderr and "Traceback" not in bad.stderr
    empty = undertone("report", "--month", "2026-03", url=filled, cwd=tmp_path)
    assert empty.returncode == 0 and "no observations in 2026-03" in empty.stderr


def test_a_channel_in_a_team_gives_that_teams_report(filled: str, tmp_path: Path) -> None:
    result = undertone(
        "report", "--month", "2026-10", "--team", "#implementation", url=filled, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "#implementation is part of Implementation, so this is Implementation's report" in (
        result.stdout
    )
    assert "#support" not in result.stdout


def chromium() -> str | None:
    return (
        shutil.which("chromium")
        or shutil.which("chromium-browser")
        or shutil.which("google-chrome")
    )


def test_html_report_renders_in_a_real_browser(filled: str, tmp_path: Path) -> None:
    browser = chromium()
    if browser is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is required in CI (make test installs Debian's chromium)")
        pytest.skip("Chromium is not installed")
    out = tmp_path / "report.html"
    assert (
        undertone(
            "report",
            "--month",
            "2026-10",
            "--format",
            "html",
            "--out",
            str(out),
            url=filled,
            cwd=tmp_path,
        ).returncode
        == 0
    )
    script = (
        "<script>window.onload=()=>{const img=document.querySelector('img.chart');"
        "document.body.setAttribute('data-chart', img && img.complete && img.naturalWidth > 400 ? 'drawn' : 'missing');"
        "document.body.setAttribute('data-rows', document.querySelectorAll('table:not(.weeks) tbody tr').length);"
        "document.body.setAttribute('data-weeks', document.querySelectorAll('table.weeks tbody tr').length);}</script>"
    )
    out.write_text(out.read_text().replace("</body>", script + "</body>"))
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}"]  # fmt: skip
    dom = subprocess.run(
        [browser, *flags, "--virtual-time-budget=3000", "--dump-dom", out.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    ).stdout
    assert 'data-chart="drawn"' in dom
    assert 'data-rows="4"' in dom  # two teams and two channels
    assert 'data-weeks="3"' in dom  # week by week: the organisation and two teams
    assert "Implementation" in dom
    shot = tmp_path / "report.png"
    subprocess.run(
        [browser, *flags, "--window-size=1100,1400", f"--screenshot={shot}", out.as_uri()],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert shot.exists() and shot.stat().st_size > 20_000
