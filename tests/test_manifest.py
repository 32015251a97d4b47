import pytest

from autograder import manifest, paths


def test_lab02_manifest_fields(lab02):
    assert lab02.id == "02-linear-models-gradcheck"
    assert lab02.points == 10
    assert [q.id for q in lab02.questions] == ["q1", "q2", "q3", "q4"]
    assert lab02.question("q4").weight("test_estimator_check_estimator") == 2
    assert lab02.question("q1").decides("hidden/test_x.py::test_naive_hidden_inputs[11]")
    assert not lab02.question("q1").decides("public/test_x.py::test_vectorized_matches_oracle")


@pytest.mark.parametrize("name", ["02", "2", "02-linear", "02-linear-models-gradcheck"])
def test_lab_ids_resolve(name):
    assert paths.resolve_lab_id(name) == "02-linear-models-gradcheck"


def test_unknown_lab_is_a_lookup_error():
    with pytest.raises(LookupError, match="no single lab"):
        paths.resolve_lab_id("99")


def test_every_lab_manifest_loads_and_is_consistent():
    for lab in manifest.all_labs():
        assert lab.questions, lab.id
        assert set(lab.duties) <= set(manifest.DUTIES)
        assert lab.points > 0
        for q in lab.questions:
            assert q.points > 0 and q.time_limit > 0, (lab.id, q.id)
            if q.is_suite:  # graded by planted bugs: it needs an implementation and at least one chaff
                chaffs = sorted((lab.solution / "chaffs").glob("*.toml"))
                assert q.implementation and q.file.startswith("test_") and chaffs, (lab.id, q.id)
            else:
                assert q.tests, (lab.id, q.id)


def test_bad_manifest_names_file_and_problem(tmp_path):
    (tmp_path / "lab.toml").write_text('id = "x"\ntitle = "t"\nduties = [9]\nanswer_files = ["a.py"]\nquestions = []\n')
    with pytest.raises(manifest.ManifestError, match="duties must be within 1-7"):
        manifest.load(tmp_path)
    (tmp_path / "lab.toml").write_text("id = [unclosed")
    with pytest.raises(manifest.ManifestError, match="lab.toml"):
        manifest.load(tmp_path)
