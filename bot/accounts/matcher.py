"""Find the customer accounts a Slack message mentions, by name or alias.

Names and messages are compared word by word after casefolding and stripping accents, so
"Nyström" is "nystrom". A name matches as whole words only; a multi-word name may be
written with spaces, hyphens, underscores or dots between its words, or run together
("halvorsenfreight", as in a domain). Plurals and possessives count ("Acme's"), and so
does one typo in a word of six letters or more ("Halvorson"), unless the typed word is a
common English word or itself a word of some account's name. Link labels, channel names
and the site name of a bare link are read; user mentions and emoji are not. Trailing legal
forms ("Inc.", "GmbH") are dropped from names, since people write "acme" for "Acme, Inc.".

Matching costs a few dictionary lookups per word of the message, never a loop over the
accounts, and what each distinct word resolves to is remembered.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

# Words of a name shorter than this must be typed exactly; typed words too.
_MIN_FUZZY_LENGTH = 6
# Distinct message words whose lookup is remembered before the memory starts over.
_MEMO_SIZE = 50_000

# Every character that is not a letter or digit becomes a word separator. Separators that
# may sit inside a multi-word name ("halvorsen-freight") become spaces; the others become
# `_BREAK`, a word of its own that no name contains, so a name never spans "halvorsen, freight".
_BREAK = ","
_JOINERS = " \t._-"
_SYMBOLS = frozenset("&+")  # kept as words: "AT&T", "Procter & Gamble"


def _ascii_table() -> dict[int, str | None]:
    # One character for one, so `str.translate` takes its fast path; `_split` spaces them out.
    table: dict[int, str | None] = {}
    for code in range(128):
        char = chr(code)
        if char.isalnum():
            table[code] = char.lower()
        elif char in _JOINERS:
            table[code] = " "
        elif char in _SYMBOLS:
            table[code] = char
        elif char == "'":
            table[code] = None  # "acme's" reads as "acmes", a plural; "l'oréal" as "loreal"
        else:
            table[code] = _BREAK
    return table


_WORD_TABLE = str.maketrans(_ascii_table())
# Letters that carry no combining mark to strip, and apostrophes that are not ASCII.
_LETTER_TABLE = str.maketrans(
    {
        "ø": "o",
        "đ": "d",
        "ð": "d",
        "ł": "l",
        "ħ": "h",
        "ı": "i",
        "ŧ": "t",
        "æ": "ae",
        "œ": "oe",
        "þ": "th",
        "’": "'",
        "‘": "'",
        "ʼ": "'",
        "\u2010": "-",  # hyphen
        "\u2011": "-",  # non-breaking hyphen
    }
)
_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_OTHER_PUNCTUATION = re.compile(r"[^\w\s\x00-\x7f]")
_CONTROL = re.compile(r"<([^<>\n]*)>")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_HOST = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://(?:[^/?#@]*@)?([^/?#:\[\]]+)")
# `:tada:`, `:+1:`, `:skin-tone-2:`, but not the middle of "10:30:45" (the colon comes first
# so the regex engine can search for it quickly).
_EMOJI = re.compile(r":(?<!\w:)[\w+'-]+:(?!\w)")
# Second-level labels under a country code: the site name is one label further left.
_SECOND_LEVEL = frozenset({"co", "com", "net", "org", "ac", "gov", "edu", "ltd", "plc", "or", "ne"})

_LEGAL_FORMS = frozenset(
    """
    inc incorporated llc llp lp ltd limited corp corporation co plc gmbh ag kg sa sas sarl
    srl spa bv nv oy oyj ab as asa aps pty pte kk
    """.split()
)

# Typed words that are never read as a typo of a name: "latter" is not "Matter".
_COMMON_WORDS = frozenset(
    """
    across action actions actual actually advice affect agenda agreed almost already always
    amount answer answers anyone anything anyway appear approve around arrive asking attach
    august backup battle batter became become before behind better beyond bigger billing
    bottom branch breaking bridge bright broken budget button called cancel cannot careful
    center centre chance change changed changes channel charge cheers choice client clients
    closed coffee column coming comment comments common config contact content context
    contract copies corner couple course create created credit current custom customer
    customers dashboard debugging decide decision defect delete deliver demand denied deploy
    deployed design detail details device dinner direct doctor dollar dollars domain double
    during easier effect effort either emails ending energy engine enough entire errors
    escalate escape events everyone exactly except expect expected expert export extend
    failed family faster father feature features figure filter finally finance finish
    follow forget format forward friday friend friends further future garden gather getting
    github google ground growth handle happen happened harder having health helped higher
    history holiday honest hoping import income indeed inside insert instead intent invite
    invoice invoices issues itself joined latest latter launch lawyer leader length lesson
    letter letters likely limits linked listen little living loaded locale locked logged
    looked looking lovely mainly making manage manager manual margin market master matter
    matters meeting meetings member memory merged method middle minute minutes mirror mobile
    modern moment monday mother moving myself nearly needed network nobody normal notice
    number numbers object office online option options orange others output parent people
    period person picture planet player please plenty pocket points policy portal prefer
    pretty prices pricing printer priority problem problems process product profit proper
    public pulled pushed quarter rather reader really reason recent record reduce region
    release remote remove render repeat replied report reports request result results retail
    return review reward runner safety saying school screen script search season second
    secure select seller senior series server service setting settings settle should signal
    silver simple single sister slower smooth source speaker special spring staging status
    steady street stream strong submit summer summit supply support surely switch system
    systems tables target thanks things thought thread ticket tickets timely timing today
    tomorrow toward travel trying tuesday turned twenty unless update updated upload useful
    valley vendor vision volume wanted weekly weekend window winter within without wonder
    worker working worried writer yellow yesterday yourself
    """.split()
)


@dataclass(frozen=True)
class AccountName:
    """A customer account and the names people call it by."""

    account_id: int
    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Phrase:
    """A name whose first word is already matched: the words that must follow, and whose it is."""

    rest: tuple[str, ...]
    account_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class _Resolved:
    """What one typed word can stand for.

    `words` maps each name word it can be to whether that needs a plural or possessive
    ending dropped (allowed only at the end of a name); `starts` are the names it can begin.
    """

    words: dict[str, bool]
    starts: tuple[tuple[_Phrase, bool], ...]


_NOTHING = _Resolved({}, ())


class _Memo:
    """What typed words resolve to, and which of them can begin a name.

    A full memo is replaced, never cleared, so a match running in another thread keeps a
    consistent one.
    """

    __slots__ = ("resolved", "starting")

    def __init__(self) -> None:
        self.resolved: dict[str, _Resolved] = {}
        self.starting: set[str] = set()


class AccountMatcher:
    """Find the accounts a Slack message mentions, by name or alias."""

    def __init__(self, accounts: Iterable[AccountName]) -> None:
        """Index the names and aliases of `accounts`; names without letters are ignored."""
        owners: dict[tuple[str, ...], set[int]] = {}
        account_ids: set[int] = set()
        for account in accounts:
            account_ids.add(account.account_id)
            for name in (account.name, *account.aliases):
                for form in _name_forms(name):
                    owners.setdefault(form, set()).add(account.account_id)
        self._size = len(account_ids)
        self._starts: dict[str, list[_Phrase]] = {}
        for form, ids in owners.items():
            self._starts.setdefault(form[0], []).append(_Phrase(form[1:], tuple(sorted(ids))))
        self._vocabulary = frozenset(word for form in owners for word in form)
        self._near = _deletion_index(word for word in self._vocabulary if _may_be_typo(word))
        self._memo = _Memo()

    def __len__(self) -> int:
        """Return the number of accounts."""
        return self._size

    def match(self, text: str) -> list[int]:
        """Return the ids of the accounts a raw Slack message (mrkdwn) mentions, sorted, unique."""
        if not self._starts or not text:
            return []
        memo = self._memo
        if len(memo.resolved) >= _MEMO_SIZE:
            memo = self._memo = _Memo()
        words = _message_words(text)
        distinct = set(words)
        for word in distinct.difference(memo.resolved):
            self._remember(word, memo)
        # Set operations keep the common case, a message naming no account, out of Python loops.
        found: set[int] = set()
        for first in distinct & memo.starting:
            found.update(_accounts_named(first, words, memo))
        return sorted(found)

    def _remember(self, word: str, memo: _Memo) -> None:
        resolved = self._lookup(word)
        memo.resolved[word] = resolved
        if resolved.starts:
            memo.starting.add(word)

    def _lookup(self, word: str) -> _Resolved:
        spellings = _spellings(word)
        words = {form: plural for form, plural in spellings if form in self._vocabulary}
        if not words and word not in _COMMON_WORDS:
            # Only a word that is no name word at all may be a typo of one.
            for form, plural in spellings:
                if _may_be_typo(form) and form not in _COMMON_WORDS:
                    for near in self._typo_of(form):
                        words.setdefault(near, plural)
        if not words:
            return _NOTHING
        starts = tuple(
            (phrase, plural)
            for name_word, plural in words.items()
            for phrase in self._starts.get(name_word, ())
        )
        return _Resolved(words, starts)

    def _typo_of(self, word: str) -> list[str]:
        """Return the name words one edit away from `word`."""
        near = self._near
        candidates = set(near.get(word, ()))
        for index in range(len(word)):
            found = near.get(word[:index] + word[index + 1 :])
            if found:
                candidates.update(found)
        # People rarely mistype the first letter of a name, while ordinary words one edit
        # from a name often differ there ("skeleton" is not a typo of "Keleton").
        return [
            name_word
            for name_word in candidates
            if name_word[0] == word[0] and _one_edit_apart(word, name_word)
        ]


def _accounts_named(first: str, words: list[str], memo: _Memo) -> Iterator[int]:
    """Yield the ids of the names that begin with the word `first` and are whole in `words`."""
    positions: list[int] | None = None
    for phrase, plural in memo.resolved[first].starts:
        if phrase.rest:
            if plural:
                continue  # "halvorsen's freight" is not "Halvorsen Freight"
            if positions is None:
                positions = _positions(words, first)
            if not any(_continues(phrase.rest, words, at, memo) for at in positions):
                continue
        yield from phrase.account_ids


def _positions(words: list[str], word: str) -> list[int]:
    """Return where `word` occurs in `words` (searching in C for the usual single hit)."""
    if words.count(word) == 1:
        return [words.index(word)]
    return [index for index, each in enumerate(words) if each == word]


def _continues(rest: tuple[str, ...], words: list[str], at: int, memo: _Memo) -> bool:
    """Tell whether the words after position `at` are the rest of a name."""
    if at + len(rest) >= len(words):
        return False
    last = len(rest) - 1
    for offset, expected in enumerate(rest):
        plural = memo.resolved[words[at + 1 + offset]].words.get(expected)
        if plural is None or (plural and offset < last):
            return False
    return True


def _message_words(text: str) -> list[str]:
    """Split raw Slack mrkdwn into the folded words a reader sees, with `_BREAK` between phrases."""
    if "<" in text:
        text = _CONTROL.sub(_visible, text)
    if "&" in text:
        text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    if ":" in text:
        text = _EMOJI.sub(f" {_BREAK} ", text)
    return _split(_fold(text))


def _fold(text: str) -> str:
    """Casefold and strip accents; ASCII text needs nothing here (the word table lowercases)."""
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKD", text).casefold().translate(_LETTER_TABLE)
    if text.isascii():
        return text
    return _OTHER_PUNCTUATION.sub(f" {_BREAK} ", _MARKS.sub("", text))


def _split(folded: str) -> list[str]:
    """Return the words of folded text, with separators that break a name as words too."""
    text = folded.translate(_WORD_TABLE)
    for separate in (_BREAK, *_SYMBOLS):
        if separate in text:
            text = text.replace(separate, f" {separate} ")
    return text.split()


def _visible(control: re.Match[str]) -> str:
    """Return the words a reader sees for one `<…>` control sequence."""
    target, _, label = control.group(1).partition("|")
    if target.startswith("@"):
        return f" {_BREAK} "  # a person, never an account
    if label:
        return f" {_BREAK} {label} {_BREAK} "
    if target.startswith(("#", "!")):
        return f" {_BREAK} "  # a bare channel or broadcast id carries no words
    if _SCHEME.match(target):
        return f" {_BREAK} {_site_name(target)} {_BREAK} "
    return f" {_BREAK} {target} {_BREAK} "


def _site_name(url: str) -> str:
    """Return the main label of a link's domain: "globex" for www.globex.co.uk."""
    if url[:7].lower() == "mailto:":
        host = url[7:].partition("?")[0].rpartition("@")[2]
    else:
        found = _HOST.match(url)
        host = found.group(1) if found else ""
    labels = [label for label in host.lower().split(".") if label]
    if labels and labels[0] == "www":
        labels = labels[1:]
    if not labels or labels[-1].isdigit():
        return ""  # no host, or an IP address
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        return labels[-3]
    return labels[-2] if len(labels) >= 2 else labels[0]


def _name_forms(name: str) -> set[tuple[str, ...]]:
    """Return the word sequences that mean `name`; none if it has no letters."""
    words = [word for word in _split(_fold(name)) if word != _BREAK]
    while words and words[-1] in _SYMBOLS:
        words.pop()
    while words and words[0] in _SYMBOLS:
        words.pop(0)
    short = list(words)
    while len(short) > 1 and (short[-1] in _LEGAL_FORMS or short[-1] in _SYMBOLS):
        short.pop()
    forms = {tuple(short)}
    for sequence in (words, short):
        letters = [word for word in sequence if word not in _SYMBOLS]
        joined = "".join(letters)
        if len(letters) > 1 and len(joined) >= _MIN_FUZZY_LENGTH:
            forms.add((joined,))
    return {form for form in forms if any(char.isalpha() for word in form for char in word)}


def _spellings(word: str) -> list[tuple[str, bool]]:
    """Return `word` and, flagged, what it is without a plural or possessive ending."""
    spellings = [(word, False)]
    if len(word) >= 3 and word[-1] == "s" and word[-2] != "s":
        spellings.append((word[:-1], True))
        if word.endswith("ies") and len(word) >= 5:
            spellings.append((word[:-3] + "y", True))
        elif word.endswith(("ses", "xes", "zes", "ches", "shes")):
            spellings.append((word[:-2], True))
    elif word.endswith("ss") and len(word) >= 4:
        spellings.append((word[:-1], True))  # "nordics's" written as "nordicss"
    return spellings


def _may_be_typo(word: str) -> bool:
    return len(word) >= _MIN_FUZZY_LENGTH and word.isalpha()


def _deletions(word: str) -> set[str]:
    return {word[:index] + word[index + 1 :] for index in range(len(word))}


def _deletion_index(words: Iterable[str]) -> dict[str, list[str]]:
    """Index each word under itself and every string one deletion from it.

    Two words one edit apart always share a key, so a typed word's own keys find its
    candidates; `_one_edit_apart` then drops the pairs that are two edits apart.
    """
    index: dict[str, list[str]] = {}
    for word in words:
        for key in {word, *_deletions(word)}:
            index.setdefault(key, []).append(word)
    return index


def _one_edit_apart(first: str, second: str) -> bool:
    """Tell whether one insertion, deletion, substitution or adjacent swap makes them equal."""
    if len(first) > len(second):
        first, second = second, first
    if len(second) - len(first) > 1 or first == second:
        return False
    same = 0
    while same < len(first) and first[same] == second[same]:
        same += 1
    if len(first) < len(second):
        return first[same:] == second[same + 1 :]
    if first[same + 1 :] == second[same + 1 :]:
        return True
    return (
        same + 1 < len(first)
        and first[same] == second[same + 1]
        and first[same + 1] == second[same]
        and first[same + 2 :] == second[same + 2 :]
    )


EMPTY = AccountMatcher(())
