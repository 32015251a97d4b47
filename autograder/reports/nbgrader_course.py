"""An nbgrader course from our labs, and nbgrader's gradebook back into ours.

export: COURSE/nbgrader_config.py and COURSE/source/<lab>/<answer>.ipynb, the source notebooks (solution
regions and HIDDEN TESTS regions in nbgrader's markers). `nbgrader generate_assignment <lab>` then makes
exactly the notebooks in labs/<lab>/, and `nbgrader autograde` gives each check cell the points that
`labkit grade` gives the question: the cell calls the same grader on the same notebook.
import: reads COURSE/gradebook.db and writes our gradebook files.
"""
from __future__ import annotations

from pathlib import Path

from .. import notebook
from ..atomic import write_text
from ..companion import build_notebook
from ..manifest import Lab
from ..record import GradeRecord, QuestionResult
from ..sources import solution_sources
from . import gradebook

CONFIG = '''\
# Written by `labkit nbgrader export`. nbgrader reads this file from the course root.
import os

c = get_config()  # noqa: F821
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = "{course_id}"
c.CourseDirectory.db_assignments = [{assignments}]
# our stubs are nbgrader's default stub, so generate_assignment reproduces labs/<lab>/ exactly
c.ClearSolutions.code_stub = {{"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}}
# a check cell grades the whole lab once (the other cells reuse it): allow the lab's time limit
c.Execute.timeout = {timeout}
c.Autograde.create_student = True
'''


def export(course: Path, labs: list[Lab], course_id: str = "labkit") -> list[Path]:
    course = Path(course)
    written = []
    for lab in labs:
        for answer, code in solution_sources(lab).items():
            path = course / "source" / lab.id / (Path(answer).stem + ".ipynb")
            write_text(path, notebook.dumps(build_notebook(lab, answer, code, source=True)))
            written.append(path)
    timeout = int(max([600, *(lab.time_limit * 3 for lab in labs)]))
    assignments = ", ".join(f'{{"name": "{lab.id}"}}' for lab in labs)
    write_text(course / "nbgrader_config.py", CONFIG.format(course_id=course_id, assignments=assignments,
                                                            timeout=timeout))
    return [course / "nbgrader_config.py", *written]


def import_gradebook(course: Path, lab: Lab, out: Path) -> list[GradeRecord]:
    """nbgrader's autograded scores of `lab` (check-<question> cells) as our gradebook in `out`."""
    from nbgrader.api import Gradebook, MissingEntry

    records = []
    with Gradebook(f"sqlite:///{Path(course).resolve() / 'gradebook.db'}") as gb:
        assignment = gb.find_assignment(lab.id)
        for sub in sorted(assignment.submissions, key=lambda s: s.student.id):
            questions = []
            for q in lab.questions:
                nb_name = Path(q.file).stem
                try:
                    g = gb.find_grade(f"check-{q.id}", nb_name, lab.id, sub.student.id)
                    score = float(g.score)
                except MissingEntry:
                    score = 0.0
                questions.append(QuestionResult(q.id, q.title, round(score, 4), q.points,
                                                "" if score >= q.points else "graded by nbgrader"))
            records.append(GradeRecord(student=sub.student.id, lab=lab.id,
                                       total=round(sum(x.score for x in questions), 4), max=lab.points,
                                       questions=questions, isolation="nbgrader"))
    gradebook.write_all(out, lab, records)
    return records
