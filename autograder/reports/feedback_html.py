"""Feedback per student as one self-contained HTML page: score per question, what was checked, what failed
and a hint, and plots as embedded PNG. Never a hidden test's source or an expected value: the result
records hold none (hidden failures carry only the author's message or the grader's comparison summary).

Also the small HTML and plotting helpers the other reports share (class report, transcript, similarity).
"""
from __future__ import annotations

import base64
import html
import io
import os
import tempfile
import threading

from ..manifest import Lab
from ..record import GradeRecord

_PLOT_LOCK = threading.Lock()  # matplotlib's font cache and state are not thread-safe; plots are cheap

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:60rem;color:#1d2330;
     line-height:1.45;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem} h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.6rem 0;font-size:.92rem} th,td{border:1px solid #d8dce3;padding:.25rem .5rem;
     text-align:left;vertical-align:top} th{background:#f2f4f7}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.passed{color:#17803d} .partial{color:#a66300} .failed{color:#b42318} .muted{color:#667085;font-size:.9rem}
.hint{background:#f5f8ff;border-left:4px solid #3e63dd;padding:.4rem .7rem;margin:.5rem 0}
.flag{background:#fff4e5} img{max-width:100%}
code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85rem}
.score{font-size:1.3rem;font-weight:600} .plots{display:flex;flex-wrap:wrap;gap:1rem}
@media print{body{margin:0;max-width:none;font-size:10pt} h2{break-after:avoid} table,img{break-inside:avoid}}
"""


def esc(text) -> str:
    return html.escape(str(text), quote=True)


def page(title: str, body: str) -> str:
    """A whole HTML document: inline CSS, no scripts, no external resources (the icon too), so it opens anywhere."""
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<link rel="icon" href="data:,"><title>{esc(title)}</title><style>{CSS}</style></head>\n'
            f"<body>\n{body}\n</body></html>\n")


def table(header: list[str], rows: list[list], classes: list[str] | None = None) -> str:
    """rows hold HTML already escaped by the caller (so cells may carry markup); numbers are right-aligned."""
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = []
    for i, row in enumerate(rows):
        cls = f' class="{classes[i]}"' if classes and classes[i] else ""
        cells = "".join(f'<td class="num">{c:g}</td>' if isinstance(c, (int, float)) and not isinstance(c, bool)
                        else f"<td>{c}</td>" for c in row)
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _private_mpl_config() -> None:
    """matplotlib writes a font cache: into a private temp dir of this process, removed when it exits."""
    if "MPLCONFIGDIR" in os.environ:
        return
    import atexit
    import shutil
    folder = tempfile.mkdtemp(prefix=f"labkit-mpl-{os.getpid()}-")
    atexit.register(shutil.rmtree, folder, True)
    os.environ["MPLCONFIGDIR"] = folder


def figure(width: float = 6.0, height: float = 3.0):
    """A matplotlib Figure on the Agg canvas (no pyplot, no display); the config dir is a private temp dir."""
    _private_mpl_config()
    import matplotlib
    matplotlib.use("Agg", force=False)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(figsize=(width, height), dpi=96, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def png(fig) -> str:
    """The figure as a data: URI (PNG), for an <img> that needs no other file."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=96)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def img(uri: str, alt: str) -> str:
    return f'<img src="{uri}" alt="{esc(alt)}">'


def score_chart(record: GradeRecord) -> str:
    """Horizontal bars: each question's score against its maximum."""
    qs = record.questions
    with _PLOT_LOCK:
        fig = figure(6.0, 0.45 * len(qs) + 0.9)
        ax = fig.add_subplot()
        labels = [q.id for q in qs][::-1]
        ax.barh(labels, [q.max for q in qs][::-1], color="#e4e7ec", label="max")
        colors = {"passed": "#17803d", "partial": "#d98e04", "failed": "#b42318"}
        ax.barh(labels, [q.score for q in qs][::-1], color=[colors.get(q.status, "#667085") for q in qs][::-1],
                label="score")
        ax.set_xlabel("points")
        ax.set_title(f"{record.student}: {pts(record.total)} / {pts(record.max)}")
        ax.spines[["top", "right"]].set_visible(False)
        return png(fig)


def series_chart(series: dict) -> str:
    """A plot the lab's tests recorded with verdict.series: a line plot (learning curve, residuals) or a matrix
    (confusion matrix) drawn with its counts."""
    import numpy as np
    arr = np.asarray(series["values"], dtype=float)
    with _PLOT_LOCK:
        if series.get("plot") == "matrix" and arr.ndim == 2:
            fig = figure(3.6, 3.2)
            ax = fig.add_subplot()
            im = ax.imshow(arr, cmap="Blues")
            if arr.size <= 144:
                for (i, j), v in np.ndenumerate(arr):
                    ax.text(j, i, f"{v:g}", ha="center", va="center", fontsize=8,
                            color="white" if v > arr.max() * 0.6 else "black")
            ax.set_xticks(range(arr.shape[1]))
            ax.set_yticks(range(arr.shape[0]))
            ax.set_xlabel("predicted")
            ax.set_ylabel("true")
            fig.colorbar(im, ax=ax, shrink=0.8)
        else:
            fig = figure(4.2, 2.8)
            ax = fig.add_subplot()
            for i, row in enumerate(np.atleast_2d(arr)):
                ax.plot(np.arange(1, len(row) + 1), row, marker="." if len(row) < 40 else None, label=f"#{i + 1}")
            if arr.ndim == 2 and len(arr) > 1:
                ax.legend(fontsize=7)
            ax.set_xlabel("step")
            ax.spines[["top", "right"]].set_visible(False)
        ax.set_title(series["name"], fontsize=10)
        return png(fig)


def pts(x: float) -> str:
    return f"{round(x, 2):g}"


def feedback_html(lab: Lab, r: GradeRecord, plots: bool = True) -> str:
    """The student's page: summary table, a score chart, then per question the checks, failures, hint and plots."""
    rows = [[f"{esc(q.id)} {esc(q.title)}", f"{pts(q.score)} / {pts(q.max)}",
             f'<span class="{esc(q.status)}">{esc(q.status)}</span>', esc(q.reason[:200])] for q in r.questions]
    body = [f"<h1>{esc(lab.title)}</h1>",
            f'<p class="muted">Feedback for <b>{esc(r.student)}</b> · lab {esc(lab.id)}</p>',
            f'<p class="score">Score: {pts(r.total)} / {pts(r.max)}</p>',
            table(["question", "score", "status", "first problem"], rows)]
    if plots:
        body.append(img(score_chart(r), "score per question"))
    for q in r.questions:
        body.append(f'<h2>{esc(q.id)}: {esc(q.title)} <span class="{esc(q.status)}">'
                    f"({pts(q.score)} / {pts(q.max)})</span></h2>")
        spec = next((s for s in lab.questions if s.id == q.id), None)
        if spec is not None and spec.symbols:
            body.append(f'<p class="muted">Checks {", ".join(f"<code>{esc(s)}</code>" for s in spec.symbols)} in '
                        f"<code>{esc(spec.file)}</code> with {len(q.hidden)} hidden test(s); "
                        f"<code>labkit check {esc(lab.id[:2])} {esc(q.id)}</code> runs the public ones.</p>")
        items = [f"<li><code>{esc(t.name)}</code> "
                 + ('<span class="passed">passed</span>' if t.passed else
                    f'<span class="failed">failed</span>: {esc(t.message[:600])}') + "</li>" for t in q.public]
        if q.hidden:
            ok = sum(t.passed for t in q.hidden)
            msgs = sorted({t.message for t in q.hidden if not t.passed})[:3]
            sub = "".join(f"<li>{esc(m[:300])}</li>" for m in msgs)
            items.append(f"<li>hidden checks: {ok} of {len(q.hidden)} passed{f'<ul>{sub}</ul>' if sub else ''}</li>")
        if q.reason and not q.tests:
            items.append(f'<li><span class="failed">not graded</span>: {esc(q.reason)}</li>')
        body.append(f"<ul>{''.join(items)}</ul>")
        if q.hint:
            body.append(f'<div class="hint"><b>Hint:</b> {esc(q.hint)}</div>')
        series = [s for t in q.tests for s in t.series] if plots else []
        if series:
            body.append('<div class="plots">' + "".join(img(series_chart(s), s["name"]) for s in series[:6]) + "</div>")
    notes = r.notes + [f"{n} {why}" for why, n in r.skipped.items()]
    if notes:
        body.append("<h2>Notes</h2><ul>" + "".join(f"<li>{esc(n)}</li>" for n in notes) + "</ul>")
    body.append(f'<p class="muted">Graded at isolation tier <code>{esc(r.isolation)}</code> on '
                f"<code>{esc(r.device)}</code> in {r.seconds:.1f} s.</p>")
    return page(f"{lab.id}: feedback for {r.student}", "\n".join(body))
