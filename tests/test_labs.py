"""Every lab proves that its tests grade right: solution full, public tests pass, stubs zero, every mutant below
full, and the blind variants (written from the README and stub only) graded as they should. One warm batch each."""
import ast

import pytest

from autograder import manifest
from autograder.sources import solution_sources
from autograder.authoring import validate

LABS = [lab for lab in manifest.all_labs() if lab.solution.is_dir()]


@pytest.mark.slow
@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.id)
def test_lab_validates(lab):
    verdicts = validate.validate(lab, device="cpu")
    bad = [f"{v.subject}: {v.total:g}/{v.max:g} (expected {v.expected}) {v.detail}" for v in verdicts if not v.ok]
    assert not bad, "\n".join(bad)
    assert any(v.subject.startswith("mutant:") for v in verdicts)
    s = validate.summary(verdicts)
    assert s.correct >= 3 and s.bugs >= 6, f"{lab.id}: {s.correct} correct and {s.bugs} bug variants (want 3 and 6)"


def _helpers(folder) -> dict[str, str]:
    """name -> normalized source of each module-level function that is not a test, in a folder of test files."""
    out = {}
    for f in sorted(folder.rglob("test_*.py")) if folder.is_dir() else []:
        for node in ast.parse(f.read_text()).body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("test"):
                body = ast.Module(body=node.body, type_ignores=[])
                out[node.name] = ast.dump(body)
    return out


@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.id)
def test_no_helper_is_copied_between_public_and_hidden_tests(lab):
    public, hidden = _helpers(lab.public_tests), _helpers(lab.hidden_tests)
    copied = sorted(name for name in public.keys() & hidden.keys() if public[name] == hidden[name])
    same_body = sorted(h for h, body in hidden.items() if body in public.values() and h not in copied)
    assert not copied and not same_body, (f"{lab.id}: move {copied + same_body} to labs/{lab.id}/tests/helpers.py "
                                          "and import it from both")


def test_a_mutant_is_first_graded_on_the_questions_whose_code_it_changes():
    lab = manifest.load("02")
    base = solution_sources(lab)
    answer = base["linear_models.py"]
    assert validate.questions_changed(lab, base, dict(base)) == ()  # nothing changed: nothing to narrow to
    changed = answer.replace("    ### END SOLUTION", "    ### END SOLUTION\n    pass", 1)  # the first answer: q1's
    assert validate.questions_changed(lab, base, {**base, "linear_models.py": changed}) == ("q1",)
    # a change outside every question's symbols (or code that does not parse) grades the whole lab
    assert validate.questions_changed(lab, base, {**base, "linear_models.py": answer + "\nHELPER = 1\n"}) == ()
    assert validate.questions_changed(lab, base, {**base, "linear_models.py": answer + "\ndef (:\n"}) == ()
