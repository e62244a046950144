"""How far can the automatic scores be trusted? Agreement between a scorer and human raters.

`coach calibrate` reads human labels in two shapes:

- the simple format, one JSON object per line:
  `{"id"?, "context", "response", "human": {"empathy": 1-5, "clarity": 1-5,
  "active_listening": 1-5}}` (any subset of the skills);
- the ../shared/data research files (`{"id", "context", "response", "labels", "meta"}`), whose
  labels are mapped to our 1-5 skills where a sensible ordinal mapping exists (see
  `MAPPINGS`, documented in docs/evaluators.md).

and reports per skill: Spearman's rho (on the raw human values, so CLEAR's continuous
easiness keeps its resolution), quadratic-weighted Cohen's kappa and the 5x5 confusion matrix
(scorer scores rounded to the nearest level), exact and within-one agreement. The statistics
are implemented here with the standard library (no numpy/scipy dependency for a CLI).

`--repeat N` asks the LLM judge N times per item with the cache bypassed and reports the
judge's own variance per skill: the noise floor under any agreement figure.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coach import strict_json
from coach.scoring.types import SKILLS, Skill, TurnScore

LEVELS = (1, 2, 3, 4, 5)

# What each research label becomes, for the docs and the report header.
MAPPINGS: dict[str, str] = {
    "epitome": "EPITOME total (0-6, sum of three 0-2 mechanisms) -> empathy 1 + round(total*4/6)",
    "pair": "PAIR reflection_level 0/1/2 -> active_listening 1/3/5",
    "annomi": "AnnoMI utterance code -> active_listening: complex reflection 5, simple "
    "reflection 4, open question 3, closed question 2, input/other 1",
    "mi_gold": "MI code -> active_listening: Complex Reflection 5, Simple Reflection 4, Open "
    "Question 3, Closed Question and neutral/adherent codes 2, Confront/Warn/Direct/Advise "
    "without Permission 1",
    "clear": "CLEAR bt_easiness -> clarity: raw value for Spearman, file quintiles 1-5 for kappa",
}

_MI_GOLD = {
    "Complex Reflection": 5,
    "Simple Reflection": 4,
    "Open Question": 3,
    "Closed Question": 2,
    "Confront": 1,
    "Warn": 1,
    "Direct": 1,
    "Advise without Permission": 1,
}

_ANNOMI_BEHAVIOURS = ("reflection", "question", "therapist_input", "other")


class LabelError(Exception):
    """The labels file cannot be used; `problems` says which lines and why."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


MAX_REPORTED = 20  # bad lines listed before "... and N more"


@dataclass
class LabelledItem:
    id: str
    context: str
    response: str
    human: dict[Skill, float]  # raw human value per skill (may be continuous)
    level: dict[Skill, int] = field(default_factory=dict)  # the same on 1-5


def _shown(value: Any) -> str:
    """A label value as it is spelt in the file (null, true, "x"), cut short."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def _number(value: Any, what: str, lo: float | None = None, hi: float | None = None) -> float:
    """`value` as a float when it is a JSON number in [lo, hi]; ValueError naming `what`.

    bool is refused although Python counts it as an int: `true` is not a rating of 1.
    """
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if ok and (lo is None or value >= lo) and (hi is None or value <= hi):
        return float(value)
    if lo is not None and hi is not None:
        raise ValueError(f"{what} must be a number from {lo:g} to {hi:g}, not {_shown(value)}")
    raise ValueError(f"{what} must be a number, not {_shown(value)}")


def _map_labels(labels: dict[str, Any]) -> tuple[dict[Skill, float], str] | None:
    """Our skill values from a research row's labels; None when no mapping applies,
    ValueError when the label a mapping needs is there but unusable."""
    if "total" in labels and "emotional_reactions" in labels:
        total = _number(labels["total"], "labels.total (EPITOME)", 0, 6)
        return {"empathy": 1 + math.floor(total * 4 / 6 + 0.5)}, "epitome"
    if labels.get("reflection_level") is not None:
        level = labels["reflection_level"]
        # 0/1/2 are categories, not a scale: 1.5 or 3 has no level to map to.
        if isinstance(level, bool) or level not in (0, 1, 2):
            raise ValueError(
                f"labels.reflection_level (PAIR) must be 0, 1 or 2, not {_shown(level)}"
            )
        return {"active_listening": {0: 1, 1: 3, 2: 5}[int(level)]}, "pair"
    if "main_behaviour" in labels:
        mb = labels["main_behaviour"]
        if mb not in _ANNOMI_BEHAVIOURS:
            raise ValueError(
                f"labels.main_behaviour (AnnoMI) must be one of {', '.join(_ANNOMI_BEHAVIOURS)}, "
                f"not {_shown(mb)}"
            )
        if mb == "reflection":
            value = 5 if labels.get("reflection_subtype") == "complex" else 4
        elif mb == "question":
            value = 3 if labels.get("question_subtype") == "open" else 2
        else:
            value = 1
        return {"active_listening": value}, "annomi"
    if "mi_code" in labels:
        code = labels["mi_code"]
        if not isinstance(code, str) or not code.strip():
            raise ValueError(f"labels.mi_code (MI gold) must be a code name, not {_shown(code)}")
        return {"active_listening": _MI_GOLD.get(code, 2)}, "mi_gold"
    if labels.get("bt_easiness") is not None:
        # Unbounded (a Bradley-Terry score), so only its type is checked.
        return {"clarity": _number(labels["bt_easiness"], "labels.bt_easiness (CLEAR)")}, "clear"
    return None


def _human_values(row: Any) -> tuple[dict[Skill, float], str]:
    """One row's human value per skill and the mapping used; ValueError says what is wrong."""
    if not isinstance(row, dict) or not isinstance(row.get("response"), str):
        raise ValueError("expected an object with a text `response`")
    if row.get("context") is not None and not isinstance(row["context"], str):
        raise ValueError(f"`context` must be text, not {_shown(row['context'])}")
    if isinstance(row.get("human"), dict):
        human: dict[Skill, float] = {}
        # A misspelt skill ("empthy") would otherwise vanish and the line count as unrated.
        unknown = sorted(str(k) for k in row["human"] if k not in SKILLS)
        if unknown:
            raise ValueError(
                f"unknown skill in `human`: {', '.join(map(_shown, unknown))} "
                f"(expected {', '.join(SKILLS)})"
            )
        for skill in SKILLS:
            value = row["human"].get(skill)
            if value is None:
                continue  # not rated on this skill
            human[skill] = _number(value, f"human.{skill}", 1, 5)
        if not human:
            raise ValueError(f"`human` rates no skill (expected {', '.join(SKILLS)}, 1-5)")
        return human, "simple"
    if isinstance(row.get("labels"), dict):
        mapped = _map_labels(row["labels"])
        if mapped is None:
            raise NoMapping([str(k) for k in row["labels"]])
        return mapped
    raise ValueError("expected `human` (1-5 per skill) or `labels`")


class NoMapping(ValueError):
    """A research row whose labels map to no skill (CaSiNo, ESConv, FED); `labels` names them
    so that a file of such rows can be refused in one line."""

    def __init__(self, labels: list[str]) -> None:
        super().__init__(_no_mapping(labels))
        self.labels = labels


def _no_mapping(labels: Iterable[str]) -> str:
    names = ", ".join(sorted(labels))
    if len(names) > 120:
        names = names[: names.rfind(", ", 0, 120)] + ", ..."  # whole names only
    return f"no mapping from these labels to a skill ({names}); see docs/evaluators.md"


def load_labels(path: Path, limit: int | None = None) -> tuple[list[LabelledItem], set[str]]:
    """Items with their human values, and which mappings were used.

    Every bad line is reported at once (up to MAX_REPORTED), so a file is fixed in one pass;
    a file with any bad line is not used: agreement on a silently partial set would mislead.
    """
    items: list[LabelledItem] = []
    used: set[str] = set()
    problems: list[str] = []
    unmapped: set[str] = set()  # labels of the rows that map to no skill
    unmapped_rows = 0
    try:
        raw = path.read_bytes()
    except OSError as exc:
        # Worded as replay words a file it cannot read ("in: Is a directory"), not as
        # Python's "[Errno 21] Is a directory: 'in'".
        raise LabelError([f"{path}: {exc.strerror or exc}"]) from None
    try:
        lines = raw.decode("utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise LabelError([f"{path}: not UTF-8 text (byte {exc.start})"]) from None
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        if limit is not None and len(items) >= limit:
            break
        try:
            # Strict: NaN, 1e400 and 100k-deep nesting are bad lines, not crashes.
            row = strict_json.loads(line)
            human, kind = _human_values(row)
        except json.JSONDecodeError as exc:
            problems.append(f"{path}:{n}: invalid JSON: {exc.msg}")
            continue
        except ValueError as exc:
            problems.append(f"{path}:{n}: {exc}")
            if isinstance(exc, NoMapping):
                unmapped.update(exc.labels)
                unmapped_rows += 1
            continue
        used.add(kind)
        if human:
            items.append(
                LabelledItem(
                    str(row.get("id", n)), row.get("context") or "", row["response"], human
                )
            )
    if len(problems) > 1 and not items and unmapped_rows == len(problems):
        # Every line failed the same way (a dataset with no mapping, such as CaSiNo, ESConv or
        # FED): one line about the file, not 20 copies and "fix the lines above", even when
        # its rows carry different sets of labels.
        raise LabelError([f"{path}: every line: {_no_mapping(unmapped)}"])
    if problems:
        more = len(problems) - MAX_REPORTED
        raise LabelError(problems[:MAX_REPORTED] + ([f"... and {more} more"] if more > 0 else []))
    if not items:
        raise LabelError([f"{path}: no labelled rows"])
    _assign_levels(items, continuous="clear" in used)
    return items, used


def _assign_levels(items: list[LabelledItem], continuous: bool) -> None:
    for skill in SKILLS:
        vals = [it.human[skill] for it in items if skill in it.human]
        if not vals:
            continue
        if continuous and skill == "clarity":
            # Quintiles of this file: the levels are relative, which is what kappa needs.
            ordered = sorted(vals)
            cuts = [ordered[min(len(ordered) - 1, len(ordered) * q // 5)] for q in (1, 2, 3, 4)]
            for it in items:
                if skill in it.human:
                    it.level[skill] = 1 + sum(it.human[skill] >= c for c in cuts)
        else:
            for it in items:
                if skill in it.human:
                    it.level[skill] = to_level(it.human[skill])


def to_level(x: float) -> int:
    return min(5, max(1, math.floor(x + 0.5)))


# ---------------------------------------------------------------------------- statistics


def ranks(values: Sequence[float]) -> list[float]:
    """1-based ranks, ties get the average of their positions."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    out = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        avg = (i + j) / 2 + 1
        for k in range(i, j + 1):
            out[order[k]] = avg
        i = j + 1
    return out


def pearson(x: Sequence[float], y: Sequence[float]) -> float | None:
    if len(x) != len(y) or len(x) < 2:
        return None
    mx, my = statistics.fmean(x), statistics.fmean(y)
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y, strict=True))
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in y)
    if sxx == 0 or syy == 0:
        return None  # a constant column has no correlation
    return sxy / math.sqrt(sxx * syy)


def spearman(x: Sequence[float], y: Sequence[float]) -> float | None:
    return pearson(ranks(x), ranks(y))


def confusion(human: Sequence[int], scorer: Sequence[int]) -> list[list[int]]:
    """5x5 counts, rows = human level 1-5, columns = scorer level 1-5."""
    m = [[0] * 5 for _ in LEVELS]
    for h, s in zip(human, scorer, strict=True):
        m[h - 1][s - 1] += 1
    return m


def quadratic_kappa(human: Sequence[int], scorer: Sequence[int]) -> float | None:
    """Cohen's kappa with quadratic weights on levels 1-5."""
    n = len(human)
    if n == 0:
        return None
    obs = confusion(human, scorer)
    row = [sum(r) for r in obs]
    col = [sum(obs[i][j] for i in range(5)) for j in range(5)]
    num = den = 0.0
    for i in range(5):
        for j in range(5):
            w = (i - j) ** 2 / 16
            num += w * obs[i][j]
            den += w * row[i] * col[j] / n
    if den == 0:
        return None
    return 1 - num / den


@dataclass
class SkillAgreement:
    skill: Skill
    n: int
    spearman: float | None
    kappa: float | None
    exact: float
    within_one: float
    confusion: list[list[int]]

    def to_dict(self) -> dict[str, Any]:
        def r(x: float | None) -> float | None:
            return None if x is None else round(x, 3)

        return {
            "skill": self.skill,
            "n": self.n,
            "spearman": r(self.spearman),
            "quadratic_kappa": r(self.kappa),
            "exact_agreement": r(self.exact),
            "within_one": r(self.within_one),
            "confusion": self.confusion,
        }


def agreement(
    items: Sequence[LabelledItem], scores: Sequence[TurnScore | None]
) -> list[SkillAgreement]:
    out: list[SkillAgreement] = []
    for skill in SKILLS:
        pairs = [
            (it, sc.skill(skill).score)
            for it, sc in zip(items, scores, strict=True)
            if skill in it.human and sc is not None
        ]
        if not pairs:
            continue
        raw_h = [it.human[skill] for it, _ in pairs]
        lvl_h = [it.level[skill] for it, _ in pairs]
        raw_s = [s for _, s in pairs]
        lvl_s = [to_level(s) for s in raw_s]
        diffs = [abs(a - b) for a, b in zip(lvl_h, lvl_s, strict=True)]
        out.append(
            SkillAgreement(
                skill=skill,
                n=len(pairs),
                spearman=spearman(raw_h, raw_s),
                kappa=quadratic_kappa(lvl_h, lvl_s),
                exact=sum(d == 0 for d in diffs) / len(diffs),
                within_one=sum(d <= 1 for d in diffs) / len(diffs),
                confusion=confusion(lvl_h, lvl_s),
            )
        )
    return out


def repeat_variance(runs: Sequence[Sequence[TurnScore | None]]) -> dict[str, dict[str, float]]:
    """Per skill, over items scored in every run: mean variance, mean sd, the share of items
    whose rounded level never changed, and the largest spread seen."""
    out: dict[str, dict[str, float]] = {}
    n_items = len(runs[0]) if runs else 0
    for skill in SKILLS:
        variances: list[float] = []
        stable = 0
        spread = 0.0
        for i in range(n_items):
            vals = [r[i].skill(skill).score for r in runs if r[i] is not None]  # type: ignore[union-attr]
            if len(vals) != len(runs) or len(vals) < 2:
                continue
            variances.append(statistics.pvariance(vals))
            stable += len({to_level(v) for v in vals}) == 1
            spread = max(spread, max(vals) - min(vals))
        if variances:
            out[skill] = {
                "items": float(len(variances)),
                "mean_variance": round(statistics.fmean(variances), 4),
                "mean_sd": round(statistics.fmean(math.sqrt(v) for v in variances), 4),
                "stable_level_share": round(stable / len(variances), 3),
                "max_spread": round(spread, 2),
            }
    return out


def format_report(
    path: Path,
    scorer: str,
    used: Iterable[str],
    results: Sequence[SkillAgreement],
    failed: int,
    variance: dict[str, dict[str, float]] | None = None,
) -> str:
    lines = [f"Calibration of {scorer} against {path}"]
    for kind in sorted(used):
        if kind in MAPPINGS:
            lines.append(f"  mapping: {MAPPINGS[kind]}")
    if failed:
        lines.append(f"  {failed} items could not be scored and are left out")
    lines.append("")
    lines.append(f"{'skill':<18}{'n':>6}{'spearman':>10}{'qw kappa':>10}{'exact':>8}{'±1':>8}")
    for r in results:
        sp = "-" if r.spearman is None else f"{r.spearman:.3f}"
        kp = "-" if r.kappa is None else f"{r.kappa:.3f}"
        lines.append(f"{r.skill:<18}{r.n:>6}{sp:>10}{kp:>10}{r.exact:>8.0%}{r.within_one:>8.0%}")
    for r in results:
        lines += ["", f"{r.skill}: confusion (rows human 1-5, columns scorer 1-5)"]
        lines.append("human " + " ".join(f"{'scorer ' + str(lv):>9}" for lv in LEVELS))
        for level, row in zip(LEVELS, r.confusion, strict=True):
            lines.append(f"{level:>5} " + " ".join(f"{c:>9}" for c in row))
    if variance is not None:
        lines += ["", "Judge repeatability (cache bypassed)"]
        lines.append(
            f"{'skill':<18}{'items':>6}{'mean var':>10}{'mean sd':>9}{'stable':>8}{'max Δ':>7}"
        )
        for skill, v in variance.items():
            lines.append(
                f"{skill:<18}{int(v['items']):>6}{v['mean_variance']:>10.4f}{v['mean_sd']:>9.3f}"
                f"{v['stable_level_share']:>8.0%}{v['max_spread']:>7.2f}"
            )
    return "\n".join(lines) + "\n"
