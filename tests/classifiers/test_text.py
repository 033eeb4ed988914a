"""Text preparation: Slack mrkdwn to what a person reads, checked against real messages."""

from __future__ import annotations

import json

import pytest

from classifiers.text import CODE_MARKER, decode_entities, prepare
from tests.conftest import REAL_WORLD

ORACLE = json.loads((REAL_WORLD / "docs" / "mrkdwn_vs_rich_text_oracle.json").read_text())


@pytest.mark.parametrize(
    "case", ORACLE["cases"], ids=lambda c: f"{c['file'].rsplit('/', 1)[-1]}:{c['ts']}"
)
def test_entities_match_what_slack_lists_in_rich_text_blocks(case: dict) -> None:
    prepared = prepare(case["text"])
    expected = case["expected_from_rich_text_blocks"]
    assert prepared.users == expected.get("users", [])
    assert prepared.channels == expected.get("channels", [])
    assert prepared.broadcasts == expected.get("broadcasts", [])
    assert prepared.emoji == expected.get("emoji", [])
    assert [(link.url, link.text) for link in prepared.links] == [
        (link["url"], link["text"]) for link in expected.get("links", [])
    ]
    # No control sequence or escape survives into what the model reads.
    assert "<@" not in prepared.text and "<#" not in prepared.text and "&gt;" not in prepared.text


def test_escapes_are_decoded_last_so_a_typed_entity_survives() -> None:
    assert decode_entities("Hello &amp; &lt;world&gt;") == "Hello & <world>"
    assert prepare("he typed &amp;lt; literally").text == "he typed &lt; literally"
    assert prepare("Marlow &amp; Finch").text == "Marlow & Finch"


def test_mentions_channels_and_links_read_as_a_person_sees_them() -> None:
    text = (
        "<@U04KQ7P2M> see <#C05RJ3T9A|acme-support> and "
        "<https://acme.zendesk.com/tickets/88121|ticket 88121> or <https://status.acme.io/x> "
        "<!here> <!subteam^S0123ABC|@support> <mailto:bob@acme.io|Bob>"
    )
    prepared = prepare(text)
    assert prepared.text == (
        "@someone see #acme-support and ticket 88121 or status.acme.io @here @support Bob"
    )
    assert prepared.usergroups == ["S0123ABC"]


def test_legacy_labelled_mentions_keep_the_name() -> None:
    assert prepare("<@U407ABLLW|alice> did it").text == "@alice did it"


def test_code_blocks_become_a_marker_and_inline_code_keeps_its_words() -> None:
    prepared = prepare("the `users` table again:\n```select * from users;\n-- acme```\nsigh")
    assert prepared.has_code
    assert CODE_MARKER in prepared.text
    assert "select" not in prepared.text
    assert "the users table again" in prepared.text


def test_quoted_lines_are_kept_and_marked_as_quotes() -> None:
    prepared = prepare("&gt; you people are useless\nhow should I reply to Kestrel?")
    assert prepared.has_quote
    assert prepared.text == "“you people are useless”\nhow should I reply to Kestrel?"


def test_emoji_become_words_but_times_and_identifiers_survive() -> None:
    prepared = prepare(
        "standup at 10:30:00 :+1::skin-tone-2: :rolling_on_the_floor_laughing: my_var_name"
    )
    assert (
        prepared.text == "standup at 10:30:00 thumbs up rolling on the floor laughing my_var_name"
    )
    assert prepared.emoji == ["+1", "rolling_on_the_floor_laughing"]


def test_styles_are_removed_even_when_nested() -> None:
    assert prepare("~_*`x`*_~ and *bold* _it_ 2*3*4").text == "x and bold it 2*3*4"
