"""teams.yml: errors name the line; applying it is all or nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.db.engine import Database
from bot.errors import InputError
from bot.teams.models import Team
from bot.teams.service import EXAMPLE, apply_specs, parse_teams
from tests import factories

GOOD = """\
teams:
  - name: Implementation
    channels: ["#implementation", C0HALV001]
    managers: [U0MGR0001]
  - name: Support
    channels: ["#support"]
"""


def test_the_example_in_the_docs_parses() -> None:
    [team] = parse_teams(EXAMPLE)
    assert team.name == "Implementation" and team.managers == ["U0123ABCD"]


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("teams:\n  - name: A\n    managers: [bob]\n", 3, "'bob' is not a Slack user id"),
        ("teams:\n  - name: A\n    channels: implementation\n", 3, "must be a list"),
        ("teams:\n  - channels: ['#a']\n", 2, "needs a `name`"),
        ("teams:\n  - name: A\n  - name: a\n", 3, "appears twice"),
        ("teams:\n  - name: A\n    colour: red\n", 3, "unknown key 'colour'"),
        ("teams:\n  - name: A\n    channels: [general]\n", 3, "not a channel"),
        ("teams: [\n", 2, "not valid YAML"),
        ("people: []\n", 1, "expected `teams:`"),
    ],
)
def test_errors_name_the_line(text: str, line: int, fragment: str) -> None:
    with pytest.raises(InputError) as error:
        parse_teams(text, path="teams.yml")
    assert str(error.value).startswith(f"teams.yml line {line}: ")
    assert fragment in str(error.value)


def test_applying_replaces_teams_and_refuses_unknown_channels(database: Database) -> None:
    with database.session() as s:
        factories.channel(s, "C0IMPL001", "implementation")
        factories.channel(s, "C0SUPP001", "support")
        apply_specs(s, workspace_id="T1", specs=parse_teams(GOOD))
    with database.session() as s:
        teams = {t.name: t for t in s.scalars(select(Team))}
        assert sorted(c.channel_id for c in teams["Implementation"].channels) == [
            "C0HALV001",
            "C0IMPL001",
        ]
        assert [m.user_id for m in teams["Implementation"].managers] == ["U0MGR0001"]
    bad = GOOD.replace('["#support"]', '["#nowhere"]')
    with pytest.raises(InputError, match="no channel named '#nowhere'"), database.session() as s:
        apply_specs(s, workspace_id="T1", specs=parse_teams(bad))
    with database.session() as s:
        assert len(s.scalars(select(Team)).all()) == 2  # the failed apply changed nothing
