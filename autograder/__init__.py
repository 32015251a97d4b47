"""labkit's autograder: graded ML-engineering labs, checked safely."""
import sys

# The grader writes no bytecode next to the kit's sources: a folder no job can write, but one a planted .pyc in
# would run outside every sandbox; grading jobs run with PYTHONDONTWRITEBYTECODE as well.
sys.dont_write_bytecode = True

__version__ = "0.1.0"


def check(*questions: str, lab: str | None = None) -> None:
    """In a notebook: run the public tests of these questions on your answers and print a table."""
    from .notebook_check import check as _check
    return _check(*questions, lab=lab)


def grade_question(question: str, lab: str | None = None) -> float:
    """In an nbgrader test cell: the points of one question, public and hidden tests."""
    from .notebook_check import grade_question as _grade
    return _grade(question, lab=lab)
