"""The package's layers point one way, with no import cycle (every import, lazy ones included, read with ast)."""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "autograder"
# lower layers never import higher ones; each module belongs to the first layer whose prefix it matches
LAYERS = [
    ("core", {"errors", "paths", "atomic", "threadsafe", "channel", "record", "manifest", "sources", "patches",
              "notebook", "companion", "hidden_data", "isolation.seccomp"}),
    ("worker", {"plugin", "worker"}),
    ("isolation", {"isolation"}),
    ("grading", {"submission", "runner", "scoring", "suites", "static", "reference", "grading",
                 "cluster", "batch", "checking", "notebook_check"}),
    ("reports", {"reports"}),
    ("authoring", {"authoring"}),
    ("cli", {"cli", "__init__", "__main__"}),
]


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(PACKAGE).with_suffix("").parts)


def layer_of(module: str) -> int:
    """The layer of the longest listed name that the module is, or is inside."""
    best = max((len(n), i) for i, (_, names) in enumerate(LAYERS) for n in names
               if module == n or module.startswith(n + "."))
    return best[1]


def imports_of(path: Path) -> set[str]:
    """Modules of the package this file imports, resolved to dotted names relative to the package."""
    me = module_name(path).split(".")
    known = {module_name(p).removesuffix(".__init__") for p in PACKAGE.rglob("*.py")}
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = me[:len(me) - node.level] if path.name != "__init__.py" else me[:len(me) - node.level + 1]
                target = [*base, *(node.module.split(".") if node.module else [])]
                for alias in node.names:
                    sub = ".".join([*target, alias.name])
                    found.add(sub if sub in known else ".".join(target))
            elif node.module and node.module.startswith("autograder"):
                found.add(node.module.removeprefix("autograder").lstrip("."))
        elif isinstance(node, ast.Import):
            found |= {a.name.removeprefix("autograder").lstrip(".") for a in node.names if a.name.startswith("autograder")}
    return {m for m in found if m and m in known and m != module_name(path).removesuffix(".__init__")}


def graph() -> dict[str, set[str]]:
    return {module_name(p).removesuffix(".__init__"): imports_of(p) for p in PACKAGE.rglob("*.py")}


def test_no_import_cycle():
    g = graph()
    state: dict[str, int] = {}

    def visit(node, stack):
        state[node] = 1
        for nxt in g.get(node, ()):
            if state.get(nxt) == 1:
                raise AssertionError(f"import cycle: {' -> '.join([*stack, node, nxt])}")
            if nxt not in state:
                visit(nxt, [*stack, node])
        state[node] = 2
    for node in g:
        if node not in state:
            visit(node, [])


def test_layers_point_one_way():
    wrong = []
    for module, deps in graph().items():
        if module in ("", "__init__"):  # the package's notebook API imports its implementation lazily
            continue
        for dep in deps:
            if layer_of(dep) > layer_of(module):
                wrong.append(f"{module} ({LAYERS[layer_of(module)][0]}) imports {dep} ({LAYERS[layer_of(dep)][0]})")
    assert not wrong, "\n".join(wrong)


def test_the_public_import_paths_still_work():
    import autograder
    from autograder import plugin  # the pytest entry point
    from autograder.paths import DATASETS  # lab tests
    from autograder.static import read_literal  # lab 09's public test
    assert callable(autograder.check) and callable(autograder.grade_question)
    assert plugin.Verdict and DATASETS and read_literal
