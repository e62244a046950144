"""Reports for a replay: a terminal table, JSON, CSV, Markdown and a self-contained HTML page.

One set of rows feeds every format, so the numbers in a CSV a researcher loads into pandas are
the numbers in the HTML page a trainer hands to an HR lead:

- a row per scored turn (scores, MITI/EPITOME codes, tips, evidence, delta to the score the
  learner saw when the transcript recorded one);
- a row per session and scorer (per-skill means, trend, MITI session metrics, weakest skill);
- a cohort summary across all files: per-skill distributions, per scenario, and the skills
  weakest across the group (the skill-gap view).
"""

from __future__ import annotations

import csv
import io
import math
import statistics
from collections.abc import Iterable, Sequence
from typing import Any

from coach.printable import markdown_literal, safe_json, visible
from coach.replay import ReplayRun, TurnResult
from coach.scoring.aggregate import MitiSummary, aggregate, weighted_overall
from coach.scoring.rubric import MITI_THRESHOLDS, RUBRIC_VERSION
from coach.scoring.types import SKILL_LABELS, SKILLS, Skill
from coach.wording import counted

FORMATS = ("table", "json", "csv", "md", "html")

# A session mean below this is a gap worth training (the rubric's "adequate" level is 3).
GAP_BELOW = 3.0


def _r(x: float | None, nd: int = 2) -> float | None:
    return None if x is None or math.isnan(x) else round(x, nd)


# ---------------------------------------------------------------------------- rows


def turn_rows(run: ReplayRun) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for r in run.results:
        conv = run.conversations[r.conv]
        row: dict[str, Any] = {
            "row": "turn",
            "file": str(conv.path),
            "session_id": conv.session_id,
            "scenario_id": conv.scenario_id,
            "scorer": r.scorer,
            "turn_id": r.turn.turn_id,
            "turn": r.turn.index,
            "context": r.turn.context,
            "response": r.turn.response,
            "cached": r.cached,
            "error": r.error,
        }
        s = r.score
        for skill in SKILLS:
            row[skill] = _r(s.skill(skill).score) if s else None
        # As the learner's debrief weighs it: the recorded scenario weights, else equally.
        row["overall"] = _r(weighted_overall(s, conv.skill_weights)) if s else None
        if s:
            row["model"] = s.model
            row["rubric_version"] = s.rubric_version
            for k in ("emotional_reactions", "interpretations", "explorations"):
                row[k] = s.empathy.details.get(k)
            row["reflection"] = s.active_listening.details.get("reflection")
            row["question"] = s.active_listening.details.get("question")
            for skill in SKILLS:
                row[f"{skill}_tip"] = s.skill(skill).tip
                row[f"{skill}_evidence"] = [e.to_dict() for e in s.skill(skill).evidence]
        # Every turn row has the same keys: null where nothing was compared (no recorded
        # score, or one from another rubric version); 0.0 rather than -0.0.
        delta = r.recorded_delta()
        for skill in SKILLS:
            row[f"{skill}_recorded_delta"] = None if delta is None else delta[skill] + 0.0
        rows.append(row)
    return rows


def _miti(miti: MitiSummary) -> dict[str, float | None]:
    # The same counting and thresholds as the learner's debrief, so both say the same.
    return {
        "reflections_per_question": _r(miti.reflections_per_question),
        "complex_reflection_share": _r(miti.complex_reflection_share),
        "open_question_share": _r(miti.open_question_share),
    }


def miti_rating(metric: str, value: float | None) -> str:
    """'good' / 'fair' / 'below fair' against the MITI thresholds, '' when not applicable."""
    if value is None or metric not in MITI_THRESHOLDS:
        return ""
    return MITI_THRESHOLDS[metric].label(value)


def _groups(run: ReplayRun) -> dict[tuple[int, str], list[TurnResult]]:
    groups: dict[tuple[int, str], list[TurnResult]] = {}
    for r in run.results:
        groups.setdefault((r.conv, r.scorer), []).append(r)
    # Sessions without turns still deserve a row.
    for ci, conv in enumerate(run.conversations):
        if not conv.turns:
            for name in run.scorers:
                groups.setdefault((ci, name), [])
    return dict(sorted(groups.items()))


def session_rows(run: ReplayRun) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for (ci, scorer), results in _groups(run).items():
        conv = run.conversations[ci]
        scored = [r for r in results if r.score is not None]
        row: dict[str, Any] = {
            "row": "session",
            "file": str(conv.path),
            "session_id": conv.session_id,
            "scenario_id": conv.scenario_id,
            "scenario_title": conv.scenario_title,
            "format": conv.format,
            "outcome": conv.outcome,
            "scorer": scorer,
            "turns": len(results),
            "scored": len(scored),
            "failed": len(results) - len(scored),
        }
        # One summary, as the learner's debrief computes it (the scenario's weights, ties
        # included), gives the means, overall, trend, MITI metrics and best/weakest turn.
        summary = aggregate(
            [(r.turn.context, r.turn.response, r.score) for r in scored if r.score],
            conv.skill_weights,
        )
        means: dict[Skill, float] = (
            {skill: summary.skills[skill].mean for skill in SKILLS} if scored else {}
        )
        for skill in SKILLS:
            row[skill] = _r(means.get(skill))
        per_turn = summary.turn_overall
        row["overall"] = _r(summary.overall) if scored else None
        row["trend"] = _r(per_turn[-1] - per_turn[0]) if len(per_turn) >= 2 else None
        row.update(_miti(summary.miti))
        row["weakest_skill"] = min(means, key=lambda k: means[k]) if means else None
        # Skills tied for the lowest mean (as shown, to two places): a tie used to go to
        # empathy, the first skill, and inflated its "weakest in" share across a cohort.
        low = round(min(means.values()), 2) if means else None
        row["weakest_skills"] = [k for k, v in means.items() if round(v, 2) == low]
        if summary.best_turn is not None and summary.weakest_turn is not None:
            row["best_turn"] = scored[summary.best_turn].turn.turn_id
            row["weakest_turn"] = scored[summary.weakest_turn].turn.turn_id
        else:
            row["best_turn"] = row["weakest_turn"] = None
        rows.append(row)
    return rows


def _quantile(sorted_vals: Sequence[float], q: float) -> float:
    if len(sorted_vals) == 1:
        return sorted_vals[0]
    pos = q * (len(sorted_vals) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_vals) - 1)
    return sorted_vals[lo] + (sorted_vals[hi] - sorted_vals[lo]) * (pos - lo)


def distribution(values: Iterable[float]) -> dict[str, Any]:
    """n, mean, sd (population), five-number summary and a 1-5 histogram (scores rounded
    half up from the two places the reports show: a 4.4999 shown as 4.5 counts at 5)."""
    vals = sorted(values)
    hist = [0, 0, 0, 0, 0]
    for v in vals:
        hist[min(5, max(1, math.floor(round(v, 2) + 0.5))) - 1] += 1
    if not vals:
        return {"n": 0, "histogram": hist}
    return {
        "n": len(vals),
        "mean": _r(statistics.fmean(vals)),
        "sd": _r(statistics.pstdev(vals)),
        "min": _r(vals[0]),
        "p25": _r(_quantile(vals, 0.25)),
        "median": _r(_quantile(vals, 0.5)),
        "p75": _r(_quantile(vals, 0.75)),
        "max": _r(vals[-1]),
        "histogram": hist,
    }


def cohort(run: ReplayRun, sessions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The group view, per scorer: distributions, per scenario, weakest skills."""
    sessions = sessions if sessions is not None else session_rows(run)
    out: dict[str, Any] = {}
    for scorer in run.scorers:
        mine = [s for s in sessions if s["scorer"] == scorer and s["scored"]]
        turn_scores = [r.score for r in run.results if r.scorer == scorer and r.score is not None]
        per_skill = {
            skill: {
                "turns": distribution(t.skill(skill).score for t in turn_scores),
                "sessions": distribution(s[skill] for s in mine if s[skill] is not None),
            }
            for skill in SKILLS
        }
        scenarios: dict[str, dict[str, Any]] = {}
        for s in mine:
            key = s["scenario_id"] or "(none)"
            entry = scenarios.setdefault(
                key, {"title": s["scenario_title"], "sessions": 0, "turns": 0, "_vals": {}}
            )
            entry["sessions"] += 1
            entry["turns"] += s["scored"]
            for skill in SKILLS:
                if s[skill] is not None:
                    entry["_vals"].setdefault(skill, []).append(s[skill])
        for entry in scenarios.values():
            vals = entry.pop("_vals")
            for skill in SKILLS:
                entry[skill] = _r(statistics.fmean(vals[skill])) if vals.get(skill) else None
        weakest: list[dict[str, Any]] = []
        for skill in SKILLS:
            vals = [s[skill] for s in mine if s[skill] is not None]
            if not vals:
                continue
            weakest.append(
                {
                    "skill": skill,
                    "mean": _r(statistics.fmean(vals)),
                    "weakest_in_share": _r(
                        sum(1 for s in mine if skill in s["weakest_skills"]) / len(mine)
                    ),
                    "below_3_share": _r(sum(1 for v in vals if v < GAP_BELOW) / len(vals)),
                }
            )
        weakest.sort(key=lambda w: (w["mean"], -w["weakest_in_share"]))
        out[scorer] = {
            "sessions": len(mine),
            "turns": len(turn_scores),
            "skills": per_skill,
            "scenarios": dict(sorted(scenarios.items())),
            "weakest_skills": weakest,
        }
    return out


def summary(run: ReplayRun) -> dict[str, Any]:
    compared, exact, worst, other_rubric, differing, other_model = run.reproduction()
    return {
        "files_failed": len(run.failures),
        "sessions": len(run.conversations),
        "turn_scores": len(run.results),
        "scored": run.scored,
        "failed_turns": len(run.failed_turns),
        "from_cache": run.cached,
        "calls": run.calls,
        "model_requests": run.model_requests,
        "seconds": round(run.elapsed, 3),
        "interrupted": run.interrupted,
        "fatal": run.fatal,
        "recorded_compared": compared,
        "recorded_reproduced": exact,
        "recorded_max_delta": round(worst, 2),
        "recorded_other_rubric": other_rubric,
        "recorded_other_model": other_model,
        "recorded_differing": list(differing),
    }


def reproduction_notes(s: dict[str, Any]) -> list[str]:
    """What the summary `s` says about recorded scores, one sentence per line."""
    notes = []
    if s["recorded_compared"]:
        notes.append(
            f"Recorded scores reproduced: {s['recorded_reproduced']}/{s['recorded_compared']} "
            f"(largest difference {s['recorded_max_delta']:.2f})"
        )
    differing = s.get("recorded_differing") or []
    if differing:
        # Which turns, in every format: only JSON and CSV used to say.
        shown = ", ".join(differing[:5]) + (
            f" and {len(differing) - 5} more" if len(differing) > 5 else ""
        )
        notes.append(f"Differ: {shown}")
    if s["recorded_other_rubric"]:
        notes.append(
            f"Not compared: {counted(s['recorded_other_rubric'], 'turn')} recorded under another "
            f"rubric version (this is {RUBRIC_VERSION}; a new version scores differently)"
        )
    if s.get("recorded_other_model"):
        notes.append(
            f"Not compared: {counted(s['recorded_other_model'], 'turn')} recorded by another "
            "judge model (its scores are the ones to compare against, not to reproduce)"
        )
    return notes


def report_data(run: ReplayRun) -> dict[str, Any]:
    sessions = session_rows(run)
    return {
        "summary": summary(run),
        "scorers": run.scorers,
        "cohort": cohort(run, sessions),
        "sessions": sessions,
        "turns": turn_rows(run),
        "failures": [{"file": str(f.path), "message": f.message} for f in run.failures],
        "warnings": run.warnings,
    }


# ---------------------------------------------------------------------------- formats


def render(run: ReplayRun, fmt: str) -> str:
    """The report as text. Control characters from transcripts (an ANSI or OSC sequence in a
    model's reply) come out visible, never raw: a report is read with `cat` too."""
    if fmt == "json":
        return safe_json(report_data(run), indent=2) + "\n"
    if fmt == "csv":
        return visible(render_csv(run))
    if fmt == "md":
        return visible(render_markdown(run))
    if fmt == "html":
        from coach.report_html import render_html

        return visible(render_html(report_data(run)))
    if fmt == "table":
        return visible(render_table(run))
    raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")


CSV_COLUMNS = [
    "row",
    "file",
    "session_id",
    "scenario_id",
    "scorer",
    "turn_id",
    "turn",
    "turns",
    "scored",
    "failed",
    "empathy",
    "active_listening",
    "clarity",
    "overall",
    "trend",
    "emotional_reactions",
    "interpretations",
    "explorations",
    "reflection",
    "question",
    "reflections_per_question",
    "complex_reflection_share",
    "open_question_share",
    "weakest_skill",
    "best_turn",
    "weakest_turn",
    "empathy_recorded_delta",
    "active_listening_recorded_delta",
    "clarity_recorded_delta",
    "cached",
    "error",
    "empathy_tip",
    "active_listening_tip",
    "clarity_tip",
    "evidence",
    "context",
    "response",
]


def render_csv(run: ReplayRun) -> str:
    """One table: a row per turn then a row per session, told apart by the `row` column."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in turn_rows(run):
        ev = {s: row.get(f"{s}_evidence") for s in SKILLS if row.get(f"{s}_evidence")}
        cells = {**row, "evidence": safe_json(ev) if ev else ""}
        writer.writerow({k: _inert(v) for k, v in cells.items()})
    for row in session_rows(run):
        writer.writerow({k: _inert(v) for k, v in row.items()})
    return buf.getvalue()


# A spreadsheet runs a cell that starts with one of these as a formula: a learner who typed
# '=HYPERLINK("http://...")' would get a live link (or worse) in the evaluator's Excel.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _inert(value: Any) -> Any:
    """Text that a spreadsheet shows as typed: a leading formula character gets a quote."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.2f}"
    return str(v)


def _ascii_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    cells = [[_fmt(c) for c in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]

    def line(vals: Sequence[str]) -> str:
        return "  ".join(v.ljust(w) for v, w in zip(vals, widths, strict=True)).rstrip()

    return [line(headers), line(["-" * w for w in widths]), *(line(r) for r in cells)]


def _clip(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _session_label(row: dict[str, Any], n: int) -> str:
    """The file, with its session when that adds something, cut in the middle: a session's
    unique part is its end ("…negotiation-0bde"), which a cut at the end lost."""
    name = row["file"].rsplit("/", 1)[-1]
    label = name if name.rsplit(".", 1)[0] == row["session_id"] else f"{name}#{row['session_id']}"
    label = " ".join(label.split())
    if len(label) <= n:
        return label
    head = (n - 1) // 2
    return label[:head] + "…" + label[len(label) - (n - 1 - head) :]


def render_table(run: ReplayRun) -> str:
    data = report_data(run)
    out: list[str] = []
    headers = ["session", "scenario", "scorer", "turns", "emp", "listen", "clarity", "weakest"]
    rows = [
        [
            _session_label(s, 40),
            _clip(s["scenario_id"] or "-", 24),
            s["scorer"],
            f"{s['scored']}/{s['turns']}",
            s["empathy"],
            s["active_listening"],
            s["clarity"],
            SKILL_LABELS[s["weakest_skill"]] if s["weakest_skill"] else "-",
        ]
        for s in data["sessions"]
    ]
    if rows:
        out += _ascii_table(headers, rows)
    out += _cohort_lines(data["cohort"])
    out += _summary_lines(data)
    return "\n".join(out) + "\n"


def _cohort_lines(cohort_data: dict[str, Any]) -> list[str]:
    """The cohort summary as the Markdown report has it (both distributions, the weakest
    skills, per scenario), in tables a terminal shows in 80 columns."""
    out: list[str] = []
    for scorer, c in cohort_data.items():
        if not c["sessions"]:
            continue
        sessions, turns = counted(c["sessions"], "session"), counted(c["turns"], "turn")
        out += ["", f"Cohort ({scorer}): {sessions}, {turns}"]
        for unit, heading in (("turns", "turn scores"), ("sessions", "session means")):
            rows = []
            for skill in SKILLS:
                d = c["skills"][skill][unit]
                stats = [d.get(k) for k in ("mean", "sd", "min", "p25", "median", "p75", "max")]
                hist = " ".join(str(h) for h in d["histogram"])
                rows.append([SKILL_LABELS[skill], d["n"], *stats, hist])
            out.append("")
            out += _ascii_table(
                [heading, "n", "mean", "sd", "min", "p25", "med", "p75", "max", "1..5 counts"],
                rows,
            )
        if c["weakest_skills"]:
            # Ranked by session mean: the skill-gap view a trainer asks for.
            rows = [
                [
                    SKILL_LABELS[w["skill"]],
                    w["mean"],
                    f"{w['weakest_in_share']:.0%}",
                    f"{w['below_3_share']:.0%}",
                ]
                for w in c["weakest_skills"]
            ]
            out.append("")
            out += _ascii_table(
                ["weakest skills", "session mean", "weakest in", "below 3 in"], rows
            )
            out.append(f"(shares of the {sessions})")
        if len(c["scenarios"]) > 1:
            rows = [
                [_clip(sid, 28), e["sessions"], e["turns"], *(e[skill] for skill in SKILLS)]
                for sid, e in c["scenarios"].items()
            ]
            out.append("")
            out += _ascii_table(
                ["per scenario", "sessions", "turns", "emp", "listen", "clarity"], rows
            )
    return out


def summary_text(run: ReplayRun) -> str:
    """The counts, reproduction lines and failed turns, for stderr when the report goes
    elsewhere (failed files the command reports itself)."""
    data = report_data(run)
    lines = _summary_lines(data, failures=False) + _failed_turn_lines(data)
    return "\n".join(lines).strip("\n")


def _summary_lines(data: dict[str, Any], failures: bool = True) -> list[str]:
    s = data["summary"]
    out = [
        "",
        f"{s['scored']}/{counted(s['turn_scores'], 'turn score')} in "
        f"{counted(s['sessions'], 'session')}, "
        f"{s['from_cache']} from cache, {counted(s['calls'], 'scorer call')}, "
        f"{requests_part(s)}{s['seconds']:.1f}s",
    ]
    out += reproduction_notes(s)
    if not failures:
        return out
    for f in data["failures"]:
        out.append(f"FAILED {f['file']}: {f['message']}")
    return out + _failed_turn_lines(data)


def _failed_turn_lines(data: dict[str, Any]) -> list[str]:
    failed_turns = [t for t in data["turns"] if t["error"]]
    out = [
        f"FAILED {t['file']} {t['turn_id']} ({t['scorer']}): {t['error']}"
        for t in failed_turns[:20]
    ]
    if len(failed_turns) > 20:
        out.append(f"... and {len(failed_turns) - 20} more failed turns")
    return out


def requests_part(summary: dict[str, Any]) -> str:
    """ ", 17 model requests" where a judge ran: identical turns and the cache make fewer
    requests than scorer calls, retries more."""
    n = summary.get("model_requests")
    return "" if n is None else f"{counted(n, 'model request')}, "


def _md(text: Any) -> str:
    """A table cell or list item from transcript text: read as written (no link, image, HTML
    or emphasis comes out of it; a pipe cannot end the cell), on one line."""
    if text is None or isinstance(text, int | float):
        return _fmt(text)
    return markdown_literal(str(text)).replace("\n", " ")


def render_markdown(run: ReplayRun) -> str:
    data = report_data(run)
    s = data["summary"]
    out = [
        "# Replay report",
        "",
        f"{s['scored']}/{counted(s['turn_scores'], 'turn score')} in "
        f"{counted(s['sessions'], 'session')} "
        f"(scorers: {', '.join(data['scorers'])}; {s['from_cache']} from cache).",
        "",
    ]
    for note in reproduction_notes(s):
        out += [f"{_md(note)}.", ""]
    for scorer, c in data["cohort"].items():
        if not c["sessions"]:
            continue
        out += [f"## Cohort summary ({scorer})", ""]
        # The whole distribution, as the JSON has it: turn scores, then session means.
        for unit, heading in (("turns", "Turn scores"), ("sessions", "Session means")):
            out += [
                f"{heading}:",
                "",
                "| skill | n | mean | sd | min | p25 | median | p75 | max | 1 | 2 | 3 | 4 | 5 |",
                "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
            ]
            for skill in SKILLS:
                d = c["skills"][skill][unit]
                stats = " | ".join(
                    _fmt(d.get(k)) for k in ("mean", "sd", "min", "p25", "median", "p75", "max")
                )
                hist = " | ".join(str(h) for h in d["histogram"])
                out.append(f"| {SKILL_LABELS[skill]} | {d['n']} | {stats} | {hist} |")
            out.append("")
        if c["weakest_skills"]:
            out.append(
                "**Weakest skills across the group:** "
                + "; ".join(
                    f"{SKILL_LABELS[w['skill']]} (session mean {w['mean']:.2f}, the weakest in "
                    f"{w['weakest_in_share']:.0%} of sessions, below 3 in "
                    f"{w['below_3_share']:.0%})"
                    for w in c["weakest_skills"]
                )
            )
            out.append("")
        out += [
            "| scenario | sessions | turns | empathy | listening | clarity |",
            "|---|---|---|---|---|---|",
        ]
        for sid, e in c["scenarios"].items():
            out.append(
                f"| {_md(sid)} | {e['sessions']} | {e['turns']} | {_fmt(e['empathy'])} "
                f"| {_fmt(e['active_listening'])} | {_fmt(e['clarity'])} |"
            )
        out.append("")
    out += [
        "## Sessions",
        "",
        "| session | scenario | scorer | turns | empathy | listening | clarity | weakest |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in data["sessions"]:
        weakest = SKILL_LABELS[r["weakest_skill"]] if r["weakest_skill"] else "-"
        out.append(
            f"| {_md(r['session_id'])} | {_md(r['scenario_id'])} | {r['scorer']} "
            f"| {r['scored']}/{r['turns']} | {_fmt(r['empathy'])} "
            f"| {_fmt(r['active_listening'])} | {_fmt(r['clarity'])} | {weakest} |"
        )
    out += [
        "",
        "## Turns",
        "",
        "| session | turn | scorer | empathy | listening | clarity | reply |",
    ]
    out.append("|---|---|---|---|---|---|---|")
    for t in data["turns"]:
        out.append(
            f"| {_md(t['session_id'])} | {_md(t['turn_id'])} | {t['scorer']} "
            f"| {_fmt(t['empathy'])} "
            f"| {_fmt(t['active_listening'])} | {_fmt(t['clarity'])} "
            f"| {_md(_clip(t['response'], 80))} |"
        )
    if data["failures"] or any(t["error"] for t in data["turns"]):
        out += ["", "## Failures", ""]
        # Not in `code` spans: backslash escapes are not read there, and a file name with a
        # backtick would end the span.
        out += [f"- {_md(f['file'])}: {_md(f['message'])}" for f in data["failures"]]
        out += [
            f"- {_md(t['file'])} {_md(t['turn_id'])} ({t['scorer']}): {_md(t['error'])}"
            for t in data["turns"]
            if t["error"]
        ]
    return "\n".join(out) + "\n"
