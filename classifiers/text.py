"""Slack mrkdwn to plain text, the one text preparation every path shares.

Slack sends message text with only `&`, `<` and `>` escaped, control sequences in
angle brackets (`<@U…>`, `<#C…|name>`, `<url|label>`, `<!here>`), mrkdwn styles and
emoji as `:shortcodes:`. The model should read what a person reads, so mentions become
`@name`, links become their label, emoji become words, code blocks become a marker and
quoted lines are kept but marked as quotes (quoting a rude customer is not contempt).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

CODE_MARKER = "[code]"

_CODE_BLOCK = re.compile(r"```(.*?)```", re.DOTALL)
_CONTROL = re.compile(r"<([^<>\n]*)>")
_INLINE_CODE = re.compile(r"`([^`\n]+)`")
# A style marker opens after start/space/punctuation and closes before end/space/punctuation,
# so snake_case_names and 2*3*4 survive.
_STYLE = {
    marker: re.compile(
        rf"(?<![\w{re.escape(marker)}]){re.escape(marker)}(?=\S)(.+?)(?<=\S){re.escape(marker)}(?![\w{re.escape(marker)}])"
    )
    for marker in ("*", "_", "~")
}
_EMOJI = re.compile(
    r"(?<![\w:]):(\+1|-1|[a-z0-9_'+-]*[a-z][a-z0-9_'+-]*):(?::skin-tone-[2-6]:)?(?![\w])"
)
_SPACES = re.compile(r"[ \t\u00a0]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_QUOTE_LINE = re.compile(r"^(?:&gt;|>)\s?(.*)$")


@dataclass(frozen=True)
class Link:
    """A link in a message: its target and the label shown, if any."""

    url: str
    text: str | None


@dataclass
class PreparedText:
    """Plain text for the model plus the entities found on the way."""

    text: str
    users: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)
    usergroups: list[str] = field(default_factory=list)
    broadcasts: list[str] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    emoji: list[str] = field(default_factory=list)
    has_code: bool = False
    has_quote: bool = False


def decode_entities(text: str) -> str:
    """Undo Slack's three escapes, `&amp;` last so `&amp;lt;` stays `&lt;`."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _host(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme == "mailto":
        return parts.path
    return parts.netloc or url


def _control(content: str, found: PreparedText) -> str:
    """Render one `<…>` control sequence as a reader would see it."""
    target, _, label = content.partition("|")
    label_text = decode_entities(label) if label else ""
    if target.startswith("@"):
        found.users.append(target[1:])
        return f"@{label_text}" if label_text else "@someone"
    if target.startswith("#"):
        found.channels.append(target[1:])
        return f"#{label_text}" if label_text else "#channel"
    if target.startswith("!"):
        command = target[1:]
        if command.startswith("subteam^"):
            found.usergroups.append(command.split("^", 1)[1])
            return label_text if label_text.startswith("@") else f"@{label_text or 'team'}"
        if command.startswith("date^"):
            return label_text or "a date"
        if command in ("here", "channel", "everyone", "group"):
            found.broadcasts.append("channel" if command == "group" else command)
            return f"@{'channel' if command == 'group' else command}"
        return label_text or command
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target):
        found.links.append(Link(url=decode_entities(target), text=label_text or None))
        return label_text or _host(decode_entities(target))
    # Not a control sequence Slack would send; keep it as typed.
    return f"<{content}>"


def _emoji_word(match: re.Match[str], found: PreparedText) -> str:
    name = match.group(1)
    found.emoji.append(name)
    words = name.replace("_", " ").replace("-", " ").strip()
    return {"+1": "thumbs up", "-1": "thumbs down"}.get(name, words)


def _unstyle(text: str) -> str:
    for _ in range(3):  # styles nest, e.g. ~_*x*_~
        before = text
        for pattern in _STYLE.values():
            text = pattern.sub(r"\1", text)
        if text == before:
            break
    return text


def prepare(raw: str) -> PreparedText:
    """Turn raw Slack mrkdwn into the plain text the model reads."""
    found = PreparedText(text="")
    if not raw:
        return found

    def code_block(match: re.Match[str]) -> str:
        found.has_code = True
        return f" {CODE_MARKER} "

    text = _CODE_BLOCK.sub(code_block, raw)

    lines = []
    for line in text.split("\n"):
        quoted = _QUOTE_LINE.match(line)
        if quoted:
            found.has_quote = True
            inner = quoted.group(1).strip()
            lines.append(f"“{inner}”" if inner else "")
        else:
            lines.append(line)
    text = "\n".join(lines)

    text = _CONTROL.sub(lambda m: _control(m.group(1), found), text)
    text = _INLINE_CODE.sub(r"\1", text)
    text = _unstyle(text)
    text = _EMOJI.sub(lambda m: _emoji_word(m, found), text)
    text = decode_entities(text)
    text = _SPACES.sub(" ", text)
    text = _BLANK_LINES.sub("\n\n", "\n".join(line.strip() for line in text.split("\n")))
    found.text = text.strip()
    return found


def prepare_text(raw: str) -> str:
    """Return only the plain text of `prepare`."""
    return prepare(raw).text
