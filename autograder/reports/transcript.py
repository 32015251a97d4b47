"""A skills transcript (`labkit transcript GRADES_DIR... [--student ID]`): graded labs mapped onto the seven
duties of the job (manifest.DUTIES, each lab's `duties` in lab.toml, the first being its main duty) and the
two frameworks (PyTorch and Keras, from each lab's `frameworks`; an oracle-only use is no evidence).

With --student: one learner's one-page profile with the evidence per duty (which labs, which questions, what
score), printable as a PDF from any browser. Without: the class view, which duties the class has not yet
mastered (the share of students at or above the mastery level per duty).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click

from ..atomic import write_text
from ..manifest import DUTIES
from ..record import Gradebook, GradeRecord, RecordError
from .feedback_html import esc, page, table

MASTERED, DEVELOPING = 0.8, 0.5  # fraction of the points of every question that counts for a skill
FRAMEWORKS = {"PyTorch": ("torch", "pytorch"), "Keras": ("keras",)}


@dataclass
class LabResult:
    lab: str
    title: str
    duties: tuple[int, ...]
    frameworks: tuple[str, ...]
    students: dict[str, GradeRecord]
    questions: dict[str, str]  # question id -> title (from the lab's manifest, when the kit has the lab)


def frameworks_of(entries: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Which of the two frameworks a lab gives evidence for: its learners write code with it."""
    out = []
    for name, keys in FRAMEWORKS.items():
        if any(e.split()[0].lower() in keys and "oracle" not in e for e in entries):
            out.append(name)
    return tuple(out)


def load(grades_dirs: list[Path]) -> list[LabResult]:
    from ..manifest import load as load_lab
    out = []
    for g in grades_dirs:
        book = Gradebook.read(g)
        try:
            spec = load_lab(book.lab)
            duties, frameworks = spec.duties, frameworks_of(spec.frameworks)
        except Exception:  # noqa: BLE001  (a lab this kit does not ship: no duties known, the scores still show)
            duties, frameworks = (), ()
        titles = {q.id: q.title for r in book.records for q in r.questions}
        out.append(LabResult(book.lab, book.title or book.lab, tuple(duties), frameworks,
                             {r.student: r for r in book.records}, titles))
    return out


def level(fraction: float | None) -> str:
    if fraction is None:
        return "no evidence yet"
    return "mastered" if fraction >= MASTERED else "developing" if fraction >= DEVELOPING else "not yet"


def skills() -> list[tuple[str, str]]:
    """(key, label) of the nine skills: D1..D7 and the two frameworks."""
    return [(f"D{d}", text) for d, text in DUTIES.items()] + [(f, f"{f} (writes working code with it)")
                                                              for f in FRAMEWORKS]


def _covers(lab: LabResult, key: str) -> str:
    """'main', 'also' or '' for how a lab covers a skill."""
    if key.startswith("D"):
        d = int(key[1:])
        return "main" if lab.duties[:1] == (d,) else "also" if d in lab.duties else ""
    return "also" if key in lab.frameworks else ""


def profile(labs: list[LabResult], student: str) -> dict[str, dict]:
    """skill -> {fraction, level, evidence: [(lab, title, role, question, score, max)]}"""
    out = {}
    for key, _ in skills():
        evidence, earned, possible = [], 0.0, 0.0
        for lab in labs:
            role = _covers(lab, key)
            entry = lab.students.get(student)
            if not role or entry is None:
                continue
            for q in entry.questions:
                evidence.append((lab.lab, lab.title, role, q.id, q.score, q.max))
                earned += q.score
                possible += q.max
        frac = earned / possible if possible else None
        out[key] = {"fraction": frac, "level": level(frac), "evidence": evidence}
    return out


def _bar(frac: float | None) -> str:
    if frac is None:
        return '<span class="muted">–</span>'
    color = "#17803d" if frac >= MASTERED else "#d98e04" if frac >= DEVELOPING else "#b42318"
    return (f'<span style="display:inline-block;width:8rem;height:.7rem;background:#e4e7ec;vertical-align:middle">'
            f'<span style="display:block;height:100%;width:{frac * 100:.0f}%;background:{color}"></span></span> '
            f"{frac:.0%}")


def render_student(labs: list[LabResult], student: str) -> str:
    prof = profile(labs, student)
    graded = [lab for lab in labs if student in lab.students]
    rows = [[f"<b>{esc(k)}</b> {esc(label)}", _bar(prof[k]["fraction"]), esc(prof[k]["level"]),
             esc(", ".join(sorted({e[0].split('-')[0] for e in prof[k]['evidence']})) or "–")]
            for k, label in skills()]
    body = [f"<h1>Skills transcript: {esc(student)}</h1>",
            f'<p class="muted">{len(graded)} graded lab(s): '
            + esc(", ".join(f"{lab.lab} ({lab.students[student].total:g}/{lab.students[student].max:g})"
                            for lab in graded)) + ". "
            f"Mastered: at least {MASTERED:.0%} of all the points of the questions that count for the skill; "
            f"developing: at least {DEVELOPING:.0%}.</p>",
            table(["skill", "score", "level", "labs"], rows), "<h2>Evidence</h2>"]
    for key, label in skills():
        ev = prof[key]["evidence"]
        if not ev:
            continue
        titles = {lab.lab: lab.questions for lab in labs}
        items = "".join(f"<li>{esc(lab)} {esc(q)}: {s:g} / {m:g} <span class=\"muted\">"
                        f"{esc(titles[lab].get(q, ''))}{' (main duty of the lab)' if role == 'main' else ''}</span></li>"
                        for lab, _, role, q, s, m in ev)
        body.append(f"<p><b>{esc(key)}</b> {esc(label)}: {esc(prof[key]['level'])}</p><ul>{items}</ul>")
    return page(f"transcript: {student}", "\n".join(body))


def class_view(labs: list[LabResult]) -> list[dict]:
    """Per skill: students with evidence, their mean fraction, and the share who mastered it."""
    students = sorted({s for lab in labs for s in lab.students})
    profiles = {s: profile(labs, s) for s in students}
    out = []
    for key, label in skills():
        fracs = [profiles[s][key]["fraction"] for s in students if profiles[s][key]["fraction"] is not None]
        mastered = sum(f >= MASTERED for f in fracs)
        out.append({"skill": key, "label": label, "students": len(fracs),
                    "mean": sum(fracs) / len(fracs) if fracs else None,
                    "mastered": mastered / len(fracs) if fracs else None,
                    "labs": sorted(lab.lab for lab in labs if _covers(lab, key))})
    return out


def render_class(labs: list[LabResult]) -> str:
    view = class_view(labs)
    rows, classes = [], []
    for v in view:
        status = ("no graded lab covers it yet" if v["mastered"] is None else
                  "mastered by most" if v["mastered"] >= 0.5 else "NOT YET MASTERED by most")
        rows.append([f"<b>{esc(v['skill'])}</b> {esc(v['label'])}", _bar(v["mean"]),
                     "–" if v["mastered"] is None else f"{v['mastered']:.0%} of {v['students']}", esc(status),
                     esc(", ".join(v["labs"]) or "–")])
        classes.append("flag" if v["mastered"] is not None and v["mastered"] < 0.5 else "")
    students = sorted({s for lab in labs for s in lab.students})
    body = [f"<h1>Class skills: {len(students)} students, {len(labs)} lab(s)</h1>",
            f'<p class="muted">Per duty and framework: the mean fraction of points and the share of students who '
            f"mastered it (at least {MASTERED:.0%}). Highlighted rows: fewer than half the class has mastered it.</p>",
            table(["skill", "class mean", "mastered", "status", "labs"], rows, classes)]
    return page("class skills", "\n".join(body))


@click.command("transcript")
@click.argument("grades", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--student", help="One learner's profile (default: the class view).")
@click.option("--out", type=click.Path(path_type=Path), help="HTML file (default: the first GRADES folder's "
              "transcript-<student>.html or class-skills.html).")
def command(grades, student, out):
    """Map graded labs (one GRADES folder per lab) onto the seven duties and the two frameworks."""
    try:
        labs = load(list(grades))
    except RecordError as exc:
        raise click.UsageError(str(exc)) from None
    if student:
        if not any(student in lab.students for lab in labs):
            raise click.UsageError(f"no graded lab has student {student!r}")
        out = out or Path(grades[0]) / f"transcript-{student}.html"
        write_text(out, render_student(labs, student))
        for key, p in profile(labs, student).items():
            click.echo(f"{key:8s} {p['level']:16s} " + ("" if p["fraction"] is None else f"{p['fraction']:.0%}"))
    else:
        out = out or Path(grades[0]) / "class-skills.html"
        write_text(out, render_class(labs))
        for v in class_view(labs):
            if v["mastered"] is not None:
                click.echo(f"{v['skill']:8s} mastered by {v['mastered']:.0%} of {v['students']}")
    click.echo(f"wrote {out}")
