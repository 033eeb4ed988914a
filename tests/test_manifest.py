"""The Slack app manifest parses and asks for every scope, event and command the code uses."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = yaml.safe_load((ROOT / "slack-manifest.yml").read_text())

# Web API methods, and the bot scopes Slack requires for them (from Slack's method docs).
SCOPES_FOR_METHOD = {
    "chat.postEphemeral": {"chat:write"},
    "chat.postMessage": {"chat:write"},
    "conversations.history": {"channels:history", "groups:history"},
    "conversations.replies": {"channels:history", "groups:history"},
    "conversations.info": {"channels:read", "groups:read"},
    "conversations.open": {"im:write"},
    "users.info": {"users:read"},
    "files_upload_v2": {"files:write"},
    "views.publish": set(),
    "auth.test": set(),
}


def _source() -> str:
    return "\n".join(p.read_text() for p in (ROOT / "bot").rglob("*.py"))


def _methods_used() -> set[str]:
    source = _source()
    found = set(re.findall(r'method="([a-z_.A-Z0-9]+)"', source))
    found |= {
        m.replace("_", ".", 1)
        for m in re.findall(r"client\.([a-z]+_[a-zA-Z0-9_]+)\(", source)
        if m not in ("api_call", "files_upload_v2")  # generic call; upload handled below
    }
    found |= set(re.findall(r"\.(files_upload_v2)\(", source))
    return found


def test_manifest_names_every_scope_the_code_needs() -> None:
    scopes = set(MANIFEST["oauth_config"]["scopes"]["bot"])
    used = _methods_used()
    assert used, "found no Slack calls in the code"
    unknown = used - set(SCOPES_FOR_METHOD)
    assert not unknown, f"add these methods to SCOPES_FOR_METHOD: {unknown}"
    for method in used:
        missing = SCOPES_FOR_METHOD[method] - scopes
        assert not missing, f"{method} needs {missing}"
    assert "commands" in scopes


def test_manifest_subscribes_to_the_events_the_listeners_handle() -> None:
    events = set(MANIFEST["settings"]["event_subscriptions"]["bot_events"])
    source = _source()
    handled = set(re.findall(r'app\.event\("([a-z_]+)"\)', source))
    assert "message" in handled
    assert {"message.channels", "message.groups"} <= events
    for event in handled - {"message"}:
        assert event in events, event


def test_manifest_declares_the_slash_commands() -> None:
    commands = {c["command"] for c in MANIFEST["features"]["slash_commands"]}
    registered = set(re.findall(r'app\.command\("(/[a-z-]+)"\)', _source()))
    assert registered <= commands
    assert "/undertone" in commands and "/culture-report" in commands


def test_socket_mode_and_interactivity_are_on() -> None:
    assert MANIFEST["settings"]["socket_mode_enabled"] is True
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is True
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"] is True


def test_dockerfile_runs_as_non_root_with_cpu_torch_and_migrates_first() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu" in dockerfile
    assert re.search(r"^USER (?!root)\w+", dockerfile, re.MULTILINE)
    assert "undertone db upgrade && exec undertone run" in dockerfile
