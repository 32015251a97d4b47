"""Everything a batch writes for people and machines: gradebook, feedback, Gradescope, JUnit. All atomic."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from xml.etree import ElementTree as ET

from .atomic import write_json, write_text
from .feedback_html import feedback_html
from .manifest import Lab


def write_all(out: Path, lab: Lab, records: list[dict]) -> None:
    """Write per-student files first and the gradebook last, so a gradebook on disk is always complete."""
    out = Path(out)
    for r in records:
        write_text(out / "feedback" / f"{r['student']}.md", feedback_markdown(lab, r))
        write_text(out / "feedback" / f"{r['student']}.html", feedback_html(lab, r))
        write_json(out / "gradescope" / r["student"] / "results.json", gradescope(r))
    write_text(out / "junit.xml", junit(lab, records))
    write_json(out / "gradebook.json", gradebook_json(lab, records))
    write_text(out / "gradebook.csv", gradebook_csv(lab, records))


def gradebook_json(lab: Lab, records: list[dict]) -> dict:
    return {
        "lab": lab.id, "title": lab.title, "max": lab.points,
        "students": [{
            "student": r["student"], "total": r["total"], "max": r["max"], "isolation": r["isolation"],
            "device": r["device"], "seconds": r["seconds"], "flaky": r.get("flaky", False), "notes": r["notes"],
            "questions": {q["id"]: {"score": q["score"], "max": q["max"], "status": q["status"],
                                    "reason": q["reason"]} for q in r["questions"]},
        } for r in records],
    }


def gradebook_csv(lab: Lab, records: list[dict]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    qids = [q.id for q in lab.questions]
    w.writerow(["student", "total", "max", *qids, *(f"{q}_status" for q in qids), "isolation", "device", "notes"])
    for r in records:
        qs = {q["id"]: q for q in r["questions"]}
        w.writerow([r["student"], r["total"], r["max"], *(qs[q]["score"] for q in qids),
                    *(qs[q]["status"] for q in qids), r["isolation"], r["device"], " | ".join(r["notes"])])
    return buf.getvalue()


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def feedback_markdown(lab: Lab, r: dict) -> str:
    """What the student reads: per question what passed, what failed and a hint; never hidden sources or values."""
    lines = [f"# {lab.title}: feedback for {r['student']}", "",
             f"**Score: {r['total']:g} / {r['max']:g}**", "",
             "| question | score | status | reason |", "|---|---|---|---|"]
    for q in r["questions"]:
        lines.append(f"| {q['id']} {_md_escape(q['title'])} | {q['score']:g} / {q['max']:g} | {q['status']} | "
                     f"{_md_escape(q['reason'][:200])} |")
    for q in r["questions"]:
        lines += ["", f"## {q['id']}: {q['title']} ({q['score']:g} / {q['max']:g})"]
        public = [t for t in q["tests"] if not t["hidden"]]
        hidden = [t for t in q["tests"] if t["hidden"]]
        for t in public:
            mark = "passed" if t["passed"] else f"FAILED: {t['message']}"
            lines.append(f"- `{t['id'].split('::')[-1]}` {mark}")
        if hidden:
            ok = sum(t["passed"] for t in hidden)
            lines.append(f"- hidden checks: {ok} of {len(hidden)} passed")
            for msg in sorted({t["message"] for t in hidden if not t["passed"]})[:3]:
                lines.append(f"  - {msg}")
        if q["hint"]:
            lines.append(f"\nHint: {q['hint']}")
    if r["notes"]:
        lines += ["", "## Notes", *(f"- {n}" for n in r["notes"])]
    lines += ["", f"Graded at isolation tier `{r['isolation']}` on `{r['device']}` in {r['seconds']:.1f} s."]
    return "\n".join(lines) + "\n"


def gradescope(r: dict) -> dict:
    """Gradescope's autograder results format: one entry per question."""
    tests = []
    for i, q in enumerate(r["questions"], 1):
        out = q["reason"] + (f"\nHint: {q['hint']}" if q["hint"] else "")
        tests.append({"name": f"{q['id']}: {q['title']}", "number": str(i), "score": q["score"],
                      "max_score": q["max"], "status": "passed" if q["status"] == "passed" else "failed",
                      "output": out.strip(), "visibility": "visible"})
    return {"score": r["total"], "execution_time": int(round(r["seconds"])), "tests": tests,
            "output": f"Graded by labkit at isolation tier {r['isolation']}.", "visibility": "visible",
            "stdout_visibility": "hidden"}


def junit(lab: Lab, records: list[dict]) -> str:
    root = ET.Element("testsuites", name=lab.id)
    for r in records:
        failures = sum(q["status"] != "passed" for q in r["questions"])
        suite = ET.SubElement(root, "testsuite", name=f"{lab.id}.{r['student']}", tests=str(len(r["questions"])),
                              failures=str(failures), errors="0", time=f"{r['seconds']:.3f}")
        for q in r["questions"]:
            case = ET.SubElement(suite, "testcase", classname=r["student"], name=f"{q['id']} {q['title']}",
                                 time="0")
            if q["status"] != "passed":
                fail = ET.SubElement(case, "failure", message=f"{q['score']:g}/{q['max']:g}: {q['reason'][:300]}")
                fail.text = q["reason"]
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def load_gradebook(out: Path) -> dict:
    return json.loads((Path(out) / "gradebook.json").read_text())
