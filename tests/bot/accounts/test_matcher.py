"""Which customer accounts a Slack message mentions, as a person reading it would say."""

from __future__ import annotations

import pytest

from bot.accounts.matcher import _MEMO_SIZE, EMPTY, AccountMatcher, AccountName

ACME, HALVORSEN, GLOBEX, CONTOSO, INITECH, NYSTROM = 1, 2, 3, 4, 5, 6

MATCHER = AccountMatcher(
    [
        AccountName(ACME, "Acme"),
        AccountName(HALVORSEN, "Halvorsen Freight", aliases=("HF",)),
        AccountName(GLOBEX, "Globex"),
        AccountName(CONTOSO, "Contoso"),
        AccountName(INITECH, "Initech"),
        AccountName(NYSTROM, "Nyström Analytics"),
    ]
)


def names(*accounts: str) -> AccountMatcher:
    """A matcher with one account per name, numbered from 1."""
    return AccountMatcher(AccountName(number, name) for number, name in enumerate(accounts, 1))


@pytest.mark.parametrize("text", ["ACME renewal is friday", "acme renewal", "talked to AcMe today"])
def test_names_match_whatever_the_case(text: str) -> None:
    assert MATCHER.match(text) == [ACME]


@pytest.mark.parametrize(
    ("account", "text"),
    [
        ("Nyström", "nystrom signed"),
        ("Nystrom", "NYSTRÖM signed"),
        ("Crème Brûlée Co", "creme brulee shipped"),
        ("Bjørn Ålesund", "bjorn-alesund is live"),
        ("Straße Logistik", "strasse logistik"),
    ],
)
def test_names_match_without_their_accents(account: str, text: str) -> None:
    assert names(account).match(text) == [1]


def test_accented_multi_word_name_matches_in_plain_letters() -> None:
    assert MATCHER.match("nystrom analytics wants a demo") == [NYSTROM]


def test_a_name_is_not_found_inside_longer_words() -> None:
    matcher = names("Acme")
    assert matcher.match("Acmeville is a town") == []
    assert matcher.match("ping acmecorp about it") == []
    assert matcher.match("the acme2 cluster") == []


def test_a_longer_form_matches_when_it_is_listed_itself() -> None:
    matcher = names("Acme", "Acmeville")
    assert matcher.match("Acmeville renewal") == [2]
    assert matcher.match("acme and acmeville") == [1, 2]


@pytest.mark.parametrize(
    "text",
    [
        "Halvorsen Freight escalated",
        "halvorsen-freight escalated",
        "Halvorsen  Freight escalated",
        "see halvorsen_freight",
        "see halvorsen.freight",
        "see halvorsen - freight",
        "see halvorsen\u2011freight",
        "the HALVORSEN FREIGHT account",
    ],
)
def test_multi_word_names_match_across_spaces_hyphens_underscores_and_dots(text: str) -> None:
    assert MATCHER.match(text) == [HALVORSEN]


@pytest.mark.parametrize(
    "text",
    [
        "halvorsen said hi",
        "the freight is late",
        "freight halvorsen",
        "called halvorsen, freight costs are up",
        "halvorsen\nfreight",
        "halvorsen :truck: freight",
    ],
)
def test_one_word_of_a_multi_word_name_is_not_a_mention(text: str) -> None:
    assert MATCHER.match(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "Acme's renewal",
        "Acme’s renewal",
        "the Acmes' offices",
        "two acmes",
        "ACME'S admins",
    ],
)
def test_possessives_and_plurals_match(text: str) -> None:
    assert MATCHER.match(text) == [ACME]


@pytest.mark.parametrize("text", ["Halvorsen Freight's invoice", "halvorsen-freight’s invoice"])
def test_possessive_of_a_multi_word_name_matches(text: str) -> None:
    assert MATCHER.match(text) == [HALVORSEN]


def test_possessive_of_a_one_word_name() -> None:
    assert names("Halvorsen").match("Halvorsen's team") == [1]


def test_possessive_ending_belongs_at_the_end_of_the_name() -> None:
    assert MATCHER.match("halvorsen's freight forwarder") == []


def test_names_in_link_labels_match() -> None:
    assert MATCHER.match("see <https://acme.com/tickets/4|Acme ticket 4>") == [ACME]


def test_a_link_label_is_what_counts_not_its_address() -> None:
    assert MATCHER.match("see <https://globex.com/tickets/4|Acme ticket 4>") == [ACME]


@pytest.mark.parametrize(
    "link",
    [
        "<https://www.globex.com>",
        "<https://globex.com/status/page?id=3>",
        "<http://support.globex.co.uk/x>",
        "<mailto:jane@globex.com>",
    ],
)
def test_bare_links_match_by_their_site_name(link: str) -> None:
    assert MATCHER.match(f"is this down? {link}") == [GLOBEX]


def test_bare_link_to_a_run_together_multi_word_name_matches() -> None:
    assert MATCHER.match("<https://www.halvorsenfreight.com/track>") == [HALVORSEN]
    assert MATCHER.match("<https://halvorsen-freight.no>") == [HALVORSEN]


def test_bare_link_to_a_subdomain_of_another_site_does_not_match() -> None:
    assert MATCHER.match("<https://acme.zendesk.com/agent/tickets/4>") == []


def test_channel_references_match_by_channel_name() -> None:
    assert MATCHER.match("moved to <#C0123ABC|acme-rollout>") == [ACME]
    assert MATCHER.match("see <#C0123ABC|halvorsen-freight-escalations>") == [HALVORSEN]


@pytest.mark.parametrize("text", ["<@U024BE7LH> can you look", "<@U024BE7LH|acme> can you look"])
def test_user_mentions_never_match(text: str) -> None:
    assert MATCHER.match(text) == []


def test_user_mention_never_matches_even_an_account_named_like_the_user_id() -> None:
    assert names("U024BE7LH").match("<@U024BE7LH> hi") == []


def test_emoji_are_not_mentions() -> None:
    matcher = names("Rocket")
    assert matcher.match("shipped :rocket: :rocket::skin-tone-2:") == []
    assert matcher.match("rocket renewal") == [1]


def test_escaped_text_is_read_as_shown() -> None:
    assert names("AT&T").match("AT&amp;T renewal") == [1]
    assert names("Procter & Gamble").match("procter &amp; gamble called") == [1]


@pytest.mark.parametrize(
    "text",
    [
        "Halvorson Freight escalated",
        "halvorsen frieght escalated",
        "contosso wants sso",
        "Initehc is down",
        "Initec is down",
        "Initecch is down",
        "Halvorson Freight's invoice",
    ],
)
def test_one_typo_in_a_long_word_still_matches(text: str) -> None:
    assert MATCHER.match(text) != []


@pytest.mark.parametrize(
    ("account", "text"),
    [
        ("Acme", "acne treatment"),
        ("Acme", "acm"),
        ("Globex", "glbex"),
        ("Contoso", "cnotsoo"),
        ("Initech", "intiehc"),
    ],
)
def test_short_words_and_two_typos_do_not_match(account: str, text: str) -> None:
    assert names(account).match(text) == []


@pytest.mark.parametrize("text", ["the latter option", "batter up", "submit the form"])
def test_common_words_are_never_read_as_typos(text: str) -> None:
    assert names("Matter", "Summit").match(text) == []


def test_a_common_word_that_is_the_name_still_matches() -> None:
    assert names("Matter").match("Matter renewed") == [1]


def test_a_typo_is_not_read_when_the_word_is_another_accounts_name() -> None:
    matcher = names("Halvorsen", "Halvorson")
    assert matcher.match("halvorson called") == [2]
    assert matcher.match("halvorsen called") == [1]
    assert matcher.match("halvorsan called") == [1, 2]


def test_several_accounts_are_all_returned_sorted_and_once() -> None:
    text = "Initech and globex, then Acme; acme again and <https://acme.com|acme.com>"
    assert MATCHER.match(text) == [ACME, GLOBEX, INITECH]


def test_aliases_match_like_names() -> None:
    matcher = AccountMatcher(
        [AccountName(7, "Halvorsen Freight", aliases=("HF", "Halvorsen", "Halvorsen Norge"))]
    )
    assert matcher.match("HF's invoice") == [7]
    assert matcher.match("halvorsen called") == [7]
    assert matcher.match("halvorsen-norge") == [7]
    assert matcher.match("halvorsons") == [7]
    assert matcher.match("norge") == []


def test_accounts_sharing_an_alias_are_both_returned() -> None:
    matcher = AccountMatcher(
        [
            AccountName(10, "Northwind Traders", aliases=("Northwind",)),
            AccountName(11, "Northwind Health", aliases=("Northwind",)),
        ]
    )
    assert matcher.match("northwind is asking") == [10, 11]
    assert matcher.match("northwind health is asking") == [10, 11]


def test_trailing_legal_forms_are_not_needed() -> None:
    matcher = names("Acme, Inc.", "Halvorsen Freight AS", "Nordell GmbH & Co. KG")
    assert matcher.match("acme renewal") == [1]
    assert matcher.match("halvorsen freight renewal") == [2]
    assert matcher.match("nordell renewal") == [3]
    assert matcher.match("halvorsen renewal") == []


@pytest.mark.parametrize("name", ["", "   ", "1234", "--", "!!!", "&", "42 & 7"])
def test_names_without_letters_are_ignored(name: str) -> None:
    matcher = AccountMatcher([AccountName(1, name), AccountName(2, "Acme")])
    assert len(matcher) == 2
    assert matcher.match(f"ticket {name} for acme") == [2]


def test_empty_matcher_and_empty_text() -> None:
    assert EMPTY.match("acme globex halvorsen") == []
    assert len(EMPTY) == 0
    assert MATCHER.match("") == []


def test_length_counts_accounts_not_names() -> None:
    matcher = AccountMatcher(
        [AccountName(1, "Acme", aliases=("ACME Corp", "Acme EU")), AccountName(2, "Globex")]
    )
    assert len(matcher) == 2


def test_many_accounts_match_each_other_only() -> None:
    accounts = [AccountName(number, f"Company{number:05d} Holdings") for number in range(5000)]
    matcher = AccountMatcher([*accounts, AccountName(9999, "Acme")])
    assert matcher.match("company00042-holdings and acme") == [42, 9999]
    assert matcher.match("company00042 and acme") == [9999]


def test_matching_keeps_working_once_the_word_memory_is_full() -> None:
    matcher = names("Acme", "Halvorsen Freight")
    noise = " ".join(f"w{number}" for number in range(_MEMO_SIZE + 10))
    assert matcher.match(f"{noise} acme") == [1]
    assert matcher.match("halvorsen freight and acme") == [1, 2]
