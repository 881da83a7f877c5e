"""Write a run's report: PNG plots, a Markdown page, an HTML page and the raw data."""

import html
import json
from dataclasses import dataclass
from pathlib import Path

import matplotlib

# Reports are written on servers and in CI, where there is no display.
matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FuncFormatter, MaxNLocator

from sim.config import SimConfig
from sim.policies import Policy
from sim.runner import SimResults
from sim.summary import PolicySummary

# Distribution plots stay legible up to about this many policies.
MAX_SHOWN = 8


def money(cents: float) -> str:
    """Format an amount in cents as currency units with two places."""
    whole = round(cents)
    sign = "-" if whole < 0 else ""
    units, rest = divmod(abs(whole), 100)
    return f"{sign}{units:,}.{rest:02d}"


def percent(share: float, places: int = 2) -> str:
    """Format a share as a percentage."""
    return f"{100 * share:.{places}f}%"


def pareto_front(summaries: list[PolicySummary]) -> list[int]:
    """Return the indices of policies no other policy beats on turnover and risk.

    Risk is the season CVaR; more turnover and less risk are both better.
    """
    front = []
    for i, s in enumerate(summaries):
        dominated = any(
            o.turnover_per_season >= s.turnover_per_season
            and o.season_cvar <= s.season_cvar
            and (
                o.turnover_per_season > s.turnover_per_season
                or o.season_cvar < s.season_cvar
            )
            for o in summaries
        )
        if not dominated:
            front.append(i)
    return front


def shown_policies(summaries: list[PolicySummary]) -> list[int]:
    """Pick the policies the distribution plots show: baselines, then the front."""
    chosen = [i for i, s in enumerate(summaries) if not s.grid]
    # Spread the remaining places evenly along the front, from cautious to bold.
    front = sorted(
        (i for i in pareto_front(summaries) if i not in chosen),
        key=lambda i: summaries[i].turnover_per_season,
    )
    room = MAX_SHOWN - len(chosen)
    if room > 0 and front:
        picks = np.linspace(0, len(front) - 1, min(room, len(front)))
        chosen += sorted({front[round(x)] for x in picks})
    for i in range(len(summaries)):
        if len(chosen) >= min(MAX_SHOWN, len(summaries)):
            break
        if i not in chosen:
            chosen.append(i)
    return sorted(chosen)


def _at_least(major: int, minor: int) -> bool:
    parts = matplotlib.__version__.split(".")
    return (int(parts[0]), int(parts[1])) >= (major, minor)


@dataclass(frozen=True)
class Figure:
    """One saved plot and what it shows."""

    file: str
    title: str
    caption: str


_THOUSANDS = FuncFormatter(lambda value, _: f"{value:,.0f}")


def _save(fig: plt.Figure, out: Path, name: str) -> str:
    fig.tight_layout()
    fig.savefig(out / name, dpi=90)
    plt.close(fig)
    return name


def plot_frontier(summaries: list[PolicySummary], out: Path, level: float) -> Figure:
    """Plot season CVaR against turnover for every policy, the front joined."""
    fig, ax = plt.subplots(figsize=(8, 5.5))
    grid = [s for s in summaries if s.grid]
    if grid:
        margins = sorted({s.grid.get("margin_bp", 0) for s in grid})
        cmap = plt.get_cmap("viridis", max(len(margins), 2))
        for k, margin in enumerate(margins):
            points = [s for s in grid if s.grid.get("margin_bp", 0) == margin]
            ax.scatter(
                [s.turnover_per_season / 100 for s in points],
                [s.season_cvar / 100 for s in points],
                color=cmap(k),
                label=f"default, margin {margin / 100:.1f}%",
                s=30,
            )
    markers = iter("sD^vPX*<>")
    for s in summaries:
        if not s.grid:
            ax.scatter(
                s.turnover_per_season / 100,
                s.season_cvar / 100,
                marker=next(markers, "o"),
                s=70,
                edgecolor="black",
                label=s.name,
            )
    front = sorted(
        (summaries[i] for i in pareto_front(summaries)),
        key=lambda s: s.turnover_per_season,
    )
    ax.plot(
        [s.turnover_per_season / 100 for s in front],
        [s.season_cvar / 100 for s in front],
        color="grey",
        linestyle="--",
        linewidth=1,
        label="efficient front",
    )
    ax.axhline(0, color="black", linewidth=0.5)
    ax.set_xlabel("turnover per season (currency units)")
    ax.set_ylabel(f"season CVaR {level:.0%} of the house loss (currency units)")
    ax.set_title("Risk against turnover")
    ax.legend(fontsize=7, loc="best")
    ax.grid(alpha=0.3)
    ax.xaxis.set_major_formatter(_THOUSANDS)
    ax.yaxis.set_major_formatter(_THOUSANDS)
    return Figure(
        _save(fig, out, "frontier.png"),
        "Risk against turnover",
        "Each point is a policy: right is more money taken, down is less tail risk. "
        "Points on the dashed line are not beaten on both at once by any other.",
    )


def plot_seasons(
    summaries: list[PolicySummary], results: SimResults, shown: list[int], out: Path
) -> Figure:
    """Box-plot the house result per season for the shown policies."""
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(shown) + 1.5))
    data = [results.result[i].sum(axis=1) / 100 for i in shown]
    # Matplotlib 3.10 renamed vert=False to orientation="horizontal".
    sideways = {"orientation": "horizontal"} if _at_least(3, 10) else {"vert": False}
    ax.boxplot(data, whis=(1, 99), showfliers=True, flierprops={"ms": 3}, **sideways)
    ax.set_yticks(range(1, len(shown) + 1), [summaries[i].name for i in shown])
    ax.axvline(0, color="black", linewidth=0.5)
    ax.set_xlabel("house result per season (currency units)")
    ax.set_title("Season results")
    ax.grid(alpha=0.3, axis="x")
    return Figure(
        _save(fig, out, "seasons.png"),
        "House result per season",
        "Boxes span the middle half of the seasons, whiskers the 1st to 99th "
        "percentile; dots are the seasons beyond.",
    )


def plot_events(
    summaries: list[PolicySummary], results: SimResults, shown: list[int], out: Path
) -> Figure:
    """Draw the distribution of the house result per event for the shown policies."""
    fig, ax = plt.subplots(figsize=(8, 4.5))
    values = [results.result[i].ravel() / 100 for i in shown]
    low = min(float(v.min()) for v in values)
    high = max(float(v.max()) for v in values)
    bins = np.linspace(low, high, 80) if high > low else 10
    for i, v in zip(shown, values, strict=True):
        ax.hist(v, bins=bins, histtype="step", label=summaries[i].name, linewidth=1.2)
    ax.set_yscale("log")
    ax.axvline(0, color="black", linewidth=0.5)
    ax.set_xlabel("house result per event (currency units)")
    ax.set_ylabel("events")
    ax.set_title("Event results")
    ax.legend(fontsize=7)
    return Figure(
        _save(fig, out, "events.png"),
        "House result per event",
        "The left tail is what one event can cost; the log scale shows the rare ones.",
    )


def plot_bankroll(
    summaries: list[PolicySummary],
    results: SimResults,
    shown: list[int],
    out: Path,
    bankroll: int,
) -> Figure:
    """Draw the median bankroll path with its 5-95% band for the shown policies."""
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for i in shown:
        paths = (bankroll + np.cumsum(results.result[i], axis=1)) / 100
        x = np.arange(1, paths.shape[1] + 1)
        low, mid, high = np.quantile(paths, [0.05, 0.5, 0.95], axis=0)
        (line,) = ax.plot(x, mid, label=summaries[i].name, linewidth=1.2)
        ax.fill_between(x, low, high, color=line.get_color(), alpha=0.12)
    ax.axhline(0, color="red", linewidth=0.8, label="ruin")
    ax.set_xlabel("event of the season")
    ax.set_ylabel("bankroll (currency units)")
    ax.set_title("Bankroll through the season")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    return Figure(
        _save(fig, out, "bankroll.png"),
        "Bankroll through the season",
        "Median path and the band holding 90% of the seasons, from the configured "
        "bankroll; touching the red line is ruin.",
    )


def plot_bettors(summaries: list[PolicySummary], shown: list[int], out: Path) -> Figure:
    """Draw each bettor model's profit per season, and the cap's refusals and cuts."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 0.45 * len(shown) + 2))
    names = [summaries[i].name for i in shown]
    kinds = list(summaries[0].profit_by_bettor)
    y = np.arange(len(shown))
    height = 0.8 / max(len(kinds), 1)
    for k, kind in enumerate(kinds):
        left.barh(
            y + k * height,
            [summaries[i].profit_by_bettor[kind] / 100 for i in shown],
            height=height,
            label=kind,
        )
    left.set_yticks(y + 0.4 - height / 2, names)
    left.axvline(0, color="black", linewidth=0.5)
    left.set_xlabel("bettors' profit per season (currency units)")
    left.xaxis.set_major_locator(MaxNLocator(4))
    left.xaxis.set_major_formatter(_THOUSANDS)
    left.set_title("Who wins what")
    left.legend(fontsize=7)
    right.barh(y, [100 * summaries[i].refused_share for i in shown], label="refused")
    right.barh(
        y,
        [100 * summaries[i].reduced_share for i in shown],
        left=[100 * summaries[i].refused_share for i in shown],
        label="reduced to the cap",
    )
    right.set_yticks(y, [""] * len(shown))
    right.set_xlabel("share of bets (%)")
    right.set_title("Bets the cap touched")
    right.legend(fontsize=7)
    return Figure(
        _save(fig, out, "bettors.png"),
        "Bettors and the cap",
        "Left: realised profit of each bettor model per season (positive is taken "
        "from the house). Right: share of bets refused or cut down by the cap.",
    )


_COLUMNS = (
    ("policy", lambda s, lv: s.name),
    ("season mean", lambda s, lv: money(s.season_mean)),
    ("season 5%", lambda s, lv: money(s.season_p05)),
    ("season VaR {lv}", lambda s, lv: money(s.season_var)),
    ("season CVaR {lv}", lambda s, lv: money(s.season_cvar)),
    ("event VaR {lv}", lambda s, lv: money(s.event_var)),
    ("event CVaR {lv}", lambda s, lv: money(s.event_cvar)),
    ("worst event", lambda s, lv: money(-s.event_worst)),
    (
        "P(ruin)",
        lambda s, lv: f"{s.ruin_probability:.3f} [{s.ruin_low:.3f}, {s.ruin_high:.3f}]",
    ),
    ("worst drawdown", lambda s, lv: money(s.drawdown_worst)),
    ("turnover", lambda s, lv: money(s.turnover_per_season)),
    ("refused", lambda s, lv: percent(s.refused_share)),
    ("reduced", lambda s, lv: percent(s.reduced_share)),
    ("margin earned", lambda s, lv: percent(s.margin_earned)),
    ("margin expected", lambda s, lv: percent(s.margin_expected)),
    ("informed take", lambda s, lv: money(s.informed_profit_per_season)),
    ("informed edge", lambda s, lv: money(s.informed_expected_per_season)),
    (
        "bound breaches",
        lambda s, lv: "-" if s.bound_breaches is None else str(s.bound_breaches),
    ),
)


def table_rows(
    summaries: list[PolicySummary], level: float
) -> tuple[list[str], list[list[str]]]:
    """Return the table's header and one row of formatted cells per policy."""
    lv = f"{level:.0%}"
    header = [name.format(lv=lv) for name, _ in _COLUMNS]
    rows = [[cell(s, lv) for _, cell in _COLUMNS] for s in summaries]
    return header, rows


def _intro(config: SimConfig, seed: int, summaries: list[PolicySummary]) -> list[str]:
    kinds = ", ".join(f"{m.kind} {m.share:g}" for m in config.population)
    per_season = summaries[0].events // summaries[0].seasons
    return [
        f"Game: {config.game}; {config.seasons} seasons of {per_season} events; "
        f"seed {seed}; about {config.arrivals.mean_bets:g} bets per event.",
        f"Bettors (kind and share of arrivals): {kinds}.",
        f"Bankroll for ruin: {money(config.bankroll)}. Amounts are in currency units "
        "(cents / 100); results are the house's, positive when it wins.",
    ]


_GLOSSARY = [
    "**season mean / 5%**: mean and 5th percentile of the house result per season.",
    "**VaR / CVaR**: the loss exceeded with the stated probability's complement, and "
    "the mean loss in that tail (negative means a profit even there).",
    "**worst event**: the lowest house result of any single event.",
    "**P(ruin)**: share of seasons in which the bankroll hit zero, with a 95% Wilson "
    "interval.",
    "**turnover**: money staked per season. **refused / reduced**: share of bets the "
    "cap turned away or cut down.",
    "**margin earned**: house result over turnover, as realised; **margin expected**: "
    "the same at the true probabilities, free of outcome luck.",
    "**informed take / edge**: informed bettors' realised profit per season, and its "
    "expectation at the true probabilities.",
    "**bound breaches**: events whose worst case passed the policy's promise "
    "(B0 + alpha T for the default rule, b ln n for the LMSR).",
]


def write_markdown(
    out: Path,
    config: SimConfig,
    seed: int,
    summaries: list[PolicySummary],
    figures: list[Figure],
) -> Path:
    """Write report.md: the setting, the table, the plots and how to read them."""
    header, rows = table_rows(summaries, config.level)
    lines = [f"# Simulation report: {config.name}", ""]
    lines += [f"{line}  " for line in _intro(config, seed, summaries)] + [""]
    lines += ["## Policies", ""]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "---|" * len(header))
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    lines += ["", "How to read the columns:", ""]
    lines += [f"- {entry}" for entry in _GLOSSARY]
    for fig in figures:
        lines += [
            "",
            f"## {fig.title}",
            "",
            f"![{fig.title}]({fig.file})",
            "",
            fig.caption,
        ]
    path = out / "report.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_html(
    out: Path,
    config: SimConfig,
    seed: int,
    summaries: list[PolicySummary],
    figures: list[Figure],
) -> Path:
    """Write report.html, the same content as the Markdown for a browser."""
    header, rows = table_rows(summaries, config.level)
    esc = html.escape
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Simulation report: {esc(config.name)}</title>",
        "<style>body{font-family:sans-serif;margin:2em;max-width:1400px}"
        "table{border-collapse:collapse;font-size:12px}"
        "td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}"
        "td:first-child,th:first-child{text-align:left}"
        "img{max-width:100%}</style></head><body>",
        f"<h1>Simulation report: {esc(config.name)}</h1>",
    ]
    parts += [f"<p>{esc(line)}</p>" for line in _intro(config, seed, summaries)]
    parts.append("<h2>Policies</h2><table><thead><tr>")
    parts += [f"<th>{esc(h)}</th>" for h in header]
    parts.append("</tr></thead><tbody>")
    for row in rows:
        parts.append("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>")
    parts.append("</tbody></table><ul>")
    for entry in _GLOSSARY:
        parts.append(f"<li>{esc(entry.replace('**', ''))}</li>")
    parts.append("</ul>")
    for fig in figures:
        parts.append(f"<h2>{esc(fig.title)}</h2>")
        parts.append(f'<img src="{esc(fig.file)}" alt="{esc(fig.title)}">')
        parts.append(f"<p>{esc(fig.caption)}</p>")
    parts.append("</body></html>")
    path = out / "report.html"
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")
    return path


def write_report(
    out: Path,
    config: SimConfig,
    seed: int,
    policies: tuple[Policy, ...],
    results: SimResults,
    summaries: list[PolicySummary],
    raw: bool = True,
) -> list[Path]:
    """Write every plot, both pages, the summary JSON and, if asked, the raw arrays."""
    out.mkdir(parents=True, exist_ok=True)
    shown = shown_policies(summaries)
    figures = [
        plot_frontier(summaries, out, config.level),
        plot_seasons(summaries, results, shown, out),
        plot_events(summaries, results, shown, out),
        plot_bankroll(summaries, results, shown, out, config.bankroll),
        plot_bettors(summaries, shown, out),
    ]
    written = [out / fig.file for fig in figures]
    written.append(write_markdown(out, config, seed, summaries, figures))
    written.append(write_html(out, config, seed, summaries, figures))
    summary_path = out / "summary.json"
    summary_path.write_text(
        json.dumps(
            {
                "name": config.name,
                "seed": seed,
                "policies": [s.as_dict() for s in summaries],
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    written.append(summary_path)
    if raw:
        raw_path = out / "results.npz"
        np.savez_compressed(
            raw_path, names=np.asarray([p.name for p in policies]), **results.arrays()
        )
        written.append(raw_path)
    return written
