"""q5, the ML Test Score self-assessment: every claim must resolve to a real, tagged test that checks something.

Run by the grader on the submission's text (kind = "static" in lab.toml): ml_test_score.py and the four
test files are parsed, never imported, so nothing the learner wrote can patch these checks. CLAIMS must
therefore be a dict literal of strings.
"""
import ast
from pathlib import Path

from autograder.static import read_literal

# the rubric as the reference answer file gives it to learners (read from this folder, never from a
# submission, whose ITEMS could be edited)
ITEMS, _problem_reading_items = read_literal(Path(__file__).with_name("ml_test_score.py").read_text(), "ITEMS")
if _problem_reading_items:
    raise ValueError(f"ml_test_score.py of the reference: {_problem_reading_items}")
SECTION_OF = {"test_data.py": "data", "test_model_development.py": "model",
              "test_infrastructure.py": "infrastructure", "test_monitoring.py": "monitoring"}
MIN_PER_SECTION, MIN_TOTAL = 2, 10


def read_claims(source: str) -> tuple[dict[str, str], str]:
    """CLAIMS from the module's text: (claims, '') or ({}, why it cannot be read without running the code)."""
    claims, why = read_literal(source, "CLAIMS")
    if why:
        return {}, why
    if type(claims) is not dict or not all(type(k) is str and type(v) is str for k, v in claims.items()):
        return {}, "CLAIMS must be a dict literal mapping 'section:item' strings to 'test_<file>.py::test_name' strings"
    return claims, ""


def _marks(decorators) -> list[str]:
    out = []
    for d in decorators:
        if isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute) and d.func.attr == "mlts" \
                and isinstance(d.func.value, ast.Attribute) and d.func.value.attr == "mark":
            arg = d.args[0] if len(d.args) == 1 else None
            out.append(arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else "?")
    return out


def _hollow(fn: ast.FunctionDef) -> bool:
    """A body that checks nothing: docstring, pass, `...`, `assert <constant>` or raise NotImplementedError."""
    for stmt in fn.body:
        if isinstance(stmt, ast.Pass) or isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue
        if isinstance(stmt, ast.Assert) and isinstance(stmt.test, ast.Constant):
            continue
        if isinstance(stmt, ast.Raise) and "NotImplementedError" in ast.unparse(stmt):
            continue
        return False
    return True


def collect(sources: dict[str, str]) -> dict[str, tuple[list[str], bool]]:
    """node id -> (mlts markers, hollow) for every test function of the four suite files that parse."""
    tests = {}
    for name in SECTION_OF:
        try:
            tree = ast.parse(sources.get(name, ""))
        except (SyntaxError, ValueError):
            continue  # the suite question of that file reports it; here its tests simply do not exist
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
                tests[f"{name}::{node.name}"] = (_marks(node.decorator_list), _hollow(node))
            elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
                for sub in node.body:
                    if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)) and sub.name.startswith("test"):
                        tests[f"{name}::{node.name}::{sub.name}"] = (
                            _marks(node.decorator_list) + _marks(sub.decorator_list), _hollow(sub))
    return tests


def _problem(item: str, node: str, tests: dict) -> str:
    """Why a claim does not hold, or '' when it does."""
    node = node.split("[")[0]
    section, _, name = item.partition(":")
    if name not in ITEMS.get(section, ()):
        return f"{item!r} is not a rubric item"
    if node not in tests:
        return f"{item}: no test {node}"
    if item not in tests[node][0]:
        return f"{item}: {node} is not marked mlts({item!r})"
    if tests[node][1]:
        return f"{item}: {node} checks nothing"
    return ""


def ml_test_score(sources: dict[str, str]) -> list[tuple[str, bool, str]]:
    """The four checks of q5, each (id, passed, message)."""
    claims, unreadable = read_claims(sources.get("ml_test_score.py", ""))
    tests = collect(sources)
    bad = [p for p in (_problem(item, node, tests) for item, node in claims.items()) if p]
    good = [item for item, node in claims.items() if not _problem(item, node, tests)]
    per_section = [sum(item.startswith(s + ":") for item in good) for s in ITEMS]
    wrong = [node for node, (marks, _) in tests.items()
             if not marks or any(m.partition(":")[0] != SECTION_OF[node.split("::")[0]]
                                 or m.partition(":")[2] not in ITEMS[SECTION_OF[node.split("::")[0]]] for m in marks)]
    hollow = [node for node, (_, h) in tests.items() if h]
    files = {node.split("::")[0] for node in tests}
    return [
        ("claims_resolve", bool(claims) and not bad,
         unreadable or ("no claims" if not claims else "claims that do not hold: " + "; ".join(bad[:3]) if bad else "")),
        ("claims_cover_every_section", min(per_section) >= MIN_PER_SECTION and len(good) >= MIN_TOTAL,
         f"valid claims per section {dict(zip(ITEMS, per_section))}, {len(good)} in all; needed "
         f"{MIN_PER_SECTION} per section and {MIN_TOTAL} in all"),
        ("every_test_tagged_in_its_section", bool(tests) and not wrong and files == set(SECTION_OF),
         "tests without a marker of their file's section: " + ", ".join(wrong[:3]) if wrong else
         "files without a test: " + ", ".join(sorted(set(SECTION_OF) - files))),
        ("every_test_checks_something", bool(tests) and not hollow,
         "tests that check nothing: " + ", ".join(hollow[:3]) if hollow else "no tests"),
    ]
