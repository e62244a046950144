"""The replay report as one self-contained HTML page a trainer can email or archive.

Inline CSS and inline SVG charts only: no scripts, no fonts, no images, no links to fetch, so
it opens the same in any browser, offline, years later. A Content-Security-Policy forbids
anything else. Every piece of transcript text (learner replies, counterpart lines, evidence,
tips, file names) is untrusted and goes through `html.escape`.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from coach.report import reproduction_notes
from coach.scoring.types import SKILL_LABELS, SKILLS
from coach.wording import counted

COLORS = {"empathy": "#c2410c", "active_listening": "#1d4ed8", "clarity": "#15803d"}

CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1f2937;
background:#f8fafc}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:19px;margin:28px 0 8px;border-bottom:1px solid #cbd5e1}
h3{font-size:16px;margin:18px 0 6px}
.muted{color:#64748b}.cards{display:flex;flex-wrap:wrap;gap:12px;margin:12px 0}
.card{background:#fff;border:1px solid #e2e8f0;border-radius:8px;padding:10px 14px;min-width:130px}
.card b{display:block;font-size:22px}
table{border-collapse:collapse;width:100%;background:#fff;margin:6px 0 12px}
th,td{border:1px solid #e2e8f0;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f1f5f9}td.n{text-align:right;font-variant-numeric:tabular-nums}
.s1{background:#fee2e2}.s2{background:#ffedd5}.s3{background:#fef9c3}.s4{background:#dcfce7}
.s5{background:#bbf7d0}
section.session{background:#fff;border:1px solid #e2e8f0;border-radius:8px;padding:8px 16px;
margin:14px 0}
.quote{white-space:pre-wrap;margin:2px 0}.ctx{color:#475569;font-style:italic}
.ev-plus{color:#166534}.ev-minus{color:#991b1b}.err{color:#991b1b;font-weight:600}
.legend span{margin-right:12px}.sw{display:inline-block;width:10px;height:10px;margin-right:4px}
details{margin:4px 0}summary{cursor:pointer}
.charts{display:flex;flex-wrap:wrap;gap:16px}
"""


def e(value: Any) -> str:
    """Escape anything for HTML text or attribute context."""
    return html.escape("" if value is None else str(value), quote=True)


def _num(v: Any) -> str:
    return "–" if v is None else f"{v:.2f}" if isinstance(v, float) else e(v)


def _cls(v: Any) -> str:
    if not isinstance(v, int | float):
        return "n"
    return f"n s{min(5, max(1, int(v + 0.5)))}"


def _legend() -> str:
    return (
        '<div class="legend">'
        + "".join(
            f'<span><i class="sw" style="background:{COLORS[s]}"></i>{e(SKILL_LABELS[s])}</span>'
            for s in SKILLS
        )
        + "</div>"
    )


def line_chart(turns: Sequence[dict[str, Any]], title: str, width: int = 520) -> str:
    """Per-turn scores of one session, one polyline per skill on a 1-5 axis."""
    height, left, right, top, bottom = 180, 34, 12, 12, 28
    n = len(turns)
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(i: int) -> float:
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h * (5 - v) / 4

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="{e(title)}"><title>{e(title)}</title>'
    ]
    for level in range(1, 6):
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(level):.1f}" y2="{y(level):.1f}" '
            f'stroke="#e2e8f0"/><text x="{left - 8}" y="{y(level) + 4:.1f}" font-size="11" '
            f'text-anchor="end" fill="#64748b">{level}</text>'
        )
    for i, t in enumerate(turns):
        parts.append(
            f'<text x="{x(i):.1f}" y="{height - 8}" font-size="11" text-anchor="middle" '
            f'fill="#64748b">{e(t["turn_id"])}</text>'
        )
    for skill in SKILLS:
        pts = [(x(i), y(t[skill])) for i, t in enumerate(turns) if t.get(skill) is not None]
        if len(pts) > 1:
            coords = " ".join(f"{a:.1f},{b:.1f}" for a, b in pts)
            parts.append(
                f'<polyline fill="none" stroke="{COLORS[skill]}" stroke-width="2" '
                f'points="{coords}"/>'
            )
        for a, b in pts:
            parts.append(f'<circle cx="{a:.1f}" cy="{b:.1f}" r="3" fill="{COLORS[skill]}"/>')
    parts.append("</svg>")
    return "".join(parts)


def histogram(hist: Sequence[int], skill: str, width: int = 240) -> str:
    """Counts of turn scores at each level 1-5 for one skill."""
    height, bottom, top = 130, 22, 16
    peak = max(hist) or 1
    bar_w = (width - 20) / 5
    label = f"{SKILL_LABELS.get(skill, skill)}: turns per score level"  # type: ignore[call-overload]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="{e(label)}"><title>{e(label)}</title>'
    ]
    for i, count in enumerate(hist):
        h = (height - bottom - top) * count / peak
        bx = 10 + i * bar_w
        parts.append(
            f'<rect x="{bx + 3:.1f}" y="{height - bottom - h:.1f}" width="{bar_w - 6:.1f}" '
            f'height="{h:.1f}" fill="{COLORS.get(skill, "#334155")}"/>'
            f'<text x="{bx + bar_w / 2:.1f}" y="{height - bottom - h - 3:.1f}" font-size="11" '
            f'text-anchor="middle">{count}</text>'
            f'<text x="{bx + bar_w / 2:.1f}" y="{height - 6}" font-size="11" '
            f'text-anchor="middle" fill="#64748b">{i + 1}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _cohort(data: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for scorer, c in data["cohort"].items():
        if not c["sessions"]:
            continue
        out.append(
            f"<h2>Cohort summary <span class=muted>({e(scorer)}: "
            f"{counted(c['sessions'], 'session')}, {counted(c['turns'], 'turn')})</span></h2>"
        )
        if c["weakest_skills"]:
            out.append(
                "<h3>Weakest skills across the group</h3><table><tr><th>skill</th>"
                "<th>mean of session means</th><th>weakest skill in</th>"
                "<th>sessions below 3</th></tr>"
            )
            for w in c["weakest_skills"]:
                out.append(
                    f"<tr><td>{e(SKILL_LABELS[w['skill']])}</td><td class='{_cls(w['mean'])}'>"
                    f"{_num(w['mean'])}</td><td class=n>{w['weakest_in_share']:.0%}</td>"
                    f"<td class=n>{w['below_3_share']:.0%}</td></tr>"
                )
            out.append("</table>")
        out.append("<h3>Distribution of turn scores</h3><div class=charts>")
        for skill in SKILLS:
            chart = histogram(c["skills"][skill]["turns"]["histogram"], skill)
            out.append(
                f"<figure style='margin:0'>{chart}"
                f"<figcaption>{e(SKILL_LABELS[skill])}</figcaption></figure>"
            )
        out.append("</div>")
        out += _distribution_table(c, "turns")
        out.append("<h3>Distribution of session means</h3>")
        out += _distribution_table(c, "sessions")
        out.append(
            "<h3>Per scenario</h3><table><tr><th>scenario</th><th>sessions</th>"
            "<th>turns</th>" + "".join(f"<th>{e(SKILL_LABELS[s])}</th>" for s in SKILLS) + "</tr>"
        )
        for sid, entry in c["scenarios"].items():
            cells = "".join(f"<td class='{_cls(entry[s])}'>{_num(entry[s])}</td>" for s in SKILLS)
            title = f" <span class=muted>{e(entry['title'])}</span>" if entry.get("title") else ""
            out.append(
                f"<tr><td>{e(sid)}{title}</td><td class=n>{entry['sessions']}</td>"
                f"<td class=n>{entry['turns']}</td>{cells}</tr>"
            )
        out.append("</table>")
    return out


def _distribution_table(cohort: dict[str, Any], unit: str) -> list[str]:
    """One row per skill: n, mean, sd, five-number summary and counts at levels 1-5 of the
    cohort's `unit` ("turns" or "sessions")."""
    out = [
        "<table><tr><th>skill</th><th>n</th><th>mean</th><th>sd</th><th>min</th><th>p25</th>"
        "<th>median</th><th>p75</th><th>max</th>"
        + "".join(f"<th>at {level}</th>" for level in range(1, 6))
        + "</tr>"
    ]
    for skill in SKILLS:
        d = cohort["skills"][skill][unit]
        cells = "".join(
            f"<td class=n>{_num(d.get(k))}</td>"
            for k in ("n", "mean", "sd", "min", "p25", "median", "p75", "max")
        )
        counts = "".join(f"<td class=n>{n}</td>" for n in d["histogram"])
        out.append(f"<tr><td>{e(SKILL_LABELS[skill])}</td>{cells}{counts}</tr>")
    out.append("</table>")
    return out


def _evidence(items: Sequence[dict[str, Any]]) -> str:
    if not items:
        return ""
    lis = "".join(
        f"<li class='{'ev-minus' if ev.get('effect') == '-' else 'ev-plus'}'>"
        f"{'−' if ev.get('effect') == '-' else '+'} “{e(ev.get('quote'))}” "
        f"<span class=muted>{e(ev.get('label'))}</span></li>"
        for ev in items
    )
    return f"<ul>{lis}</ul>"


def _session(s: dict[str, Any], turns: list[dict[str, Any]]) -> list[str]:
    title = f"{s['session_id']} · {s['scenario_title'] or s['scenario_id'] or 'no scenario'}"
    out = [
        "<section class=session>",
        f"<h3>{e(title)} <span class=muted>({e(s['scorer'])}, {e(s['file'])})</span></h3>",
        "<div class=cards>",
    ]
    for skill in SKILLS:
        out.append(
            f"<div class='card {_cls(s[skill])}'>{e(SKILL_LABELS[skill])}"
            f"<b>{_num(s[skill])}</b></div>"
        )
    miti = [
        ("reflections per question", s.get("reflections_per_question")),
        ("complex reflections", s.get("complex_reflection_share")),
        ("open questions", s.get("open_question_share")),
    ]
    for label, value in miti:
        out.append(f"<div class=card>{e(label)}<b>{_num(value)}</b></div>")
    out.append("</div>")
    scored = [t for t in turns if t.get("empathy") is not None]
    if scored:
        out.append(_legend())
        out.append(line_chart(scored, f"Scores per turn, session {s['session_id']}"))
    out.append(
        "<table><tr><th>turn</th>"
        + "".join(f"<th>{e(SKILL_LABELS[k])}</th>" for k in SKILLS)
        + "<th>reply, evidence and tips</th></tr>"
    )
    for t in turns:
        cells = "".join(f"<td class='{_cls(t.get(k))}'>{_num(t.get(k))}</td>" for k in SKILLS)
        body = []
        if t.get("context"):
            body.append(f"<div class='quote ctx'>{e(t['context'])}</div>")
        body.append(f"<div class=quote>{e(t['response'])}</div>")
        if t.get("error"):
            body.append(f"<div class=err>not scored: {e(t['error'])}</div>")
        details = []
        for k in SKILLS:
            tip = t.get(f"{k}_tip")
            ev = t.get(f"{k}_evidence") or []
            if tip or ev:
                details.append(f"<p><b>{e(SKILL_LABELS[k])}</b>: {e(tip)}</p>{_evidence(ev)}")
        if details:
            body.append(
                "<details><summary>evidence and tips</summary>" + "".join(details) + "</details>"
            )
        out.append(f"<tr><td>{e(t['turn_id'])}</td>{cells}<td>{''.join(body)}</td></tr>")
    out += ["</table>", "</section>"]
    return out


def render_html(data: dict[str, Any]) -> str:
    """The whole page from `coach.report.report_data(run)`."""
    s = data["summary"]
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        # Nothing may load from anywhere: the page is the whole report.
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">",
        "<title>coach replay report</title>",
        f"<style>{CSS}</style></head><body><main>",
        "<h1>Replay report</h1>",
        f"<p class=muted>{s['scored']} of {counted(s['turn_scores'], 'turn score')} in "
        f"{counted(s['sessions'], 'session')} · scorers: {e(', '.join(data['scorers']))} · "
        f"{s['from_cache']} from cache</p>",
    ]
    out += [f"<p>{e(note)}.</p>" for note in reproduction_notes(s)]
    if data["failures"]:
        out.append("<h2>Files not scored</h2><ul>")
        out += [f"<li class=err>{e(f['file'])}: {e(f['message'])}</li>" for f in data["failures"]]
        out.append("</ul>")
    out += _cohort(data)
    out.append("<h2>Sessions</h2>")
    by_session: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for t in data["turns"]:
        by_session.setdefault((t["file"], t["session_id"], t["scorer"]), []).append(t)
    for sess in data["sessions"]:
        turns = by_session.get((sess["file"], sess["session_id"], sess["scorer"]), [])
        out += _session(sess, turns)
    out.append("</main></body></html>")
    return "\n".join(out) + "\n"
