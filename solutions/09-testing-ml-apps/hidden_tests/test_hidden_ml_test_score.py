"""Hidden checks of the ML Test Score self-assessment: every claim must resolve to a real, tagged test.

The learner's test files are parsed (never imported: importing them would import service.py, which is not in
the answers folder) from the folder that holds their ml_test_score.py.
"""
import ast
from pathlib import Path

# our own copy of the rubric: the learner's ITEMS could be edited
ITEMS = {
    "data": ("schema", "feature_benefit", "feature_cost", "meta_requirements", "privacy", "feature_velocity",
             "feature_code_tested"),
    "model": ("specs_reviewed", "offline_online", "hyperparameters", "staleness", "simple_baseline", "slices",
              "inclusion", "capabilities"),
    "infrastructure": ("reproducible_training", "model_spec_unit_tested", "pipeline_integration", "quality_gate",
                       "debuggable", "canary", "rollback"),
    "monitoring": ("dependency_changes", "data_invariants", "training_serving_skew", "staleness",
                   "numerical_stability", "computing_performance", "prediction_quality"),
}
SECTION_OF = {"test_data.py": "data", "test_model_development.py": "model",
              "test_infrastructure.py": "infrastructure", "test_monitoring.py": "monitoring"}


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


def collect(folder: Path) -> dict[str, tuple[list[str], bool]]:
    """node id -> (mlts markers, hollow) for every test function of the four suite files."""
    tests = {}
    for name in SECTION_OF:
        try:
            tree = ast.parse((folder / name).read_text())
        except (OSError, SyntaxError, ValueError):
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
                tests[f"{name}::{node.name}"] = (_marks(node.decorator_list), _hollow(node))
            elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
                for sub in node.body:
                    if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)) and sub.name.startswith("test"):
                        tests[f"{name}::{node.name}::{sub.name}"] = (
                            _marks(node.decorator_list) + _marks(sub.decorator_list), _hollow(sub))
    return tests


def _claims(answers):
    """CLAIMS as plain str -> str pairs (anything else is a wrong claim) and the folder of the answers."""
    from autograder import plugin

    module = answers.ml_test_score
    claims = module.CLAIMS
    assert type(claims) is dict, f"CLAIMS is a {type(claims).__name__}, not a dict"
    plain = {k if type(k) is str else "?": v if type(v) is str else "?" for k, v in claims.items()}
    # the grader's own answers folder, not the module's __file__ (which answer code could point elsewhere)
    return plain, Path(plugin.STATE["answers_dir"] or Path(module.__file__).parent)


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


def test_score_claims_resolve(answers, verdict):
    claims, folder = _claims(answers)
    tests = collect(folder)
    bad = [p for p in (_problem(item, node, tests) for item, node in claims.items()) if p]
    verdict.equal("unresolved_claims", len(bad))
    assert not bad, "claims that do not hold: " + "; ".join(bad[:3])


def test_score_claims_cover_every_section(answers, verdict):
    claims, folder = _claims(answers)
    tests = collect(folder)
    good = [item for item, node in claims.items() if not _problem(item, node, tests)]
    per_section = [sum(item.startswith(s + ":") for item in good) for s in ITEMS]
    # capped counts: the reference claims more, a learner must reach at least 2 per section and 10 in all
    verdict.equal("claims_per_section", [min(c, 2) for c in per_section])
    verdict.equal("claims_total", min(len(good), 10))
    assert min(per_section) >= 2 and len(good) >= 10, f"valid claims per section {per_section}, {len(good)} in all"


def test_score_every_test_is_tagged_in_its_section(answers, verdict):
    _, folder = _claims(answers)
    tests = collect(folder)
    wrong = [node for node, (marks, _) in tests.items()
             if not marks or any(m.partition(":")[0] != SECTION_OF[node.split("::")[0]]
                                 or m.partition(":")[2] not in ITEMS[SECTION_OF[node.split("::")[0]]] for m in marks)]
    hollow = [node for node, (_, h) in tests.items() if h]
    verdict.equal("mistagged_tests", len(wrong))
    verdict.equal("hollow_tests", len(hollow))
    verdict.equal("files_with_tests", ",".join(sorted({node.split("::")[0] for node in tests})))
    assert not wrong, "tests without a marker of their file's section: " + ", ".join(wrong[:3])
    assert not hollow, "tests that check nothing: " + ", ".join(hollow[:3])
