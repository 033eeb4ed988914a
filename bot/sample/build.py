"""Build the bundled sample export from the hand-written message bank.

`messages.jsonl` holds 3,061 messages written for Quillon, a fictional 25-person software
company, channel by channel and month by month (May to October 2026), with the label each
was written to carry. This script turns them into a Slack export exactly as Slack lays one
out (channels.json, users.json, one JSON file per channel per day, threads, joins, a bot,
edits), deterministically, so the same bank always gives the same archive.

    python -m bot.sample.build            # writes bot/sample/quillon-export.zip
"""

from __future__ import annotations

import calendar
import io
import json
import random
import sys
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
BANK = HERE / "messages.jsonl"
ARCHIVE = HERE / "quillon-export.zip"
TEAM_ID = "T0QUILLON"
SEED = 2026
# Zip entries get this fixed time, so the archive is byte-for-byte reproducible.
ZIP_TIME = (2026, 11, 2, 9, 0, 0)


@dataclass(frozen=True)
class Person:
    """Someone at Quillon."""

    id: str
    name: str
    team: str
    lang: str = "en"
    tz: str = "Europe/Oslo"

    @property
    def email(self) -> str:
        return self.name.lower().replace(" ", ".") + "@quillon.example"


PEOPLE = (
    Person("U0QIMP001", "Astrid Lunde", "implementation"),
    Person("U0QIMP002", "Jonas Berg", "implementation"),
    Person("U0QIMP003", "Priya Raman", "implementation"),
    Person("U0QIMP004", "Tom Okafor", "implementation"),
    Person("U0QIMP005", "Sara Nyström", "implementation"),
    Person("U0QIMP006", "Mikkel Dahl", "implementation"),
    Person("U0QIMP007", "Lena Vogt", "implementation"),
    Person("U0QSUP001", "Hannah Reyes", "support"),
    Person("U0QSUP002", "Diego Hernández", "support", "es", "America/Mexico_City"),
    Person("U0QSUP003", "Valeria Cruz", "support", "es", "America/Mexico_City"),
    Person("U0QSUP004", "Mateo Ríos", "support", "es", "America/Mexico_City"),
    Person("U0QSUP005", "Oliver Grant", "support"),
    Person("U0QSUP006", "Nora Haugen", "support"),
    Person("U0QSAL006", "Ben Carter", "sales"),
    Person("U0QENG001", "Kai Müller", "engineering", "de", "Europe/Berlin"),
    Person("U0QENG002", "Ravi Shah", "engineering"),
    Person("U0QENG003", "Emma Lindqvist", "engineering"),
    Person("U0QENG004", "Daniel Kim", "engineering"),
    Person("U0QENG005", "Ida Solberg", "engineering"),
    Person("U0QENG006", "Felix Brandt", "engineering"),
    Person("U0QSAL001", "Camille Moreau", "sales", "fr", "Europe/Paris"),
    Person("U0QSAL002", "Erik Holm", "sales"),
    Person("U0QSAL003", "Grace Liu", "sales"),
    Person("U0QSAL004", "Marcus Webb", "sales"),
    Person("U0QSAL005", "Ingeborg Ness", "sales"),
)

CHANNELS = {
    "implementation": (
        "C0QIMPL01",
        "implementation",
        "Onboarding and configuration for new customers",
    ),
    "halvorsen-rollout": (
        "C0QHALV01",
        "implementation",
        "Halvorsen Freight rollout, phase 1 and 2",
    ),
    "support": ("C0QSUPP01", "support", "Support team chatter and ticket help"),
    "support-escalations": ("C0QESCA01", "support", "Escalated customer tickets"),
    "eng-platform": ("C0QENGP01", "engineering", "Platform engineering"),
    "eng-incidents": ("C0QINCI01", "engineering", "Incidents and postmortems"),
    "account-mgmt": ("C0QACCT01", "sales", "Accounts, renewals and QBRs"),
    "general": ("C0QGENE01", "*", "Company-wide announcements and chatter"),
}
BOT = {"bot_id": "B0QJIRA01", "username": "Jira", "subtype": "bot_message"}


def working_days(year: int, month: int) -> list[date]:
    """Return the weekdays of a month."""
    days = calendar.monthrange(year, month)[1]
    return [d for d in (date(year, month, n) for n in range(1, days + 1)) if d.weekday() < 5]


def _ts(moment: datetime, serial: int) -> str:
    return f"{int(moment.timestamp())}.{serial % 1_000_000:06d}"


def _members(team: str) -> list[Person]:
    return [p for p in PEOPLE if team in ("*", p.team)]


def _author(rng: random.Random, team: str, lang: str) -> Person:
    candidates = [p for p in _members(team) if p.lang == lang] or _members(team)
    if lang == "en":
        candidates = [p for p in _members(team) if p.lang == "en"] or candidates
    return rng.choice(candidates)


def _mentions(rng: random.Random, text: str, team: str, author: Person) -> str:
    others = [p for p in _members(team) if p.id != author.id]
    while "<@USER>" in text:
        text = text.replace("<@USER>", f"<@{rng.choice(others).id}>", 1)
    return text


def build_days(bank: list[dict[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Turn the bank into Slack messages grouped by (channel folder, day)."""
    rng = random.Random(SEED)
    by_block: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for entry in bank:
        by_block[(entry["channel"], entry["month"])].append(entry)
    days: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    serial = 0
    for (channel, month), entries in sorted(by_block.items()):
        team = CHANNELS[channel][1]
        year, number = (int(x) for x in month.split("-"))
        calendar_days = working_days(year, number)
        # Threads (a root and its replies) stay together on one day.
        threads: list[list[dict[str, Any]]] = []
        for entry in entries:
            if entry["reply"] and threads:
                threads[-1].append(entry)
            else:
                threads.append([entry])
        for index, thread in enumerate(threads):
            day = calendar_days[
                min(len(calendar_days) - 1, index * len(calendar_days) // len(threads))
            ]
            start = datetime(day.year, day.month, day.day, 7, 30, tzinfo=UTC) + timedelta(
                minutes=rng.randint(0, 9 * 60)
            )
            root_ts = None
            root_message: dict[str, Any] | None = None
            for position, entry in enumerate(thread):
                serial += 1
                moment = start + timedelta(minutes=position * rng.randint(1, 25))
                author = _author(rng, team, entry["lang"])
                message: dict[str, Any] = {
                    "type": "message",
                    "user": author.id,
                    "text": _mentions(rng, entry["text"], team, author),
                    "ts": _ts(moment, serial),
                    "user_profile": {
                        "real_name": author.name,
                        "display_name": author.name.split()[0],
                    },
                }
                if position == 0:
                    root_ts, root_message = message["ts"], message
                else:
                    message["thread_ts"] = root_ts
                    message["parent_user_id"] = root_message["user"] if root_message else author.id
                if rng.random() < 0.03:
                    message["edited"] = {
                        "user": author.id,
                        "ts": _ts(moment + timedelta(minutes=2), serial),
                    }
                days[(channel, moment.date().isoformat())].append(message)
            if root_message is not None and len(thread) > 1:
                replies = [
                    m
                    for m in days[(channel, start.date().isoformat())]
                    if m.get("thread_ts") == root_ts
                ]
                root_message["thread_ts"] = root_ts
                root_message["reply_count"] = len(replies)
                root_message["reply_users"] = sorted({m["user"] for m in replies})
                root_message["replies"] = [{"user": m["user"], "ts": m["ts"]} for m in replies]
    _add_system_messages(days, rng)
    for messages in days.values():
        messages.sort(key=lambda m: float(m["ts"]))
    return days


def _add_system_messages(
    days: dict[tuple[str, str], list[dict[str, Any]]], rng: random.Random
) -> None:
    """Add what real exports contain besides people talking: joins and a Jira bot."""
    first_day = date(2026, 5, 4)
    for channel, (_, team, _) in CHANNELS.items():
        for offset, person in enumerate(_members(team)[:8]):
            moment = datetime(
                first_day.year, first_day.month, first_day.day, 7, 0, tzinfo=UTC
            ) + timedelta(minutes=offset)
            days[(channel, first_day.isoformat())].append(
                {
                    "type": "message",
                    "subtype": "channel_join",
                    "user": person.id,
                    "text": f"<@{person.id}> has joined the channel",
                    "ts": _ts(moment, 900_000 + offset),
                }
            )
    for week in range(26):
        moment = datetime(2026, 5, 4, 6, 0, tzinfo=UTC) + timedelta(weeks=week)
        days[("eng-incidents", moment.date().isoformat())].append(
            {
                "type": "message",
                **BOT,
                "text": "",
                "ts": _ts(moment, 950_000 + week),
                "attachments": [
                    {"fallback": f"Weekly on-call summary #{week + 1}: {rng.randint(0, 6)} pages"}
                ],
            }
        )


def write_archive(days: dict[tuple[str, str], list[dict[str, Any]]], path: Path) -> None:
    """Write the export zip, byte-for-byte the same for the same input."""
    users = [
        {
            "id": p.id,
            "team_id": TEAM_ID,
            "name": p.name.lower().replace(" ", "."),
            "real_name": p.name,
            "tz": p.tz,
            "deleted": False,
            "is_bot": False,
            "profile": {"real_name": p.name, "display_name": p.name.split()[0], "email": p.email},
        }
        for p in PEOPLE
    ]
    channels = [
        {
            "id": channel_id,
            "name": name,
            "created": 1714000000,
            "creator": PEOPLE[0].id,
            "is_archived": False,
            "is_general": name == "general",
            "members": [p.id for p in _members(team)],
            "topic": {"value": "", "creator": "", "last_set": 0},
            "purpose": {"value": purpose, "creator": PEOPLE[0].id, "last_set": 1714000000},
        }
        for name, (channel_id, team, purpose) in CHANNELS.items()
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:

        def put(name: str, data: Any) -> None:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, json.dumps(data, ensure_ascii=False, indent=1))

        put("users.json", users)
        put("channels.json", channels)
        for (channel, day), messages in sorted(days.items()):
            put(f"{channel}/{day}.json", messages)
    path.write_bytes(buffer.getvalue())


def load_bank(path: Path = BANK) -> list[dict[str, Any]]:
    """Read the message bank."""
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def main(argv: list[str]) -> int:
    target = Path(argv[0]) if argv else ARCHIVE
    bank = load_bank()
    days = build_days(bank)
    write_archive(days, target)
    total = sum(len(m) for m in days.values())
    print(f"{target}: {len(bank)} written messages, {total} messages in all, {len(days)} day files")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
