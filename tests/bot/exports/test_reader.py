"""Reading Slack exports: real archives as they are, and damaged ones without giving up."""

from __future__ import annotations

import io
import json
import tracemalloc
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from bot.errors import InputError
from bot.exports.reader import SlackExport
from bot.ingest.normalize import Skipped, normalize
from tests.conftest import REAL_WORLD

HFARAN = REAL_WORLD / "export" / "hfaran-slack-export-viewer"
ZULIP = REAL_WORLD / "export" / "zulip-slack-fixtures"


def tally(export: SlackExport) -> tuple[int, Counter[str], list[str]]:
    reasons: Counter[str] = Counter()
    texts = []
    total = 0
    for channel in export.channels():
        for day in export.day_files(channel):
            for message in export.messages(day):
                total += 1
                result = normalize(message, channel_id=channel.id)
                if isinstance(result, Skipped):
                    reasons[result.reason] += 1
                else:
                    reasons["kept"] += 1
                    texts.append(result.text)
    return total, reasons, texts


@pytest.mark.parametrize("path", [HFARAN / "testarchive.zip", HFARAN], ids=["zip", "folder"])
def test_a_real_2016_export_zip_and_folder_read_alike(path: Path) -> None:
    with SlackExport(path) as export:
        assert [(c.name, c.kind) for c in export.channels()] == [
            ("enrique", "public"),
            ("traveling-sailor", "public"),
        ]
        assert sum(len(export.day_files(c)) for c in export.channels()) == 17
        assert export.workspace_id() == "T0BMHLSRH"
        total, reasons, texts = tally(export)
        assert not export.problems
    assert total == 158
    assert reasons == Counter(
        {
            "subtype bot_message": 94,
            "kept": 50,
            "subtype channel_join": 8,
            "subtype bot_add": 3,
            "no text": 3,
        }
    )
    # A comment on a file is a person's words; "<@U…> uploaded a file" is not.
    assert not any("uploaded a file" in t for t in texts)
    assert any("commented" not in t and "Holmesville" in t for t in texts)


def test_an_export_without_channels_json_is_read_from_its_folders() -> None:
    with SlackExport(ZULIP / "test_slack_importer") as export:
        channels = export.channels()
        total, reasons, _ = tally(export)
        problems = dict(export.problems.items)
    assert [c.name for c in channels] == ["random"]
    assert problems == {"channels.json": "missing; channels are taken from the folder names"}
    assert total == 13
    # Eight messages, plus the comment typed with a legacy file upload.
    assert reasons == Counter({"kept": 9, "subtype channel_join": 4})


def test_dms_and_group_dms_are_listed_but_never_read() -> None:
    with SlackExport(ZULIP) as export:
        kinds = Counter(c.kind for c in export.channels())
        monitored = [c.name for c in export.channels() if c.monitored]
    assert kinds == Counter({"public": 4, "dm": 4, "mpim": 3})
    assert sorted(monitored) == ["feedback", "general", "general1", "random"]


def _fixture_messages() -> list[tuple[str, dict]]:
    found = []
    for path in sorted((ZULIP / "exported_messages_fixtures").glob("message*.json")) + sorted(
        (ZULIP / "exported_messages_fixtures").glob("*thread*.json")
    ):
        data = json.loads(path.read_text())
        found += [(path.stem, m) for m in (data if isinstance(data, list) else [data])]
    return found


def test_threads_and_broadcasts_from_real_messages() -> None:
    kept = {}
    for name, message in _fixture_messages():
        result = normalize(message, channel_id="C1")
        if not isinstance(result, Skipped):
            kept[(name, result.ts)] = result
    broadcast = [m for (name, _), m in kept.items() if name == "thread_with_broadcast_reply"]
    assert len(broadcast) == 3
    assert sum(m.thread_ts is not None for m in broadcast) == 2
    assert all(m.text.strip() for m in kept.values())
    assert len(kept) == 19


def _words(text: str) -> set[str]:
    # Blocks name channels and people only by id, so "#general" and "#channel" are alike.
    return {w[0] if w[0] in "#@" else w for w in text.lower().split()}


def test_rich_text_blocks_say_what_the_text_says() -> None:
    """A message with only blocks (no `text`) reads the same as its `text` would."""
    from bot.ingest.normalize import rich_text_to_mrkdwn
    from classifiers.text import prepare_text

    checked = 0
    for _, message in _fixture_messages():
        if not message.get("blocks") or not message.get("text"):
            continue
        from_text = _words(prepare_text(message["text"]))
        from_blocks = _words(prepare_text(rich_text_to_mrkdwn(message["blocks"])))
        overlap = len(from_text & from_blocks) / max(1, len(from_text | from_blocks))
        assert overlap >= 0.75, (message["text"], from_blocks)
        checked += 1
    assert checked >= 10


def _zip(tmp_path: Path, files: dict[str, bytes | str]) -> Path:
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


CHANNELS = json.dumps([{"id": "C1", "name": "general"}])


def _day(*messages: dict) -> str:
    return json.dumps(list(messages))


def test_damaged_parts_are_named_skipped_and_counted(tmp_path: Path) -> None:
    good = {
        "type": "message",
        "user": "U1",
        "text": "acme renewal call on thursday",
        "ts": "1700000000.000100",
    }
    path = _zip(
        tmp_path,
        {
            "channels.json": CHANNELS,
            "general/2023-11-14.json": _day(
                good, {"type": "message", "user": "U1", "text": "no ts here"}
            ),
            "general/2023-11-15.json": "{not json",
            "general/2023-11-16.json": json.dumps({"not": "a list"}),
            "general/2023-11-17.json": "[" + json.dumps(good) + ", {broken",
            "../../escape.json": "[]",
        },
    )
    with SlackExport(path) as export:
        _, reasons, _ = tally(export)
        problems = dict(export.problems.items)
    assert reasons["kept"] == 2  # one from the 14th, one before the 17th broke off
    assert reasons["no ts"] == 1
    assert set(problems) == {
        "../../escape.json",
        "general/2023-11-15.json",
        "general/2023-11-16.json",
        "general/2023-11-17.json",
    }
    assert problems["../../escape.json"] == "entry points outside the archive"
    assert problems["general/2023-11-16.json"] == "not a list of messages"
    assert not (tmp_path.parent / "escape.json").exists()


def test_a_corrupt_zip_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.zip"
    path.write_bytes(b"PK\x03\x04 this is not really a zip")
    with pytest.raises(InputError, match="is not a readable zip archive"):
        SlackExport(path)


def grid_export(tmp_path: Path) -> Path:
    """Build an Enterprise Grid org export: org-wide channels at the root, workspaces in teams/."""
    said = {"type": "message", "user": "W0AAAAAA1", "text": "acme signed the renewal"}
    day = _day({**said, "ts": "1700000000.000100"}, {**said, "ts": "1700000100.000100"})
    workspace = {
        "channels.json": json.dumps([{"id": "C9", "name": "deals"}]),
        "users.json": json.dumps([{"id": "W0AAAAAA1", "team_id": "T0SALES"}]),
        "groups.json": "[]",
        "dms.json": "[]",
        "mpims.json": "[]",
        "deals/2023-11-14.json": day,
    }
    return _zip(
        tmp_path,
        {
            "org_users.json": json.dumps([{"id": "W0AAAAAA1", "name": "kim"}]),
            "channels.json": json.dumps([{"id": "C1", "name": "announcements"}]),
            "groups.json": "[]",
            "dms.json": json.dumps([{"id": "D1", "members": ["W0AAAAAA1"]}]),
            "mpims.json": "[]",
            "announcements/2023-11-14.json": day,
            "D1/2023-11-14.json": day,
            **{f"teams/sales/{name}": data for name, data in workspace.items()},
            **{f"teams/support/{name}": data for name, data in workspace.items()},
        },
    )


def test_an_enterprise_grid_export_reads_its_org_wide_channels_and_names_the_rest(
    tmp_path: Path,
) -> None:
    with SlackExport(grid_export(tmp_path)) as export:
        monitored = [c for c in export.channels() if c.monitored]
        read = sum(len(list(export.messages(d))) for c in monitored for d in export.day_files(c))
        problems = list(export.problems.items)
    assert [c.name for c in monitored] == ["announcements"]
    assert read == 2
    assert problems == [
        (
            "teams/",
            "Enterprise Grid workspace folders are not supported: 2 workspace(s) left out "
            "(sales, support), only the org-wide channels are analysed; export each workspace "
            "on its own to include it",
        )
    ]


def test_a_huge_day_file_is_streamed_in_flat_memory(tmp_path: Path) -> None:
    message = {
        "type": "message",
        "user": "U1",
        "text": "acme renewal " + "x" * 1000,
        "ts": "1700000000.000100",
    }
    buffer = io.StringIO()
    buffer.write("[")
    count = 40_000  # about 45 MB of JSON
    for i in range(count):
        buffer.write(("," if i else "") + json.dumps({**message, "ts": f"1700000000.{i:06d}"}))
    buffer.write("]")
    path = _zip(tmp_path, {"channels.json": CHANNELS, "general/2023-11-14.json": buffer.getvalue()})
    del buffer
    tracemalloc.start()
    seen = 0
    with SlackExport(path) as export:
        for _ in export.messages("general/2023-11-14.json"):
            seen += 1
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert seen == count
    assert peak < 20 * 1024 * 1024  # a fraction of the file
