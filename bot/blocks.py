"""Every message and view Undertone shows in Slack, built in one place.

Tone rules for everything here: warm, short, specific, never preachy. Nudges never quote
the message and never mention anyone but the reader.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

Block = dict[str, Any]

NUDGE_ACTIONS = {
    "nudge_fair_point": "Fair point",
    "nudge_not_customer": "Not about a customer",
    "nudge_fair_criticism": "This was fair criticism",
    "nudge_turn_off": "Turn off nudges",
}
SHARE_ACTIONS = {
    "feedback_share_text": "Share this message",
    "feedback_keep_private": "Keep it private",
}

# Nudges by what else the model heard in the message, so they fit the situation.
_NUDGES: dict[str, tuple[str, ...]] = {
    "frustration": (
        "Sounds like this account is wearing you down, and that's real. If it keeps "
        "happening, it may be worth taking to your manager: a pattern is something the "
        "team can fix together.",
        "Rough one with this customer? Venting is human. The part that may travel badly is "
        "the jab at the people; the frustration itself is fair, and your lead can help with "
        "the cause.",
        "This reads like the end of a long week with this customer. If the account is the "
        "problem, raising it with your manager can get it a plan, not just a sigh.",
    ),
    "constructive": (
        "There's a real point in your message. Aimed at the problem rather than the people "
        "(say, “their import keeps failing, could we offer a walkthrough?”), it's more "
        "likely to get fixed.",
        "Your criticism sounds fair. Framed around what went wrong instead of who they are, "
        "it tends to land better and makes it easier for others to help.",
        "Good catch on the issue. A version without the dig at the customer would be easier "
        "to turn into a ticket or a plan.",
    ),
    "other": (
        "Quick, private note: this message may read as mocking a customer. Blunt criticism "
        "is welcome here; it's the ridicule that tends to spread. Your call.",
        "Messages that poke fun at customers have a way of travelling further than "
        "intended. Would a more matter-of-fact version say the same thing?",
        "This came across as contempt for a customer. If it's a fair complaint, saying what "
        "went wrong usually works better than saying who they are.",
    ),
}


def _mrkdwn(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def _button(action_id: str, text: str, value: str, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": text},
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def nudge_family(scores: dict[str, float]) -> str:
    """Pick the kind of nudge from the strongest label after contempt."""
    others = {k: v for k, v in scores.items() if k not in ("contempt", "not_customer")}
    strongest = max(others, key=others.__getitem__) if others else "other"
    return strongest if strongest in ("frustration", "constructive") else "other"


def nudge_wording(*, scores: dict[str, float], seed: str) -> str:
    """Return the nudge text for a message, varied by a stable seed."""
    options = _NUDGES[nudge_family(scores)]
    index = int(hashlib.sha256(seed.encode()).hexdigest(), 16) % len(options)
    return options[index]


def nudge(
    *, channel_id: str, message_ts: str, scores: dict[str, float], seed: str
) -> dict[str, Any]:
    """Return the text and blocks of a private nudge about one message."""
    wording = nudge_wording(scores=scores, seed=seed)
    value = json.dumps({"c": channel_id, "ts": message_ts}, separators=(",", ":"))
    return {
        "text": wording,
        "blocks": [
            _mrkdwn(wording),
            {
                "type": "actions",
                "block_id": "nudge",
                "elements": [
                    _button(action_id, label, value) for action_id, label in NUDGE_ACTIONS.items()
                ],
            },
            _context(
                "Only you can see this. Undertone never stores what you wrote; "
                "`/undertone privacy` says what it keeps."
            ),
        ],
    }


def feedback_reply(verdict: str, *, offer_share: bool, value: str) -> dict[str, Any]:
    """Return what replaces a nudge once its author pressed a button."""
    thanks = {
        "nudge_fair_point": "Thanks for hearing it out. :pray:",
        "nudge_not_customer": "Thanks, noted: that one wasn't about a customer.",
        "nudge_fair_criticism": "Thanks, noted: that was fair criticism, not contempt.",
        "nudge_turn_off": "Nudges are off. Turn them back on any time with `/undertone nudges on`.",
    }[verdict]
    blocks = [_mrkdwn(thanks)]
    if offer_share:
        blocks += [
            _mrkdwn(
                "Would you share the text of this one message to help Undertone learn? "
                "It is kept only for improving the model, and only if you say yes."
            ),
            {
                "type": "actions",
                "block_id": "share",
                "elements": [
                    _button(
                        "feedback_share_text",
                        SHARE_ACTIONS["feedback_share_text"],
                        value,
                        "primary",
                    ),
                    _button("feedback_keep_private", SHARE_ACTIONS["feedback_keep_private"], value),
                ],
            },
        ]
    return {"text": thanks, "blocks": blocks, "replace_original": True}


def share_reply(shared: bool) -> dict[str, Any]:
    """Return the answer to the share-or-keep-private choice."""
    text = (
        "Thank you. The text of that one message was saved for improving the model."
        if shared
        else "Understood. Nothing more was saved."
    )
    return {"text": text, "blocks": [_mrkdwn(text)], "replace_original": True}


def once_per(hours: int) -> str:
    """Return how often a nudge may come, for "at most one …": "a day", "a week"."""
    named = {24: "a day", 48: "every two days", 168: "a week"}
    return named.get(hours, "an hour" if hours == 1 else f"every {hours} hours")


def channel_notice(*, min_group: int, nudge_hours: int = 24) -> dict[str, Any]:
    """Return the notice Undertone posts once when it joins a channel."""
    text = (
        ":wave: Hi, I'm *Undertone*. I help teams keep talking about customers honestly: "
        "blunt criticism is welcome, mockery isn't."
    )
    return {
        "text": "Hi, I'm Undertone. Here is what I do in this channel and what I keep.",
        "blocks": [
            _mrkdwn(text),
            _mrkdwn(
                "• *What I do:* read new messages here and classify their tone towards "
                "customers.\n"
                "• *What I keep:* no message text. Only the time, a label, scores and an "
                "anonymous key for the author.\n"
                "• *Who sees what:* if a message reads as contempt for a customer, only its "
                f"author may get a private nudge (at most one {once_per(nudge_hours)}). "
                "Managers and leaders see "
                f"team-level numbers covering at least {min_group} people, never names or quotes.\n"
                "• *Rather not?* `/undertone nudges off` turns nudges off for you; "
                "`/undertone opt-out` stops Undertone reading your messages at all."
            ),
            _context("`/undertone privacy` has the details. `/undertone help` lists the commands."),
        ],
    }


def privacy(
    *, min_group: int, retention_days: int | None = None, page: Sequence[str] = ()
) -> dict[str, Any]:
    """Return the privacy notice shown by `/undertone privacy`."""
    retention = (
        f"Observations are deleted after {retention_days} days; monthly totals may stay."
        if retention_days
        else "Observations are kept until an admin purges them; monthly totals may stay."
    )
    body = (
        "*What Undertone keeps about a message:* when it was posted, in which channel, a "
        "label (for example _constructive_ or _contempt_), the model's scores, the language "
        "and an anonymous key for its author (a keyed hash of your Slack id). *Never the "
        "text.* Deleting a message deletes its record.\n\n"
        "*Who sees what:*\n"
        "• *You:* any nudge about your own messages, privately. Nobody else sees nudges.\n"
        f"• *Managers:* trends for their team or channels, only when at least {min_group} "
        "people are behind a number. Never names, quotes or links to messages.\n"
        f"• *Leaders:* a monthly culture report with the same rule of at least {min_group} "
        "people per number.\n\n"
        f"*How long:* {retention}\n\n"
        "*Your choices:* `/undertone nudges off` stops nudges. `/undertone opt-out` stops "
        "Undertone reading your messages at all (`/undertone opt-in` undoes it). If a nudge "
        "was wrong, its buttons tell Undertone so; your message text is only kept if you "
        "choose to share it."
    )
    blocks = [_mrkdwn(body)]
    if page:
        blocks.append(_mrkdwn("\n".join(page)))
    return {"text": "What Undertone keeps and who sees what", "blocks": blocks}


def help_text(*, is_admin: bool) -> dict[str, Any]:
    """Return the list of commands for `/undertone help`."""
    lines = [
        "*Undertone commands*",
        "`/undertone privacy`: what Undertone keeps and who sees what",
        "`/undertone nudges off` · `/undertone nudges on`: private nudges for you",
        "`/undertone opt-out` · `/undertone opt-in`: leave your messages out of Undertone "
        "altogether, or let it read them again",
        "`/culture-report [YYYY-MM] [#channel|team]`: the culture report (leaders, admins, "
        "a team's managers)",
    ]
    if is_admin:
        lines += [
            "",
            "*For admins*",
            "`/undertone status`: queue, outbox and model status",
            "`/undertone team list|add|remove|channel|manager …`: which channels form a team "
            "and who manages it",
            "`/undertone account list|add NAME [aka ALIAS, …]`: the customer accounts the "
            "report follows",
            "`/undertone admin live|dry-run|pause [all]|resume|exclude #channel|include "
            "#channel`: what Undertone may send and read",
        ]
    return {"text": "\n".join(lines), "blocks": [_mrkdwn("\n".join(lines))]}


def simple(text: str) -> dict[str, Any]:
    """Return a one-section message."""
    return {"text": text, "blocks": [_mrkdwn(text)]}


def home(
    *,
    nudges_enabled: bool,
    min_group: int,
    opted_out: bool = False,
    nudge_hours: int = 24,
    headline: Sequence[str] = (),
    channels: Sequence[str] = (),
    who_sees_what: Sequence[str] = (),
    audit: Sequence[str] = (),
    held: Sequence[str] = (),
) -> dict[str, Any]:
    """Return the App Home view: the reader's settings, who sees what, and for leaders and
    admins this month's figures (admins also the latest audit entries)."""
    toggle = (
        _button("home_nudges_off", "Turn nudges off", "off")
        if nudges_enabled
        else _button("home_nudges_on", "Turn nudges on", "on", "primary")
    )
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Undertone"}},
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f"*Your nudges are {'on' if nudges_enabled else 'off'}.* "
                f"A nudge is a private note, at most one {once_per(nudge_hours)}, when a "
                "message of yours "
                "reads as contempt for a customer.",
            },
            "accessory": toggle,
        },
        _mrkdwn(
            "*You are opted out:* Undertone does not read your messages. "
            "`/undertone opt-in` lets it read them again."
            if opted_out
            else "*Your messages are read* for the anonymous team figures. "
            "`/undertone opt-out` leaves them out altogether."
        ),
        _mrkdwn(
            "*What Undertone keeps:* no message text; only times, labels, scores and an "
            "anonymous key per author. Managers and leaders see numbers only when at least "
            f"{min_group} people are behind them."
        ),
    ]
    if headline or channels:
        blocks.append({"type": "divider"})
        if headline:
            blocks.append(_mrkdwn("*This month so far*\n" + "\n".join(headline)))
        if channels:
            blocks.append(_mrkdwn("*Monitored channels:* " + ", ".join(channels)))
    if held:
        blocks += [
            {"type": "divider"},
            _mrkdwn(
                "*Dry run: held back in the last 7 days* (nothing was sent; "
                "`undertone outbox --dry-run` has more)\n" + "\n".join(held)[:2800]
            ),
        ]
    if who_sees_what:
        blocks += [{"type": "divider"}, _mrkdwn("\n".join(who_sees_what)[:2900])]
    if audit:
        blocks += [
            {"type": "divider"},
            _mrkdwn("*Audit log, latest entries* (`undertone audit` has all)\n" + "\n".join(audit)),
        ]
    return {"type": "home", "blocks": blocks}


def _pct(value: float) -> str:
    return f"{value * 100:.0f}%"


def trend_alert(
    *,
    team: str,
    recent_rate: float,
    baseline_rate: float,
    messages: int,
    rest_rate: float | None,
    min_group: int,
) -> dict[str, Any]:
    """Return the DM a manager gets when their team's contempt rises clearly."""
    comparison = (
        f" The rest of the organisation is at {_pct(rest_rate)}."
        if rest_rate is not None
        else " There are not enough people elsewhere in the organisation to compare."
    )
    summary = (
        f"*Heads-up about {team}:* over the last 7 days, {_pct(recent_rate)} of {messages} "
        f"messages about customers in the team's channels showed contempt, up from "
        f"{_pct(baseline_rate)} over the previous 8 weeks.{comparison}"
    )
    actions = (
        "*What tends to help*\n"
        "• Hear the team out: is one account or deadline behind this? Frustration with a "
        "difficult customer is real and worth taking seriously.\n"
        "• Turn the complaints into a plan for that customer (training for their users, one "
        "named contact on each side, clearer terms) with the account owner.\n"
        "• Say it plainly in your next team meeting: blunt criticism of customers is welcome, "
        "ridicule is not, because it spreads and it leaks out."
    )
    return {
        "text": f"Heads-up about {team}: contempt towards customers is up this week.",
        "blocks": [
            _mrkdwn(summary),
            _mrkdwn(actions),
            _context(
                f"This is a pattern, not a person: at least {min_group} people are behind these "
                "numbers, and Undertone never shares names, messages or links."
            ),
        ],
    }


def account_alert(
    *,
    account: str,
    team: str,
    recent_rate: float,
    baseline_rate: float,
    messages: int,
    people: int,
    min_group: int,
) -> dict[str, Any]:
    """Return the DM an owner team's manager gets when contempt about an account jumps."""
    summary = (
        f"*Heads-up about {account}* (an account {team} owns): over the last 7 days, "
        f"{_pct(recent_rate)} of {messages} messages about {account} across the organisation "
        f"showed contempt, up from {_pct(baseline_rate)} over the previous 8 weeks. "
        f"{people} people wrote them."
    )
    actions = (
        "*What tends to help*\n"
        f"• Find out what happened with {account} this week: an outage, an escalation, a "
        "difficult call? The people venting are usually the ones carrying the account.\n"
        f"• Agree a plan for {account} with the account owner: what the customer must change, "
        "what we will, and whether their team needs training.\n"
        "• If it keeps happening, revisit the terms of the contract rather than asking "
        "people to put up with it."
    )
    return {
        "text": f"Heads-up about {account}: contempt about this account is up this week.",
        "blocks": [
            _mrkdwn(summary),
            _mrkdwn(actions),
            _context(
                f"A pattern across at least {min_group} people, never a person: Undertone "
                "never shares names, messages or links."
            ),
        ],
    }


def trend_recovered(*, team: str, recent_rate: float) -> dict[str, Any]:
    """Return the follow-up a manager gets when the rate is back to normal."""
    text = (
        f"*Good news about {team}:* contempt towards customers is back to its usual level "
        f"({_pct(recent_rate)} over the last 7 days). Whatever the team did seems to have helped."
    )
    return {"text": text, "blocks": [_mrkdwn(text)]}


def report_refusal(*, leaders: Sequence[str]) -> dict[str, Any]:
    """Return the polite answer to someone who may not see the report."""
    who = ", ".join(f"<@{leader}>" for leader in leaders) if leaders else "your Undertone admins"
    text = (
        "The culture report is for leaders, admins and the managers of the team it covers, "
        f"because it is about groups of colleagues. If you'd like to see it, ask {who}."
    )
    return simple(text)
