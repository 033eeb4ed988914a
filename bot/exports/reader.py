"""Read a Slack workspace export (zip or folder) as a stream of messages.

The standard layout: `channels.json` (public), `groups.json` (private), `dms.json` and
`mpims.json` (direct messages, which Undertone never reads), `users.json`, and one folder
per channel holding a `YYYY-MM-DD.json` list of messages per day. Day files are parsed
incrementally, so memory stays flat however large the export is, and a zip is read in
place, never unpacked to disk. Damaged parts are skipped, named and counted.

An Enterprise Grid organisation export keeps that layout at its root for the org-wide
channels (with `org_users.json` in place of `users.json`) and puts each workspace in a
folder of its own under `teams/`. The root is read as usual; the workspace folders are
not, and are named as a problem so the run says it is partial.
"""

from __future__ import annotations

import json
import logging
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

import ijson

from bot.errors import InputError

log = logging.getLogger(__name__)

_DAY_FILE = re.compile(r"^(?P<folder>[^/]+)/(?P<day>\d{4}-\d{2}-\d{2})\.json$")
_GRID_MARKERS = ("org_users.json", "workspaces.json")
_GRID_WORKSPACES = "teams/"


@dataclass(frozen=True)
class ExportChannel:
    """A conversation in the export."""

    id: str
    name: str
    folder: str
    kind: str  # public, private, dm, mpim

    @property
    def monitored(self) -> bool:
        """Tell whether Undertone reads this kind of conversation (channels, not DMs)."""
        return self.kind in ("public", "private")


@dataclass
class Problems:
    """Files that could not be read, with why."""

    items: list[tuple[str, str]] = field(default_factory=list)

    def add(self, name: str, reason: str) -> None:
        """Record a problem with a file and log it."""
        self.items.append((name, reason))
        log.warning("%s: %s", name, reason)

    def __len__(self) -> int:
        return len(self.items)


class SlackExport:
    """A Slack export archive or folder, read lazily."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems = Problems()
        if path.is_dir():
            self._zip: zipfile.ZipFile | None = None
            names = [p.relative_to(path).as_posix() for p in path.rglob("*.json") if p.is_file()]
        elif path.is_file():
            try:
                self._zip = zipfile.ZipFile(path)
            except (zipfile.BadZipFile, OSError) as exc:
                raise InputError(f"{path} is not a readable zip archive ({exc})") from None
            except Exception as exc:  # noqa: BLE001 - zipfile raises many things on garbage
                raise InputError(
                    f"{path} is not a readable zip archive ({type(exc).__name__})"
                ) from None
            names = []
            for info in self._zip.infolist():
                if info.is_dir():
                    continue
                if not _safe(info.filename):
                    self.problems.add(info.filename, "entry points outside the archive")
                    continue
                names.append(info.filename)
        else:
            raise InputError(f"no export at {path}")
        self._channels: list[ExportChannel] | None = None
        self.root = _common_root(names)
        self.names = {n[len(self.root) :] for n in names if n.endswith(".json")}
        grid = next((m for m in _GRID_MARKERS if m in self.names), None)
        if grid is not None:
            self._note_grid(grid)

    def _note_grid(self, marker: str) -> None:
        """Record, in one line, what of an Enterprise Grid org export is not analysed."""
        workspaces = sorted(
            {
                n.split("/")[1]
                for n in self.names
                if n.startswith(_GRID_WORKSPACES) and n.count("/") >= 2
            }
        )
        if not workspaces:
            self.problems.add(
                marker,
                "an Enterprise Grid organisation export: only its org-wide channels are analysed",
            )
            return
        shown = ", ".join(workspaces[:5]) + (", …" if len(workspaces) > 5 else "")
        self.problems.add(
            _GRID_WORKSPACES,
            f"Enterprise Grid workspace folders are not supported: {len(workspaces)} "
            f"workspace(s) left out ({shown}), only the org-wide channels are analysed; "
            "export each workspace on its own to include it",
        )

    def close(self) -> None:
        """Release the archive."""
        if self._zip is not None:
            self._zip.close()

    def __enter__(self) -> SlackExport:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _open(self, name: str) -> IO[bytes]:
        full = self.root + name
        if self._zip is not None:
            return self._zip.open(full)
        return (self.path / full).open("rb")

    def size(self, name: str) -> int:
        """Return a file's uncompressed size in bytes."""
        full = self.root + name
        if self._zip is not None:
            return int(self._zip.getinfo(full).file_size)
        return (self.path / full).stat().st_size

    def fingerprint(self, name: str) -> str:
        """Return what identifies this version of a file (so a changed file is re-read)."""
        full = self.root + name
        if self._zip is not None:
            info = self._zip.getinfo(full)
            return f"{info.file_size}:{info.CRC:08x}"
        stat = (self.path / full).stat()
        return f"{stat.st_size}:{stat.st_mtime_ns}"

    def _load_small(self, name: str) -> Any:
        """Load a small top-level JSON file (channels.json, users.json…)."""
        try:
            with self._open(name) as handle:
                return json.load(handle)
        except (ValueError, OSError, zipfile.BadZipFile) as exc:
            self.problems.add(name, f"not valid JSON ({exc.__class__.__name__})")
            return None

    def workspace_id(self) -> str | None:
        """Return the Slack team id found in users.json, if any."""
        if "users.json" not in self.names:
            return None
        users = self._load_small("users.json")
        if isinstance(users, list):
            for user in users:
                if isinstance(user, dict) and isinstance(user.get("team_id"), str):
                    return str(user["team_id"])
        return None

    def channels(self) -> list[ExportChannel]:
        """Return every conversation in the export; DMs are listed but not monitored."""
        if self._channels is None:
            self._channels = self._read_channels()
        return self._channels

    def _read_channels(self) -> list[ExportChannel]:
        found: dict[str, ExportChannel] = {}
        for file, kind in (
            ("channels.json", "public"),
            ("groups.json", "private"),
            ("dms.json", "dm"),
            ("mpims.json", "mpim"),
        ):
            if file not in self.names:
                if file == "channels.json":
                    self.problems.add(file, "missing; channels are taken from the folder names")
                continue
            data = self._load_small(file)
            if not isinstance(data, list):
                if data is not None:
                    self.problems.add(file, "not a list of channels")
                continue
            for entry in data:
                if not isinstance(entry, dict) or not entry.get("id"):
                    continue
                name = str(entry.get("name") or entry["id"])
                # Exports keep each channel's messages in a folder named after it.
                folder = name if kind in ("public", "private") else str(entry["id"])
                found[folder] = ExportChannel(str(entry["id"]), name, folder, kind)
        for folder in sorted({m.group("folder") for n in self.names if (m := _DAY_FILE.match(n))}):
            if folder not in found:
                found[folder] = ExportChannel(f"export:{folder}", folder, folder, "public")
        return sorted(found.values(), key=lambda c: c.name)

    def day_files(self, channel: ExportChannel) -> list[str]:
        """Return a channel's day files, oldest first."""
        return sorted(
            n
            for n in self.names
            if (m := _DAY_FILE.match(n)) and m.group("folder") == channel.folder
        )

    def messages(self, day_file: str) -> Iterator[dict[str, Any]]:
        """Yield the messages of one day file, parsing as it reads."""
        try:
            with self._open(day_file) as handle:
                first = handle.read(1)
                while first and first.isspace():
                    first = handle.read(1)
                if first != b"[":
                    self.problems.add(day_file, "not a list of messages")
                    return
                stream = _Prepend(first, handle)
                for item in ijson.items(stream, "item", use_float=True):
                    if isinstance(item, dict):
                        yield item
        except (ijson.JSONError, ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
            self.problems.add(day_file, f"not valid JSON ({exc.__class__.__name__})")


class _Prepend:
    """A readable stream that first returns bytes already read."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self.head = head
        self.rest = rest

    def read(self, size: int = -1) -> bytes:
        if size == 0:
            return b""  # parsers probe with read(0) to learn bytes from text
        if self.head:
            data, self.head = self.head, b""
            if size < 0:
                return data + self.rest.read()
            return data + self.rest.read(max(0, size - len(data)))
        return self.rest.read(size)


def _safe(name: str) -> bool:
    path = PurePosixPath(name)
    return not path.is_absolute() and ".." not in path.parts and "\\" not in name


def _common_root(names: list[str]) -> str:
    """Return the folder every entry sits in (zips often wrap the export in one)."""
    tops = {n.split("/", 1)[0] for n in names if "/" in n}
    if len(tops) == 1 and not any("/" not in n for n in names):
        top = next(iter(tops))
        inner = [n[len(top) + 1 :] for n in names]
        if any(n in ("channels.json", "users.json", *_GRID_MARKERS) for n in inner):
            return top + "/"
    return ""
