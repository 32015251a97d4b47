"""Everything a batch writes for people and machines: gradebook, feedback, Gradescope, JUnit. All atomic.

`gradebook.json` is the class's records (autograder.record, schema-versioned); the CSV, the feedback pages,
Gradescope's results.json and JUnit are views of the same records. Hidden tests appear by count and by the
grader's own messages only.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path
from xml.etree import ElementTree as ET

from ..atomic import write_json, write_text
from ..manifest import Lab
from ..record import Gradebook, GradeRecord, safe_name
from .feedback_html import feedback_html


def write_all(out: Path, lab: Lab, records: list[GradeRecord]) -> None:
    """Write per-student files first and the gradebook last, so a gradebook on disk is always complete."""
    out = Path(out)
    for r in records:
        name = safe_name(r.student)
        write_text(out / "feedback" / f"{name}.md", feedback_markdown(lab, r))
        write_text(out / "feedback" / f"{name}.html", feedback_html(lab, r))
        write_json(out / "gradescope" / name / "results.json", gradescope(r))
    write_text(out / "junit.xml", junit(lab, records))
    write_json(out / "gradebook.json", Gradebook(lab.id, lab.title, lab.points, records).to_json())
    write_text(out / "gradebook.csv", gradebook_csv(lab, records))


def gradebook_csv(lab: Lab, records: list[GradeRecord]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    qids = [q.id for q in lab.questions]
    w.writerow(["student", "total", "max", *qids, *(f"{q}_status" for q in qids), "isolation", "device", "notes"])
    for r in records:
        qs = {q.id: q for q in r.questions}
        w.writerow([r.student, r.total, r.max, *(qs[q].score if q in qs else "" for q in qids),
                    *(qs[q].status if q in qs else "" for q in qids), r.isolation, r.device,
                    " | ".join(r.notes + skipped_lines(r))])
    return buf.getvalue()


def skipped_lines(r: GradeRecord) -> list[str]:
    return [f"{n} {why}" for why, n in r.skipped.items()]


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def feedback_markdown(lab: Lab, r: GradeRecord) -> str:
    """What the student reads: per question what passed, what failed and a hint; never hidden sources or values."""
    lines = [f"# {lab.title}: feedback for {r.student}", "", f"**Score: {r.total:g} / {r.max:g}**", "",
             "| question | score | status | reason |", "|---|---|---|---|"]
    for q in r.questions:
        lines.append(f"| {q.id} {_md_escape(q.title)} | {q.score:g} / {q.max:g} | {q.status} | "
                     f"{_md_escape(q.reason[:200])} |")
    for q in r.questions:
        lines += ["", f"## {q.id}: {q.title} ({q.score:g} / {q.max:g})"]
        for t in q.public:
            lines.append(f"- `{t.name}` " + ("passed" if t.passed else f"FAILED: {t.message}"))
        if q.hidden:
            lines.append(f"- hidden checks: {sum(t.passed for t in q.hidden)} of {len(q.hidden)} passed")
            for msg in sorted({t.message for t in q.hidden if not t.passed})[:3]:
                lines.append(f"  - {msg}")
        if q.hint:
            lines.append(f"\nHint: {q.hint}")
    notes = r.notes + skipped_lines(r)
    if notes:
        lines += ["", "## Notes", *(f"- {n}" for n in notes)]
    lines += ["", f"Graded at isolation tier `{r.isolation}` on `{r.device}` in {r.seconds:.1f} s."]
    return "\n".join(lines) + "\n"


def gradescope(r: GradeRecord) -> dict:
    """Gradescope's autograder results format: one entry per question."""
    tests = []
    for i, q in enumerate(r.questions, 1):
        out = q.reason + (f"\nHint: {q.hint}" if q.hint else "")
        tests.append({"name": f"{q.id}: {q.title}", "number": str(i), "score": q.score, "max_score": q.max,
                      "status": "passed" if q.status == "passed" else "failed", "output": out.strip(),
                      "visibility": "visible"})
    extra = "".join(f" {line}." for line in skipped_lines(r))
    return {"score": r.total, "execution_time": int(round(r.seconds)), "tests": tests,
            "output": f"Graded by labkit at isolation tier {r.isolation} on {r.device}.{extra}",
            "visibility": "visible", "stdout_visibility": "hidden"}


def junit(lab: Lab, records: list[GradeRecord]) -> str:
    root = ET.Element("testsuites", name=lab.id)
    for r in records:
        failures = sum(q.status != "passed" for q in r.questions)
        skipped = sum(r.skipped.values())
        suite = ET.SubElement(root, "testsuite", name=f"{lab.id}.{r.student}", tests=str(len(r.questions) + skipped),
                              failures=str(failures), errors="0", skipped=str(skipped), time=f"{r.seconds:.3f}")
        for q in r.questions:
            case = ET.SubElement(suite, "testcase", classname=r.student, name=f"{q.id} {q.title}", time="0")
            if q.status != "passed":
                fail = ET.SubElement(case, "failure", message=f"{q.score:g}/{q.max:g}: {q.reason[:300]}")
                fail.text = q.reason
        for why, n in r.skipped.items():
            case = ET.SubElement(suite, "testcase", classname=r.student, name=f"{n} device case(s)", time="0")
            ET.SubElement(case, "skipped", message=f"{n} {why}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
