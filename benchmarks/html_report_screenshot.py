"""Render a replay HTML report in headless Chromium and save a PNG screenshot.

Shows that the self-contained report opens in a real browser without errors and displays the
scores. Installs nothing: uses /usr/bin/chromium (Debian's `chromium` package) when present,
otherwise prints how to get it. Run: .venv/bin/python benchmarks/html_report_screenshot.py
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from coach.replay import replay_files
from coach.report import render
from coach.scoring.analytic import AnalyticScorer
from coach.transcript import TranscriptWriter

EXCHANGES = [
    (
        "I'm worried this project is slipping and nobody tells me why.",
        "It sounds like you feel left out. What worries you most?",
    ),
    (
        "The deadline. My boss keeps asking and I have nothing to say.",
        "So you're caught in the middle. Could we agree on a weekly update? <b>not bold</b>",
    ),
    (
        "That would help, but I still don't know what happened last week.",
        "Fair point. Two people were out sick; I should have told you on Monday.",
    ),
]


def chromium() -> str | None:
    for candidate in (
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def make_report(folder: Path) -> Path:
    paths = []
    for k, scenario in enumerate(["status-update", "status-update", "angry-customer"]):
        path = folder / f"session{k}.jsonl"
        w = TranscriptWriter.create(path, {"session_id": f"session{k}", "scenario_id": scenario})
        for i, (other, mine) in enumerate(EXCHANGES[: 3 - k % 2]):
            w.write("counterpart", turn_id=f"C{i}", reply_to=f"L{i}" if i else None, text=other)
            w.write("learner", turn_id=f"L{i + 1}", parent=f"C{i}", text=mine)
        w.close()
        paths.append(path)
    run = asyncio.run(replay_files(paths, [AnalyticScorer()]))
    out = folder / "report.html"
    out.write_text(render(run, "html"), encoding="utf-8")
    return out


def main() -> int:
    browser = chromium()
    if browser is None:
        print("chromium not found; install it with: apt-get install -y chromium")
        return 0
    folder = Path(tempfile.mkdtemp(prefix="coach-report-"))
    report = make_report(folder)
    png = Path(tempfile.gettempdir()) / "coach_report_screenshot.png"
    base = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    shot = subprocess.run(
        [*base, f"--screenshot={png}", "--window-size=1200,2400", report.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    dom = subprocess.run(
        [*base, "--dump-dom", report.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    ok = shot.returncode == 0 and dom.returncode == 0 and png.exists()
    shows_scores = "Cohort summary" in dom.stdout and "<svg" in dom.stdout
    errors = [
        ln for ln in (shot.stderr + dom.stderr).splitlines() if "CONSOLE" in ln or "Uncaught" in ln
    ]
    print(f"report:     {report}")
    print(f"screenshot: {png if ok else '(failed)'}")
    print(f"rendered ok: {ok}; shows scores and charts: {shows_scores}; page errors: {len(errors)}")
    for line in errors:
        print("  " + line)
    return 0 if ok and shows_scores and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
