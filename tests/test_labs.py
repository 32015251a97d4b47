"""Every lab proves that its tests discriminate: solution full marks, stubs zero, every mutant below full."""
import pytest

from autograder import manifest, validate

pytestmark = pytest.mark.slow
LABS = [lab for lab in manifest.all_labs() if lab.solution.is_dir()]


@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.id)
def test_lab_validates(lab):
    verdicts = validate.validate(lab, device="cpu")
    bad = [f"{v.subject}: {v.total:g}/{v.max:g} (expected {v.expected}) {v.detail}" for v in verdicts if not v.ok]
    assert not bad, "\n".join(bad)
    assert any(v.subject.startswith("mutant:") for v in verdicts)
