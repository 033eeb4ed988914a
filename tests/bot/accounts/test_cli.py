"""`undertone accounts …` from the command line, on the database an admin starts with."""

from __future__ import annotations

from pathlib import Path

from tests.bot.cli.test_errors import assert_one_line_error, undertone


def test_accounts_can_be_loaded_before_the_first_analysis(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'undertone.db'}"}
    csv_file = tmp_path / "accounts.csv"
    csv_file.write_text("name,aliases\nHalvorsen Freight,HF\n", encoding="utf-8")
    assert undertone("db", "upgrade", env=env).returncode == 0

    no_team = undertone("accounts", "import", str(csv_file), env=env)
    assert_one_line_error(no_team, "pass --workspace", "Slack team id")
    assert no_team.returncode == 2
    assert "run `undertone analyze`" not in no_team.stderr

    loaded = undertone("accounts", "import", str(csv_file), "--workspace", "T0ACME01", env=env)
    assert loaded.returncode == 0, loaded.stderr
    assert "1 account(s) added" in loaded.stdout
    # One workspace now: it is the one meant, with or without --workspace.
    again = undertone("accounts", "import", str(csv_file), env=env)
    assert again.returncode == 0, again.stderr
    assert "1 unchanged" in again.stdout
    listed = undertone("accounts", "list", env=env)
    assert "Halvorsen Freight" in listed.stdout


def test_an_unmigrated_database_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'undertone.db'}"}
    csv_file = tmp_path / "accounts.csv"
    csv_file.write_text("name\nHalvorsen Freight\n", encoding="utf-8")
    for args in (["import", str(csv_file), "--workspace", "T0ACME01"], ["list"]):
        result = undertone("accounts", *args, env=env)
        assert_one_line_error(result, "run `undertone db upgrade`")
        assert result.returncode == 3
