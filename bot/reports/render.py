"""The report as text, Markdown, HTML (one self-contained page), Slack blocks and JSON."""

from __future__ import annotations

import base64
import html
import json
from typing import Any

from bot.reports.report import MonthlyReport, Row
from bot.reports.suppression import NOT_ENOUGH_PEOPLE

FORMATS = ("text", "markdown", "html", "json")


def pct(value: float | None) -> str:
    """Format a rate as a percentage, or a dash when withheld or absent."""
    return "–" if value is None else f"{value * 100:.1f}%"


def points(value: float | None) -> str:
    """Format a change in rate as signed percentage points."""
    if value is None:
        return "–"
    return f"{value * 100:+.1f} pts"


def headline(report: MonthlyReport) -> str:
    """Return the one sentence a leader reads first."""
    overall = report.overall
    if not report.has_data:
        return f"Nothing was observed in {report.month.label()}."
    if overall.suppressed:
        return (
            f"In {report.month.label()} fewer than {report.min_group} people wrote about "
            "customers in monitored channels: not enough people to report."
        )
    rate = overall.contempt_rate
    sentence = (
        f"In {report.month.label()}, {pct(rate)} of {overall.cell.about_customers:,} messages "
        f"about customers showed contempt"
    )
    before = overall.previous_contempt_rate
    if before is None:
        return sentence + "."
    change = overall.change or 0.0
    direction = "up" if change > 0.0005 else "down" if change < -0.0005 else "unchanged"
    if direction == "unchanged":
        return sentence + f", the same as the month before ({pct(before)})."
    return sentence + f", {direction} from {pct(before)} the month before ({points(change)})."


def _cells(row: Row) -> list[str]:
    if row.suppressed:
        return [row.name, NOT_ENOUGH_PEOPLE, "", "", "", "", ""]
    return [
        row.name,
        f"{row.cell.about_customers:,}",
        str(row.cell.authors),
        pct(row.contempt_rate),
        pct(row.previous_contempt_rate),
        points(row.change),
        pct(row.cell.constructive_share),
    ]


HEADERS = [
    "",
    "Messages about customers",
    "People",
    "Contempt",
    "Last month",
    "Change",
    "Constructive",
]


WEEKS_TITLE = "Week by week"
WEEKS_NOTE = (
    "Contempt rate per ISO week (Monday to Sunday); the first and last weeks hold only "
    "their days in this month."
)


def week_table(report: MonthlyReport) -> list[list[str]]:
    """Return the week-by-week contempt rates of the organisation and each team: a header
    row of weeks, then one row per group ("–" where nothing was said that week)."""
    if not report.weeks or not report.has_data:
        return []
    header = [""] + [f"{w.week.label[5:]} ({w.week.dates()})" for w in report.weeks]
    table = [header, [report.overall.name] + [_week_cell(w.overall) for w in report.weeks]]
    for team in report.teams:
        table.append([team.name] + [_week_cell(w.team(team.key)) for w in report.weeks])
    return table


def _week_cell(row: Row | None) -> str:
    if row is None or not row.cell.scored + row.cell.unsupported:
        return "–"
    return NOT_ENOUGH_PEOPLE if row.suppressed else pct(row.contempt_rate)


def _facts(report: MonthlyReport) -> list[str]:
    facts = []
    overall = report.overall
    if not overall.suppressed and overall.cell.constructive_share is not None:
        facts.append(
            f"Constructive criticism: {pct(overall.cell.constructive_share)} of messages about "
            "customers (blunt is fine; it is ridicule that harms)."
        )
    if report.unsupported_share is not None:
        facts.append(
            f"Messages in languages Undertone cannot yet score: {pct(report.unsupported_share)} "
            "(not counted above)."
        )
    improved = report.improved()
    if improved:
        facts.append(
            "Improved most: " + ", ".join(f"{t.name} ({points(t.change)})" for t in improved) + "."
        )
    return facts


def account_sections(report: MonthlyReport) -> list[tuple[str, list[str]]]:
    """Return the account sections: a title and one line per account."""
    if not report.accounts:
        return []
    drawing = [
        f"{row.name}: {pct(row.contempt_rate)} contempt in {row.cell.about_customers:,} "
        f"messages about it ({points(row.change)} since last month); "
        f"{row.trend_text()}"
        + (f"; talked about most in {', '.join(row.teams_talking)}" if row.teams_talking else "")
        + f". Suggested: {row.action}"
        for row in report.accounts_drawing_contempt()
    ] or ["No account draws notable contempt this month."]
    sections = [("Accounts drawing the most contempt", drawing)]
    turning = [
        f"{row.name}: last month {pct(row.previous_frustration_share)} of messages about it were "
        f"frustration; contempt is now {pct(row.contempt_rate)} ({points(row.change)}). "
        f"Suggested: {row.action}"
        for row in report.accounts_turning()
    ]
    if turning:
        sections.append(("Early warning: frustration turning into contempt", turning))
    better = [
        f"{row.name}: contempt is down to {pct(row.contempt_rate)}; {row.trend_text()}. "
        f"Suggested: {row.action}"
        for row in report.accounts_recovering()
    ]
    if better:
        sections.append(("Accounts where things got better", better))
    return sections


def _footer(report: MonthlyReport) -> str:
    return (
        f"Every number covers at least {report.min_group} people; smaller groups show as "
        f"\u201c{NOT_ENOUGH_PEOPLE}\u201d. Undertone keeps no message text and never reports on a "
        "person."
    )


def to_text(report: MonthlyReport) -> str:
    """Render as plain text for a terminal."""
    lines = [
        f"Culture report: {report.month.label()} — {report.workspace_name}",
        "",
        *([report.scope_note, ""] if report.scope_note else []),
        headline(report),
        "",
    ]
    lines += [f"- {fact}" for fact in _facts(report)]
    for title, rows in (("Teams", report.teams), ("Channels", report.channels)):
        if not rows:
            continue
        table = [HEADERS[:1] + HEADERS[1:]] + [_cells(r) for r in rows]
        table[0][0] = title
        widths = [max(len(row[i]) for row in table) for i in range(len(HEADERS))]
        lines.append("")
        for number, row in enumerate(table):
            lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
            if number == 0:
                lines.append("  ".join("-" * w for w in widths))
    weeks = week_table(report)
    if weeks:
        weeks[0][0] = WEEKS_TITLE
        widths = [max(len(row[i]) for row in weeks) for i in range(len(weeks[0]))]
        lines += ["", WEEKS_NOTE, ""]
        for number, row in enumerate(weeks):
            lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
            if number == 0:
                lines.append("  ".join("-" * w for w in widths))
    for title, items in account_sections(report):
        lines += ["", f"{title}:"] + [f"- {item}" for item in items]
    lines += ["", "What to do with this:"] + [f"- {tip}" for tip in report.advice()]
    lines += ["", _footer(report)]
    return "\n".join(lines) + "\n"


def to_markdown(report: MonthlyReport) -> str:
    """Render as Markdown."""
    lines = [
        f"# Culture report: {report.month.label()}",
        "",
        f"*{report.workspace_name}*",
        "",
        *([report.scope_note, ""] if report.scope_note else []),
        f"**{headline(report)}**",
        "",
    ]
    lines += [f"- {fact}" for fact in _facts(report)]
    for title, rows in (("Teams", report.teams), ("Channels", report.channels)):
        if not rows:
            continue
        lines += ["", f"## {title}", "", "| " + " | ".join([title[:-1], *HEADERS[1:]]) + " |"]
        lines.append("|" + "---|" * len(HEADERS))
        for row in rows:
            cells = [c.replace("|", "\\|") for c in _cells(row)]
            lines.append("| " + " | ".join(cells) + " |")
    weeks = week_table(report)
    if weeks:
        lines += ["", f"## {WEEKS_TITLE}", "", WEEKS_NOTE, ""]
        for number, cells in enumerate(weeks):
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
            if number == 0:
                lines.append("|" + "---|" * len(cells))
    for title, items in account_sections(report):
        lines += ["", f"## {title}", ""] + [f"- {item}" for item in items]
    lines += ["", "## What to do with this", ""] + [f"- {tip}" for tip in report.advice()]
    lines += ["", f"_{_footer(report)}_", ""]
    return "\n".join(lines)


_CSS = """
body { font: 15px/1.5 -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       color: #1f2933; max-width: 980px; margin: 2.5rem auto; padding: 0 1.5rem; }
h1 { font-size: 1.7rem; margin-bottom: .2rem; }
h2 { font-size: 1.15rem; margin-top: 2rem; }
.org { color: #616e7c; margin-top: 0; }
.headline { font-size: 1.2rem; font-weight: 600; margin: 1.2rem 0; }
ul.facts li { margin: .25rem 0; }
img.chart { width: 100%; max-width: 900px; border: 1px solid #e4e7eb; border-radius: 6px; }
table { border-collapse: collapse; width: 100%; font-size: .92rem; margin-top: .5rem; }
th, td { text-align: right; padding: .45rem .6rem; border-bottom: 1px solid #e4e7eb; }
th:first-child, td:first-child { text-align: left; }
th { background: #f5f7fa; font-weight: 600; }
td.withheld { color: #9aa5b1; font-style: italic; text-align: left; }
.up { color: #b42318; } .down { color: #027a48; }
footer { margin-top: 2.5rem; color: #616e7c; font-size: .85rem;
         border-top: 1px solid #e4e7eb; padding-top: .8rem; }
@media print { body { margin: 0; max-width: none; font-size: 11pt; } h2 { break-after: avoid; }
  table, img.chart { break-inside: avoid; } }
"""


def _html_table(title: str, rows: list[Row]) -> str:
    head = "".join(f"<th>{html.escape(h or title[:-1])}</th>" for h in HEADERS)
    body = []
    for row in rows:
        if row.suppressed:
            body.append(
                f"<tr><td>{html.escape(row.name)}</td><td class='withheld' colspan='6'>"
                f"{html.escape(NOT_ENOUGH_PEOPLE)}</td></tr>"
            )
            continue
        cells = _cells(row)
        change_class = "up" if (row.change or 0) > 0 else "down" if (row.change or 0) < 0 else ""
        tds = [f"<td>{html.escape(cells[0])}</td>"] + [
            f"<td class='{change_class if i == 5 else ''}'>{html.escape(c)}</td>"
            for i, c in enumerate(cells[1:], start=1)
        ]
        body.append("<tr>" + "".join(tds) + "</tr>")
    rows_html = "".join(body)
    return (
        f"<h2>{html.escape(title)}</h2>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{rows_html}</tbody></table>"
    )


def _html_weeks(report: MonthlyReport) -> str:
    weeks = week_table(report)
    if not weeks:
        return ""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in weeks[0])
    body = "".join(
        "<tr>"
        + f"<td>{html.escape(row[0])}</td>"
        + "".join(
            f"<td class='withheld'>{html.escape(c)}</td>"
            if c == NOT_ENOUGH_PEOPLE
            else f"<td>{html.escape(c)}</td>"
            for c in row[1:]
        )
        + "</tr>"
        for row in weeks[1:]
    )
    return (
        f"<h2>{html.escape(WEEKS_TITLE)}</h2><p class='org'>{html.escape(WEEKS_NOTE)}</p>"
        f"<table class='weeks'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def to_html(report: MonthlyReport, chart_png: bytes | None = None) -> str:
    """Render one self-contained HTML page (the chart is inlined) that prints well."""
    chart = (
        f"<img class='chart' alt='Contempt rate over the last {len(report.trend)} months' "
        f"src='data:image/png;base64,{base64.b64encode(chart_png).decode()}'>"
        if chart_png
        else ""
    )
    facts = "".join(f"<li>{html.escape(f)}</li>" for f in _facts(report))
    tables = "".join(
        _html_table(t, rows)
        for t, rows in (("Teams", report.teams), ("Channels", report.channels))
        if rows
    ) + _html_weeks(report)
    tips = "".join(f"<li>{html.escape(t)}</li>" for t in report.advice())
    accounts = "".join(
        f"<h2>{html.escape(title)}</h2><ul class='accounts'>"
        + "".join(f"<li>{html.escape(item)}</li>" for item in items)
        + "</ul>"
        for title, items in account_sections(report)
    )
    title = f"Culture report: {report.month.label()}"
    scope = f"<p class='org'>{html.escape(report.scope_note)}</p>" if report.scope_note else ""
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)} — {html.escape(report.workspace_name)}</title>"
        f"<style>{_CSS}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p class='org'>{html.escape(report.workspace_name)}</p>"
        f"{scope}<p class='headline'>{html.escape(headline(report))}</p>"
        f"<ul class='facts'>{facts}</ul>{chart}{tables}{accounts}"
        f"<h2>What to do with this</h2><ul>{tips}</ul>"
        f"<footer>{html.escape(_footer(report))} "
        f"Generated {report.generated_at:%Y-%m-%d %H:%M} UTC.</footer>"
        "</body></html>\n"
    )


def to_json(report: MonthlyReport) -> str:
    """Render the stable JSON shape."""
    return json.dumps(report.as_json(), indent=2, ensure_ascii=False) + "\n"


def to_blocks(report: MonthlyReport) -> dict[str, Any]:
    """Render as a Slack message (text fallback plus Block Kit)."""
    lines = []
    # Asked about one channel: show its row (and its siblings') under its team's.
    rows = [*report.teams, *(report.channels if report.scope_note else [])]
    for row in rows:
        name = ("  " if row.kind == "channel" else "") + row.name
        if row.suppressed:
            lines.append(f"{name[:24]:<24}  {NOT_ENOUGH_PEOPLE}")
        else:
            lines.append(
                f"{name[:24]:<24}  {pct(row.contempt_rate):>6}  {points(row.change):>10}  "
                f"{row.cell.about_customers:>6,} msgs"
            )
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": f"Culture report: {report.month.label()}"},
        },
        *(
            [{"type": "context", "elements": [{"type": "mrkdwn", "text": report.scope_note}]}]
            if report.scope_note
            else []
        ),
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{headline(report)}*"}},
    ]
    facts = _facts(report)
    if facts:
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": "\n".join(f"• {f}" for f in facts)},
            }
        )
    if lines:
        header = f"{'Team':<24}  {'Contempt':>6}  {'Change':>10}  {'Volume':>11}"
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "```" + "\n".join([header, *lines])[:2900] + "```",
                },
            }
        )
    for title, items in account_sections(report):
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": (f"*{title}*\n" + "\n".join(f"• {i}" for i in items))[:2900],
                },
            }
        )
    blocks.append(
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "*What to do with this*\n" + "\n".join(f"• {t}" for t in report.advice()),
            },
        }
    )
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _footer(report)}]})
    return {"text": headline(report), "blocks": blocks}


def render(report: MonthlyReport, fmt: str, *, chart_png: bytes | None = None) -> str:
    """Render in one of FORMATS."""
    if fmt == "text":
        return to_text(report)
    if fmt == "markdown":
        return to_markdown(report)
    if fmt == "html":
        return to_html(report, chart_png)
    if fmt == "json":
        return to_json(report)
    raise ValueError(f"unknown format {fmt!r}")
