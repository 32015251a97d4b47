"""Self-assessment with the ML Test Score (Breck et al., 2017): which rubric items your suite automates.

CLAIMS maps a rubric item "section:item" (from ITEMS below) to the node id of the test that automates it,
"test_<file>.py::test_name" (a parametrized test is named without its [id]). Write it as one dict literal:
the grader reads this file and your test files without running them, and checks that every claimed test exists, really checks something (an assert, not a stub) and
carries the marker @pytest.mark.mlts("<the same section:item>"). Claim at least 2 items in every section
and 10 in all; claim only what a test really automates (a wrong claim costs points).
"""

# the rubric's 28 items, in the order of the paper's four tables
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

CLAIMS = {
    "data:schema": "test_data.py::test_raw_data_matches_schema",
    "data:meta_requirements": "test_data.py::test_every_age_group_survives_cleaning",
    "data:feature_code_tested": "test_data.py::test_features_of_a_known_row",
    "model:simple_baseline": "test_model_development.py::test_beats_a_two_feature_baseline",
    "model:slices": "test_model_development.py::test_quality_on_every_age_group",
    "model:inclusion": "test_model_development.py::test_text_inv_names",
    "model:capabilities": "test_model_development.py::test_text_mft_simple_reviews",
    "infrastructure:reproducible_training": "test_infrastructure.py::test_training_is_reproducible",
    "infrastructure:model_spec_unit_tested": "test_infrastructure.py::test_probabilities_are_valid",
    "infrastructure:pipeline_integration": "test_infrastructure.py::test_training_job_end_to_end",
    "infrastructure:quality_gate": "test_infrastructure.py::test_quality_gate_before_serving",
    "infrastructure:debuggable": "test_infrastructure.py::test_single_row_equals_its_batch_prediction",
    "monitoring:training_serving_skew": "test_monitoring.py::test_training_serving_skew",
    "monitoring:data_invariants": "test_monitoring.py::test_drift_alert_names_the_shifted_feature",
    "monitoring:numerical_stability": "test_monitoring.py::test_extreme_inputs_give_finite_probabilities",
    "monitoring:computing_performance": "test_monitoring.py::test_prediction_cost_is_vectorised",
}
