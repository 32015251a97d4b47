"""Public checks for lab 09: your self-assessment is well formed and your suite files collect.

Whether your tests pass on the provided service is shown by `labkit check` too (it runs your suites against
service.py); the planted bugs they must catch stay hidden until grading.
"""
import ast
from pathlib import Path

from autograder.static import read_literal

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


def _marks(fn) -> list[str]:
    out = []
    for d in fn.decorator_list:
        if isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute) and d.func.attr == "mlts":
            arg = d.args[0] if len(d.args) == 1 else None
            out.append(arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else "?")
    return out


def _only_a_stub(fn) -> bool:
    return all(isinstance(s, ast.Pass) or isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)
               or isinstance(s, ast.Raise) and "NotImplementedError" in ast.unparse(s) for s in fn.body)


def test_score_claims_are_well_formed(answers, verdict):
    claims = answers.ml_test_score.CLAIMS
    problems = [] if type(claims) is dict else [f"CLAIMS is a {type(claims).__name__}, not a dict"]
    for item, node in (claims.items() if type(claims) is dict else ()):
        section, _, name = str(item).partition(":")
        if name not in ITEMS.get(section, ()):
            problems.append(f"{item!r} is not 'section:item' from ITEMS")
        file, sep, test = str(node).partition("::")
        if not sep or SECTION_OF.get(file) != section or not test.startswith("test"):
            problems.append(f"{item}: {node!r} is not '{'test_<file>.py'}::test_name' in the {section} file")
    verdict.equal("claim_problems", "\n".join(problems), expected="")


def test_score_claims_are_one_literal(answers, verdict):
    """The grader reads CLAIMS without running ml_test_score.py: it must be one dict literal, never changed."""
    _, problem = read_literal(Path(answers.ml_test_score.__file__).read_text(), "CLAIMS")
    verdict.equal("claims_literal_problem", problem, expected="")


def test_score_suite_files_collect(answers, verdict):
    folder = Path(answers.ml_test_score.__file__).parent
    problems = []
    for file, section in SECTION_OF.items():
        try:
            tree = ast.parse((folder / file).read_text())
        except OSError:
            problems.append(f"{file}: missing (a file that does not parse is left out of grading)")
            continue
        except SyntaxError as exc:
            problems.append(f"{file}: SyntaxError on line {exc.lineno}: {exc.msg}")
            continue
        tests = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test")]
        if not tests:
            problems.append(f"{file}: no test function")
        for fn in tests:
            marks = _marks(fn)
            if not marks or any(m.partition(":")[0] != section or m.partition(":")[2] not in ITEMS[section]
                                for m in marks):
                problems.append(f"{file}::{fn.name}: needs @pytest.mark.mlts('{section}:<item>')")
            if _only_a_stub(fn):
                problems.append(f"{file}::{fn.name}: still a stub")
    verdict.equal("suite_problems", "\n".join(problems[:10]), expected="")
