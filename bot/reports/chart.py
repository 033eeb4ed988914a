"""The 12-month trend chart, as a PNG."""

from __future__ import annotations

import io

from bot.reports.report import MonthlyReport

# Teams drawn besides the organisation line; more would be unreadable.
MAX_TEAM_LINES = 5


def trend_png(report: MonthlyReport) -> bytes:
    """Draw the contempt rate per month for the organisation and its teams."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.ticker import PercentFormatter

    months = [
        p.month.first_day().strftime("%b\n%Y")
        if p.month.month == 1 or i == 0
        else p.month.first_day().strftime("%b")
        for i, p in enumerate(report.trend)
    ]
    xs = list(range(len(report.trend)))
    figure, axes = plt.subplots(figsize=(8, 3.4), dpi=150)
    teams = [t.name for t in report.teams if not t.suppressed][:MAX_TEAM_LINES]
    for name in teams:
        values = [p.teams.get(name) for p in report.trend]
        axes.plot(
            xs,
            [float("nan") if v is None else v for v in values],
            marker="o",
            markersize=3,
            linewidth=1.2,
            alpha=0.8,
            label=name,
        )
    overall = [float("nan") if p.overall is None else p.overall for p in report.trend]
    axes.plot(
        xs,
        overall,
        color="#1f2933",
        linewidth=2.6,
        marker="o",
        markersize=4,
        label="Whole organisation",
    )
    axes.set_xticks(xs, months, fontsize=8)
    axes.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    axes.set_ylim(bottom=0)
    axes.set_ylabel("contempt rate", fontsize=9)
    axes.set_title(f"Contempt towards customers, last {len(xs)} months", fontsize=11, loc="left")
    axes.grid(axis="y", alpha=0.3)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()
