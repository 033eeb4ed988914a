"""Benchmark the account mention matcher: 10,000 accounts, 20,000 Slack-like messages.

Generates fictional company names (syllables plus an industry word, some with accents,
legal forms and aliases) and lowercase messages with emoji, user mentions and links, 40%
of them mentioning 1–3 accounts written the way people write them: plain, possessive,
hyphenated, in a link label or channel name, as a bare link, or with one typo.

Run: .venv/bin/python bench/accounts.py [--accounts 10000] [--messages 20000] [--seed 7]
Prints the machine, construction time, µs per message (mean, p50, p99), recall of the
planted mentions (exact and misspelled separately) and how often a message with nothing
planted matched something anyway; then the same timing on the hand-written messages in
classifiers/data/corpus.jsonl, and how many of those match one of the fictional accounts.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.accounts.matcher import AccountMatcher, AccountName  # noqa: E402


def words(text: str) -> tuple[str, ...]:
    """Return the words of a space-separated list."""
    return tuple(text.split())


PREFIXES = words(
    "Nor Vel Kast Bren Tor Alv Mar Quin Zel Hal Cor Dra Fen Gar Lum Ost Pel Riv Sol Tam Ulv "
    "Var Wes Yar Bel Cas Del Est Hav Jun Kel Lor Mel Nim Orr Pra Sten Thal Vin Ash"
)
MIDDLES = ("", "a", "e", "i", "o", "an", "er", "il")
SUFFIXES = words(
    "dell vex tron wick stad berg ford mont gate haven ridge field sen ton ix ara eon by "
    "more stone well nova lux core"
)
INDUSTRIES = words(
    "Logistics Freight Analytics Labs Systems Partners Health Foods Energy Capital Media "
    "Group Robotics Retail Bank Insurance Studio Works Pharma Mining Airlines Textiles "
    "Dynamics Solutions"
)
LEGAL = ("Inc.", "GmbH", "AS", "Ltd", "LLC", "AB")
ACCENTS = {"o": "ö", "a": "å", "e": "é", "u": "ü"}

FILLER = words(
    "the a to and is it for on in we they can just need about renewal call moved thursday "
    "deploy prod staging ticket invoice migration dashboard latency pricing contract sso "
    "onboarding roadmap blocker release hotfix feedback churn quarter pipeline sync standup "
    "lol ugh thanks pls asap eod tomorrow today again still waiting on their admin team "
    "said wants asked broken fixed looks good ok sure maybe later next week meeting notes "
    "escalation support account customer users report export import bug logs repro steps "
    "honestly weird slow down up back after before while because config api key rotate "
    "cert expired alert pager oncall rollback shipped merged reviewed pr branch budget "
    "approved legal security review questionnaire demo trial seats upgrade downgrade plan"
)
EMOJI = (":tada:", ":eyes:", ":+1:", ":white_check_mark:", ":fire:", ":sweat_smile:", ":pray:")
EXTRAS = (
    "<@U0{n}ABC>",
    "<@W0{n}XYZ>",
    "<https://docs.internal.example/page/{n}|runbook>",
    "<https://github.com/org/repo/pull/{n}>",
    "INC-{n}",
    "#{n}",
    "`v2.{n}`",
)


@dataclass(frozen=True)
class Planted:
    """One mention written into a message: whose, and whether it carries a typo."""

    account_id: int
    typo: bool


def plain(text: str) -> str:
    """Return text lowercased and without accents, the way most people type names."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def base_word(rng: random.Random) -> str:
    return rng.choice(PREFIXES) + rng.choice(MIDDLES) + rng.choice(SUFFIXES)


def company_name(rng: random.Random) -> str:
    word = base_word(rng)
    if rng.random() < 0.05:
        vowel = rng.choice([v for v in ACCENTS if v in word] or ["x"])
        word = word.replace(vowel, ACCENTS.get(vowel, vowel), 1)
    roll = rng.random()
    if roll < 0.35:
        return word
    if roll < 0.85:
        return f"{word} {rng.choice(INDUSTRIES)}"
    if roll < 0.95:
        return f"{word} {base_word(rng)}"
    return f"{word} {rng.choice(INDUSTRIES)} {rng.choice(LEGAL)}"


def ticker(word: str) -> str:
    """Return a stock-ticker-like short form: "Havemont" is "HVMN"."""
    letters = plain(word)
    return (letters[0] + "".join(c for c in letters[1:] if c not in "aeiouy")[:3]).upper()


def aliases_for(name: str, rng: random.Random) -> tuple[str, ...]:
    first = name.split()[0]
    choices = [base_word(rng), ticker(first)]
    if " " in name:
        choices.append(first)
    return tuple(rng.sample(choices, rng.choice((1, 1, 2))))


def make_accounts(count: int, rng: random.Random) -> list[AccountName]:
    names: set[str] = set()
    accounts = []
    while len(accounts) < count:
        name = company_name(rng)
        if name in names:
            continue
        names.add(name)
        aliases = aliases_for(name, rng) if rng.random() < 0.3 else ()
        accounts.append(AccountName(len(accounts) + 1, name, aliases))
    return accounts


def misspell(word: str, rng: random.Random, known: set[str]) -> str | None:
    """Return `word` with one edit, or None when no fair typo is found."""
    for _ in range(10):
        at = rng.randrange(len(word))
        letter = rng.choice("abcdefghijklmnopqrstuvwxyz")
        edit = rng.choice(("insert", "delete", "substitute", "swap"))
        if edit == "insert":
            typo = word[:at] + letter + word[at:]
        elif edit == "delete":
            typo = word[:at] + word[at + 1 :]
        elif edit == "substitute":
            typo = word[:at] + letter + word[at + 1 :]
        else:
            at = min(at, len(word) - 2)
            typo = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
        if typo != word and len(typo) >= 6 and typo not in known:
            return typo
    return None


def mention(account: AccountName, rng: random.Random, known: set[str]) -> tuple[str, bool]:
    """Write one mention of `account` the way people do; say whether it has a typo."""
    form = rng.choice((account.name, *account.aliases))
    words = plain(form).replace(".", "").split()
    if rng.random() < 0.25:
        long_words = [i for i, word in enumerate(words) if len(word) >= 6 and word.isalpha()]
        if long_words:
            at = rng.choice(long_words)
            typo = misspell(words[at], rng, known)
            if typo:
                words[at] = typo
                return " ".join(words), True
    text = " ".join(words)
    style = rng.random()
    number = rng.randrange(1, 9999)
    if style < 0.35:
        return text, False
    if style < 0.5:
        return text + rng.choice(("'s", "’s")), False
    if style < 0.6:
        return "-".join(words), False
    if style < 0.7:
        return form, False  # as written in the CRM, accents and capitals included
    if style < 0.8:
        return f"<https://tickets.example.com/{number}|{text} ticket {number}>", False
    if style < 0.9:
        return f"<#C0{number}|{'-'.join(words)}-escalations>", False
    return f"<https://www.{''.join(words)}.com/status>", False


def make_messages(
    accounts: list[AccountName], count: int, rng: random.Random
) -> list[tuple[str, list[Planted]]]:
    known = {
        word
        for account in accounts
        for name in (account.name, *account.aliases)
        for word in plain(name).split()
    }
    messages = []
    for _ in range(count):
        target = rng.randint(100, 300)
        planted: list[Planted] = []
        parts: list[str] = []
        if rng.random() < 0.4:
            for account in rng.sample(accounts, rng.choice((1, 1, 1, 2, 2, 3))):
                text, typo = mention(account, rng, known)
                parts.append(text)
                planted.append(Planted(account.account_id, typo))
        while sum(len(part) + 1 for part in parts) < target:
            roll = rng.random()
            if roll < 0.06:
                parts.insert(rng.randrange(len(parts) + 1), rng.choice(EMOJI))
            elif roll < 0.1:
                extra = rng.choice(EXTRAS).format(n=rng.randrange(100, 99999))
                parts.insert(rng.randrange(len(parts) + 1), extra)
            else:
                parts.insert(rng.randrange(len(parts) + 1), rng.choice(FILLER))
        messages.append((" ".join(parts), planted))
    return messages


def timed_matches(matcher: AccountMatcher, texts: list[str]) -> tuple[list[list[int]], str]:
    """Match every text; return the results and a line of timings."""
    timings: list[float] = []
    results: list[list[int]] = []
    for text in texts:
        started = time.perf_counter_ns()
        results.append(matcher.match(text))
        timings.append((time.perf_counter_ns() - started) / 1000)
    timings.sort()
    line = (
        f"mean {statistics.mean(timings):.1f} µs, p50 {timings[len(timings) // 2]:.1f} µs, "
        f"p99 {timings[int(len(timings) * 0.99)]:.1f} µs per message"
    )
    return results, line


def recall_lines(messages: list[tuple[str, list[Planted]]], results: list[list[int]]) -> list[str]:
    """Return recall of the planted mentions, and how often nothing planted matched anyway."""
    hits = {False: 0, True: 0}
    totals = {False: 0, True: 0}
    unplanted = unplanted_hits = 0
    for (_, planted), result in zip(messages, results, strict=True):
        if not planted:
            unplanted += 1
            unplanted_hits += bool(result)
        for one in planted:
            totals[one.typo] += 1
            hits[one.typo] += one.account_id in result
    lines = []
    for typo, label in ((False, "exact"), (True, "misspelled")):
        share = hits[typo] / totals[typo] if totals[typo] else 0.0
        lines.append(f"recall {label}: {hits[typo]}/{totals[typo]} = {share:.1%}")
    lines.append(
        f"messages with nothing planted that matched an account: {unplanted_hits}/{unplanted}"
    )
    return lines


def corpus_lines(matcher: AccountMatcher) -> list[str]:
    """Run the hand-written training messages, which name none of the fictional accounts."""
    path = ROOT / "classifiers" / "data" / "corpus.jsonl"
    if not path.exists():
        return [f"(no {path.relative_to(ROOT)}, skipped the real-text check)"]
    texts = [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines()]
    results, timing = timed_matches(matcher, texts)
    matched = sum(1 for result in results if result)
    return [
        f"real text ({path.relative_to(ROOT)}, {len(texts)} messages, 7 languages): {timing}",
        f"real messages that matched a fictional account (look-alike names, words one typo "
        f"from a name): {matched}/{len(texts)}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    accounts = make_accounts(args.accounts, rng)
    messages = make_messages(accounts, args.messages, rng)
    started = time.perf_counter()
    matcher = AccountMatcher(accounts)
    built = time.perf_counter() - started
    results, timing = timed_matches(matcher, [text for text, _ in messages])

    aliased = sum(1 for account in accounts if account.aliases)
    mean_length = statistics.mean(len(text) for text, _ in messages)
    planted = sum(1 for _, mentions in messages if mentions)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print(f"accounts: {len(matcher)} ({aliased} with aliases)")
    print(f"construction: {built:.2f} s")
    print(f"messages: {len(messages)}, {mean_length:.0f} chars on average, {planted} with mentions")
    print(f"match: {timing}")
    for line in (*recall_lines(messages, results), *corpus_lines(matcher)):
        print(line)


if __name__ == "__main__":
    main()
