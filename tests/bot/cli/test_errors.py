"""Every expected failure is one clear line on stderr, a non-zero exit, and no secret."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

TOKEN = "xoxb-fake-SECRET"


def undertone(
    *args: str, env: dict[str, str] | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "UNDERTONE_"))
    }
    environment.pop("DATABASE_URL", None)
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        env=environment,
        input=stdin,
        timeout=120,
        check=False,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_unreachable_database() -> None:
    result = undertone(
        "db", "upgrade", env={"DATABASE_URL": "postgresql://postgres:hunter2@127.0.0.1:9/test"}
    )
    assert_one_line_error(result, "cannot use the database", "127.0.0.1:9")
    assert result.returncode == 3
    assert "hunter2" not in result.stderr


def test_bad_database_url() -> None:
    result = undertone("db", "upgrade", env={"DATABASE_URL": "not a url"})
    assert_one_line_error(result, "DATABASE_URL")
    assert result.returncode == 2


def test_unsupported_database() -> None:
    result = undertone("db", "upgrade", env={"DATABASE_URL": "mysql://root@localhost/x"})
    assert_one_line_error(result, "mysql", "sqlite and postgresql")


def test_invalid_setting_names_the_variable() -> None:
    result = undertone("db", "current", env={"UNDERTONE_MIN_GROUP": "2"})
    assert_one_line_error(result, "UNDERTONE_MIN_GROUP")


def test_malformed_leader_id_names_it() -> None:
    result = undertone("db", "current", env={"UNDERTONE_LEADERS": "U012ABC,bob"})
    assert_one_line_error(result, "UNDERTONE_LEADERS", "'bob'")


def test_unreadable_input_file(tmp_path: Path) -> None:
    result = undertone("classify", str(tmp_path / "missing.jsonl"))
    assert_one_line_error(result, "cannot read", "missing.jsonl")


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": TOKEN}, "SLACK_APP_TOKEN"),
        ({"SLACK_BOT_TOKEN": TOKEN, "SLACK_APP_TOKEN": "xapp-fake-secret"}, "UNDERTONE_PEPPER"),
        # Empty values, as in a .env copied from .env.example, count as not set.
        ({"SLACK_BOT_TOKEN": "", "SLACK_APP_TOKEN": "xapp-fake-secret"}, "SLACK_BOT_TOKEN"),
        (
            {"SLACK_BOT_TOKEN": TOKEN, "SLACK_APP_TOKEN": "xapp-fake", "UNDERTONE_PEPPER": ""},
            "UNDERTONE_PEPPER is not set",
        ),
        (
            {"SLACK_BOT_TOKEN": TOKEN, "SLACK_APP_TOKEN": "xapp-fake", "UNDERTONE_PEPPER": "abc"},
            "UNDERTONE_PEPPER is too short",
        ),
    ],
)
def test_run_refuses_without_tokens_or_with_the_dev_pepper(
    env: dict[str, str], missing: str
) -> None:
    result = undertone("run", env=env)
    assert_one_line_error(result, missing)
    assert "SECRET" not in result.stderr and "secret" not in result.stderr.split(missing)[0]


def test_http_mode_needs_the_signing_secret() -> None:
    result = undertone("run", "--http", env={"SLACK_BOT_TOKEN": TOKEN})
    assert_one_line_error(result, "SLACK_SIGNING_SECRET")


def test_every_command_has_help() -> None:
    result = undertone("--help")
    assert result.returncode == 0
    commands = ["classify", "eval", "train", "demo", "run", "db"]
    for command in commands:
        assert command in result.stdout
        sub = undertone(command, "--help")
        assert sub.returncode == 0, sub.stderr
        assert "Usage" in sub.stdout
    assert undertone("db", "upgrade", "--help").returncode == 0
