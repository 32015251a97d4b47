"""Stubs and notebooks in labs/ are generated from solutions/ and must never drift."""
import json

import pytest

from autograder import manifest, patches, sources
from autograder.authoring import mutants, release, variants

LABS = [lab for lab in manifest.all_labs() if lab.solution.is_dir()]


def test_strip_solutions_keeps_signature_and_indent():
    src = 'def f(x):\n    """Doc."""\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n'
    # nbgrader's own code stub, so `nbgrader generate_assignment` makes the same stubs
    assert sources.strip_solutions(src) == 'def f(x):\n    """Doc."""\n    # YOUR CODE HERE\n    raise NotImplementedError()\n'


@pytest.mark.parametrize("src,match", [("### END SOLUTION\n", "without"), ("### BEGIN SOLUTION\n", "never closed"),
                                       ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n", "nested")])
def test_marker_errors(src, match):
    with pytest.raises(sources.MarkerError, match=match):
        sources.strip_solutions(src)


@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.id)
def test_generated_files_are_in_sync(lab):
    for path, text in release.expected_files(lab).items():
        assert path.is_file(), f"{path} is missing: run `labkit release {lab.id}`"
        assert path.read_text() == text, f"{path} differs from its source: run `labkit release {lab.id}`"


@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.id)
def test_notebooks_are_committed_without_outputs_and_with_nbgrader_cells(lab):
    for nb_path in lab.path.glob("*.ipynb"):
        nb = json.loads(nb_path.read_text())
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        assert all(not c["outputs"] and c["execution_count"] is None for c in code), nb_path
        assert any(c["metadata"].get("nbgrader", {}).get("solution") for c in code), nb_path


@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.id)
def test_stubs_keep_no_solution_code(lab):
    for answer, stub in sources.stub_sources(lab).items():
        assert sources.BEGIN not in stub and sources.END not in stub
        assert "raise NotImplementedError" in stub


@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.id)
def test_mutants_apply_cleanly(lab):
    planted = mutants.load_all(lab)
    assert len(planted) >= 4
    for m in planted:
        assert m.sources != sources.solution_sources(lab), m.name


def test_mutant_find_must_match_exactly_once(lab02, tmp_path, monkeypatch):
    bad = tmp_path / "bad.toml"
    bad.write_text('file = "linear_models.py"\n[[replace]]\nfind = "return"\nwith = "yield"\n')
    with pytest.raises(patches.PatchError, match="exactly once"):
        patches.apply(bad, sources.solution_sources(lab02))


@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.id)
def test_blind_variants_load(lab):
    found = variants.load_all(lab)
    for v in found:
        assert v.kind in ("correct", "bug") and (v.kind == "correct" or v.question), v.name


def test_bundle_leaves_out_solutions(tmp_path):
    out = release.bundle(tmp_path / "bundle")
    assert (out / "labs").is_dir() and (out / "autograder").is_dir()
    assert not (out / "solutions").exists() and not (out / ".git").exists()
