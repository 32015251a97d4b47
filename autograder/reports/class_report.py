"""The class report (`labkit report GRADES_DIR`): one self-contained HTML page for the instructor.

Score distribution; per question the mean, the difficulty (mean fraction of points) and the discrimination
(point-biserial correlation of the question's score with the rest score, i.e. the total without it); the most
common failure reasons per question, clustered by message shape; runtime per submission; and flagged
submissions (timeouts, integrity events, flaky totals, worker restarts).

Reads <grades>/gradebook.json (the class's records: autograder.record).
"""
from __future__ import annotations

import math
import re
from collections import Counter
from pathlib import Path

import click

from ..atomic import write_text
from ..record import Gradebook, GradeRecord, RecordError
from .feedback_html import _PLOT_LOCK, esc, figure, img, page, png, table

EASY, HARD, LOW_DISCRIMINATION = 0.9, 0.3, 0.2


# ---------------------------------------------------------------- statistics
def _corr(x: list[float], y: list[float]) -> float | None:
    n = len(x)
    if n < 3:
        return None
    mx, my = sum(x) / n, sum(y) / n
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y))
    sxx, syy = sum((a - mx) ** 2 for a in x), sum((b - my) ** 2 for b in y)
    return None if sxx == 0 or syy == 0 else sxy / math.sqrt(sxx * syy)


def item_stats(records: list[GradeRecord]) -> list[dict]:
    """Per question: mean points, difficulty p (mean fraction of points) and discrimination r_pb.

    r_pb is the Pearson correlation of the question's score with the rest score (total minus the question);
    for a right/wrong question it is exactly the point-biserial correlation. None when either does not vary.
    """
    if not records:
        return []
    out = []
    for i, q0 in enumerate(records[0].questions):
        scores = [r.questions[i].score for r in records]
        rest = [r.total - r.questions[i].score for r in records]
        mx = q0.max or 1.0
        out.append({"id": q0.id, "title": q0.title, "max": q0.max,
                    "mean": sum(scores) / len(scores), "difficulty": sum(s / mx for s in scores) / len(scores),
                    "discrimination": _corr(scores, rest),
                    "full": sum(r.questions[i].status == "passed" for r in records)})
    return out


_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?", re.I)
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


def message_shape(message: str) -> str:
    """A failure message with its particulars removed (numbers, quoted names, line numbers), so that the same
    mistake made by different students falls into one cluster."""
    text = message.splitlines()[0] if message else ""
    text = re.split(r";? got |: got ", text)[0]  # public messages go on with the values themselves
    text = _QUOTED.sub("'…'", text)
    text = _NUMBER.sub("#", text)
    return re.sub(r"\s+", " ", text).strip()[:160]


def failure_clusters(records: list[GradeRecord], top: int = 3) -> dict[str, list[dict]]:
    """question id -> the most common failure shapes: how many submissions show each, and one example."""
    out: dict[str, list[dict]] = {}
    for i, q0 in enumerate(records[0].questions if records else []):
        counts: Counter = Counter()
        example: dict[str, str] = {}
        for r in records:
            q = r.questions[i]
            if q.status == "passed":
                continue
            msgs = [t.message for t in q.tests if not t.passed and t.message] or [q.reason]
            shapes = {message_shape(m): m for m in msgs if m}
            for shape, msg in shapes.items():  # each submission counts once per shape
                counts[shape] += 1
                example.setdefault(shape, msg)
        out[q0.id] = [{"shape": s, "count": c, "example": example[s][:300]} for s, c in counts.most_common(top)]
    return out


_TIMEOUT = re.compile(r"timed out|time limit|timeout", re.I)  # the runner's and pytest-timeout's words


def flags(r: GradeRecord) -> list[str]:
    """Why an instructor should look at this submission by hand."""
    why = []
    texts = [q.reason for q in r.questions] + [t.message for q in r.questions for t in q.tests] + r.notes
    timed = sorted({q.id for q in r.questions if any(_TIMEOUT.search(m) for m in [q.reason, *(t.message for t in q.tests)])})
    if timed:
        why.append(f"timeout ({', '.join(timed)})")
    if r.integrity or any("tampered" in t for t in texts):
        why.append("integrity: " + "; ".join(map(str, r.integrity or ["result channel tampering"]))[:200])
    if r.flaky:
        why.append(f"flaky: totals {r.repeat_totals}")
    if r.restarts:
        why.append(f"worker restarted {r.restarts} time(s) (a crash or an early exit)")
    if r.status != "graded":
        why.append(f"{r.status}: {r.notes[0] if r.notes else r.first_problem}"[:200])
    return why


# ---------------------------------------------------------------- charts
def _distribution(records: list[GradeRecord], maximum: float) -> str:
    with _PLOT_LOCK:
        fig = figure(5.5, 2.6)
        ax = fig.add_subplot()
        bins = min(20, max(5, int(maximum) + 1))
        ax.hist([r.total for r in records], bins=bins, range=(0, maximum), color="#3e63dd", edgecolor="white")
        ax.set_xlabel("total points")
        ax.set_ylabel("submissions")
        ax.set_title("Score distribution")
        ax.spines[["top", "right"]].set_visible(False)
        return png(fig)


def _question_means(stats: list[dict]) -> str:
    with _PLOT_LOCK:
        fig = figure(5.5, 2.6)
        ax = fig.add_subplot()
        ax.bar([s["id"] for s in stats], [s["difficulty"] for s in stats], color="#17803d")
        ax.set_ylim(0, 1)
        ax.set_ylabel("mean fraction of points")
        ax.set_title("Per-question mean")
        ax.spines[["top", "right"]].set_visible(False)
        return png(fig)


def _runtimes(records: list[GradeRecord]) -> str:
    rows = sorted(records, key=lambda r: r.seconds)
    with _PLOT_LOCK:
        fig = figure(5.5, 0.22 * len(rows) + 0.9)
        ax = fig.add_subplot()
        ax.barh([r.student for r in rows], [r.seconds for r in rows], color="#667085")
        ax.set_xlabel("seconds")
        ax.set_title("Runtime per submission")
        ax.tick_params(axis="y", labelsize=7)
        ax.spines[["top", "right"]].set_visible(False)
        return png(fig)


# ---------------------------------------------------------------- page
def _fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.2f}"


def _verdict_of(s: dict) -> str:
    notes = []
    if s["difficulty"] >= EASY:
        notes.append("very easy")
    elif s["difficulty"] <= HARD:
        notes.append("hard")
    d = s["discrimination"]
    if d is not None and d < 0:
        notes.append("negative discrimination: check the tests")
    elif d is not None and d < LOW_DISCRIMINATION:
        notes.append("low discrimination")
    return ", ".join(notes)


def render(book: Gradebook, pass_mark: float = 0.5, plots: bool = True) -> str:
    records = book.records
    maximum = book.max or (records[0].max if records else 1.0)
    totals = sorted(r.total for r in records)
    n = len(totals)
    mean = sum(totals) / n if n else 0.0
    median = (totals[(n - 1) // 2] + totals[n // 2]) / 2 if n else 0.0
    passed = sum(t >= pass_mark * maximum for t in totals)
    stats = item_stats(records)
    body = [f"<h1>Class report: {esc(book.title or book.lab)}</h1>",
            f'<p class="muted">lab {esc(book.lab)} · {n} submissions · max {maximum:g} points</p>',
            table(["submissions", "mean", "median", f"passed (≥ {pass_mark:.0%})", "full marks", "zero"],
                  [[n, round(mean, 2), round(median, 2), passed, sum(t >= maximum for t in totals),
                    sum(t == 0 for t in totals)]])]
    if plots and records:
        body.append('<div class="plots">' + img(_distribution(records, maximum), "score distribution")
                    + img(_question_means(stats), "per-question mean") + "</div>")
    body.append("<h2>Questions</h2>")
    body.append('<p class="muted">difficulty: mean fraction of the points (1 = everyone full marks); '
                "discrimination: point-biserial correlation of the question with the rest score "
                f"(below {LOW_DISCRIMINATION} the question barely separates strong from weak submissions).</p>")
    body.append(table(["question", "max", "mean", "difficulty", "discrimination", "full marks", "note"],
                      [[f"{esc(s['id'])} {esc(s['title'])}", s["max"], round(s["mean"], 2),
                        _fmt(s["difficulty"]), _fmt(s["discrimination"]), f"{s['full']} / {n}",
                        esc(_verdict_of(s))] for s in stats]))
    body.append("<h2>Most common failure reasons</h2>")
    clusters = failure_clusters(records)
    rows = [[esc(qid), c["count"], f"<code>{esc(c['shape'])}</code>", esc(c["example"])]
            for qid, cs in clusters.items() for c in cs]
    body.append(table(["question", "submissions", "reason (shape)", "example"], rows) if rows
                else "<p>No failures.</p>")
    body.append("<h2>Flagged submissions</h2>")
    flagged = [(r, flags(r)) for r in records]
    flagged = [(r, f) for r, f in flagged if f]
    body.append(table(["student", "total", "why"],
                      [[esc(r.student), r.total, esc("; ".join(f))] for r, f in flagged],
                      ["flag"] * len(flagged)) if flagged else "<p>None: no timeouts, integrity events or flaky "
                                                                   "scores.</p>")
    body.append("<h2>Runtime per submission</h2>")
    secs = [r.seconds for r in records]
    if secs:
        body.append(f'<p class="muted">total {sum(secs):.1f} s, slowest {max(secs):.1f} s, '
                    f"median {sorted(secs)[len(secs) // 2]:.1f} s (wall time of each submission's worker).</p>")
    if plots and records:
        body.append(img(_runtimes(records), "runtime per submission"))
    return page(f"{book.lab}: class report", "\n".join(body))


def write(grades: Path, out: Path | None = None) -> tuple[Path, Gradebook]:
    book = Gradebook.read(grades)
    try:
        from ..manifest import load as load_lab
        mark = load_lab(book.lab).pass_mark
    except Exception:  # noqa: BLE001  (a gradebook of a lab this kit does not have: the default pass mark)
        mark = 0.5
    out = Path(out) if out else Path(grades) / "class-report.html"
    write_text(out, render(book, mark))
    return out, book


@click.command("report")
@click.argument("grades", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), help="HTML file (default: GRADES/class-report.html).")
def command(grades, out):
    """Class report for a graded batch: distribution, item analysis, common failures, runtimes, flags."""
    try:
        path, book = write(grades, out)
    except RecordError as exc:
        raise click.UsageError(str(exc)) from None
    stats = item_stats(book.records)
    click.echo(f"{book.lab}: {len(book.records)} submissions; " + "; ".join(
        f"{s['id']} p={s['difficulty']:.2f} r={_fmt(s['discrimination'])}" for s in stats))
    click.echo(f"wrote {path}")
