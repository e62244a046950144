"""How well the analytic scorer agrees with human labels (dev halves in ../shared/data).

Prints one table: each figure, the target we hold ourselves to and the published or simple
baseline beside it. Stdlib only (no sklearn/scipy), so it runs in any environment; exits 0
with a message when the data folder is absent (e.g. a plain checkout).

    python benchmarks/scoring_validity.py
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._data import data_dir, rows
from coach.scoring.analytic import AnalyticScorer, Signals, session_metrics

# --------------------------------------------------------------------------- statistics


def macro_f1(gold: Sequence[object], pred: Sequence[object]) -> float:
    labels = sorted(set(gold), key=str)
    f1s = [f1(gold, pred, lab) for lab in labels]
    return sum(f1s) / len(f1s) if f1s else 0.0


def f1(gold: Sequence[object], pred: Sequence[object], positive: object) -> float:
    tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == positive and p == positive)
    fp = sum(1 for g, p in zip(gold, pred, strict=True) if g != positive and p == positive)
    fn = sum(1 for g, p in zip(gold, pred, strict=True) if g == positive and p != positive)
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def accuracy(gold: Sequence[object], pred: Sequence[object]) -> float:
    return sum(1 for g, p in zip(gold, pred, strict=True) if g == p) / len(gold) if gold else 0.0


def _ranks(xs: Sequence[float]) -> list[float]:
    order = sorted(range(len(xs)), key=lambda i: xs[i])
    ranks = [0.0] * len(xs)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and xs[order[j + 1]] == xs[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float:
    rx, ry = _ranks(xs), _ranks(ys)
    n = len(xs)
    mx, my = sum(rx) / n, sum(ry) / n
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    vx = sum((a - mx) ** 2 for a in rx) ** 0.5
    vy = sum((b - my) ** 2 for b in ry) ** 0.5
    return cov / (vx * vy) if vx and vy else 0.0


def auc(scores_pos: Sequence[float], scores_neg: Sequence[float]) -> float:
    """Probability a positive outranks a negative (ties count half)."""
    if not scores_pos or not scores_neg:
        return 0.0
    wins = 0.0
    for p in scores_pos:
        for n in scores_neg:
            wins += 1.0 if p > n else 0.5 if p == n else 0.0
    return wins / (len(scores_pos) * len(scores_neg))


# --------------------------------------------------------------------------- benchmarks

Row = tuple[str, str, str, str]  # figure, value, target, baseline


def _fmt(x: float) -> str:
    return f"{x:.3f}"


def epitome(scorer: AnalyticScorer) -> list[Row]:
    data = list(rows("epitome_reddit"))
    if not data:
        return []
    sigs = [scorer.analyse(r["context"], r["response"]) for r in data]
    out: list[Row] = []
    spec = [
        ("emotional_reactions", 0.65, "kw 0.49 / RoBERTa 0.75"),
        ("interpretations", 0.55, "kw 0.39 / RoBERTa 0.63"),
        ("explorations", 0.65, "kw 0.54 / RoBERTa 0.73"),
    ]
    for key, target, base in spec:
        gold = [int(r["labels"][key]) for r in data]
        pred = [int(getattr(s, key)) for s in sigs]
        out.append((f"EPITOME {key} acc", _fmt(accuracy(gold, pred)), "", ""))
        out.append((f"EPITOME {key} macro-F1", _fmt(macro_f1(gold, pred)), f">= {target}", base))
    return out


def annomi(scorer: AnalyticScorer) -> list[Row]:
    data = list(rows("annomi_therapist"))
    if not data:
        return []
    sigs = [scorer.analyse(r["context"], r["response"]) for r in data]
    gold3 = [
        b if (b := r["labels"]["main_behaviour"]) in ("reflection", "question") else "other"
        for r in data
    ]
    pred3 = [s.main_behaviour for s in sigs]
    out: list[Row] = [
        ("AnnoMI 3-way macro-F1", _fmt(macro_f1(gold3, pred3)), ">= 0.75", ""),
        ("AnnoMI 3-way accuracy", _fmt(accuracy(gold3, pred3)), "", ""),
    ]
    g_sub, p_sub = [], []
    for r, s in zip(data, sigs, strict=True):
        if r["labels"]["main_behaviour"] == "reflection" and r["labels"]["reflection_subtype"]:
            g_sub.append(r["labels"]["reflection_subtype"])
            p_sub.append("complex" if s.reflection == "complex" else "simple")
    out.append(
        (
            "AnnoMI reflection simple/complex acc",
            _fmt(accuracy(g_sub, p_sub)),
            "",
            f"majority {_fmt(max(g_sub.count('simple'), g_sub.count('complex')) / len(g_sub))}",
        )
    )
    g_q, p_q = [], []
    for r, s in zip(data, sigs, strict=True):
        if r["labels"]["main_behaviour"] == "question" and r["labels"]["question_subtype"]:
            g_q.append(r["labels"]["question_subtype"])
            p_q.append("closed" if s.question == "closed" else "open")
    out.append(
        (
            "AnnoMI question open/closed acc",
            _fmt(accuracy(g_q, p_q)),
            "",
            f"majority {_fmt(max(g_q.count('open'), g_q.count('closed')) / len(g_q))}",
        )
    )
    by_t: dict[object, list[Signals]] = defaultdict(list)
    quality: dict[object, str] = {}
    for r, s in zip(data, sigs, strict=True):
        by_t[r["meta"]["transcript_id"]].append(s)
        quality[r["meta"]["transcript_id"]] = r["labels"]["mi_quality"]
    metrics = {t: session_metrics(v) for t, v in by_t.items()}
    for key, base in [
        ("reflection_to_question", "human codes 0.85"),
        ("reflection_rate", "human codes 0.90"),
        ("listening_index", ""),
    ]:
        pos = [metrics[t][key] for t in metrics if quality[t] == "high"]
        neg = [metrics[t][key] for t in metrics if quality[t] == "low"]
        out.append((f"AnnoMI transcript AUC ({key})", _fmt(auc(pos, neg)), ">= 0.80", base))
    return out


def pair(scorer: AnalyticScorer) -> list[Row]:
    data = list(rows("pair_reflections"))
    if not data:
        return []
    by_p: dict[object, list[tuple[int, float]]] = defaultdict(list)
    for r in data:
        sc = scorer.score_sync(r["context"], r["response"]).active_listening.score
        by_p[r["meta"]["prompt_index"]].append((int(r["labels"]["reflection_level"]), sc))
    right = total = 0.0
    for items in by_p.values():
        for i, (la, sa) in enumerate(items):
            for lb, sb in items[i + 1 :]:
                if la == lb:
                    continue
                total += 1
                hi, lo = (sa, sb) if la > lb else (sb, sa)
                right += 1.0 if hi > lo else 0.5 if hi == lo else 0.0
    return [("PAIR higher reflection ranked higher", _fmt(right / total), ">= 0.85", "kw 0.75")]


def casino(scorer: AnalyticScorer) -> list[Row]:
    data = list(rows("casino_strategies"))
    if not data:
        return []
    gold = [bool(r["labels"]["showing_empathy"]) for r in data]
    pred = []
    for r in data:
        s = scorer.analyse(r["context"], r["response"])
        pred.append(
            s.emotional_reactions >= 1 or (s.interpretations >= 1 and not s.self_disclosure)
        )
    return [
        (
            "CaSiNo showing_empathy F1",
            _fmt(f1(gold, pred, True)),
            "",
            f"all-positive {_fmt(f1(gold, [True] * len(gold), True))}",
        )
    ]


def clear(scorer: AnalyticScorer) -> list[Row]:
    data = list(rows("clear_readability"))
    if not data:
        return []
    gold = [float(r["labels"]["bt_easiness"]) for r in data]
    sigs = [scorer.analyse("", r["response"]) for r in data]
    read = [s.readability for s in sigs]
    clar = [scorer.score_sync("", r["response"]).clarity.score for r in data]
    fre = [float(r["meta"]["formula_baselines"]["Flesch-Reading-Ease"]) for r in data]
    return [
        (
            "CLEAR Spearman readability vs ease",
            _fmt(spearman(read, gold)),
            ">= 0.60",
            f"Flesch {_fmt(spearman(fre, gold))}",
        ),
        ("CLEAR Spearman clarity score vs ease", _fmt(spearman(clar, gold)), "", ""),
    ]


def mi_gold(scorer: AnalyticScorer) -> list[Row]:
    data = list(rows("mi_gold_test"))
    if not data:
        return []
    gold, pred = [], []
    adv_gold, adv_pred = [], []
    for r in data:
        code = r["labels"]["mi_code"]
        s = scorer.analyse(r["context"], r["response"])
        g = "reflection" if "Reflection" in code else "question" if "Question" in code else "other"
        gold.append(g)
        pred.append(s.main_behaviour)
        adv_gold.append(code == "Advise without Permission")
        adv_pred.append(s.advice_without_permission)
    return [
        ("MI-gold 3-way macro-F1", _fmt(macro_f1(gold, pred)), "", ""),
        ("MI-gold advice-without-permission F1", _fmt(f1(adv_gold, adv_pred, True)), "", ""),
    ]


def esconv(scorer: AnalyticScorer) -> list[Row]:
    data = list(rows("esconv_supporter_turns"))
    if not data:
        return []
    gold, pred = [], []
    for r in data:
        st = set(r["labels"]["strategies"])
        s = scorer.analyse(r["context"], r["response"])
        gold.append("Question" in st)
        pred.append(s.main_behaviour == "question")
    g2, p2 = [], []
    for r in data:
        st = set(r["labels"]["strategies"])
        s = scorer.analyse(r["context"], r["response"])
        g2.append(bool(st & {"Reflection of feelings", "Restatement or Paraphrasing"}))
        p2.append(s.reflection != "none")
    return [
        ("ESConv Question F1", _fmt(f1(gold, pred, True)), "", ""),
        ("ESConv reflection/restatement F1", _fmt(f1(g2, p2, True)), "", ""),
    ]


BENCHES: list[Callable[[AnalyticScorer], list[Row]]] = [
    epitome,
    annomi,
    pair,
    casino,
    clear,
    mi_gold,
    esconv,
]


def main() -> int:
    if data_dir() is None:
        print("skipped: data folder not found (set COACH_DATA_DIR or place ../shared/data)")
        return 0
    scorer = AnalyticScorer()
    table: list[Row] = []
    for bench in BENCHES:
        table.extend(bench(scorer))
    w = max(len(r[0]) for r in table)
    print(f"{'figure':<{w}}  {'value':>6}  {'target':<8}  baseline")
    print("-" * (w + 40))
    for name, value, target, base in table:
        print(f"{name:<{w}}  {value:>6}  {target:<8}  {base}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
