"""The consistency-distilled student and the reflowed network committed for lesson 16 are what their recipes produce
(tests/test_committed_students.py holds the comparison and progressive distillation's students), retrained when
something they read has changed (tests/retrains.py)."""

from retrains import retrain_unless_recorded
from test_committed_students import files_of, make_students, same_student, setting  # noqa: F401 (fixture)

RETRAINS = True


def test_consistency_student_matches_its_recipe(setting):  # noqa: F811 (fixture)
    retrain_unless_recorded("consistency distillation", files_of("cd"),
                            lambda: same_student("cd", make_students.train_consistency(), setting))


def test_reflowed_network_matches_its_recipe(setting):  # noqa: F811 (fixture)
    retrain_unless_recorded("reflow", files_of("reflow"),
                            lambda: same_student("reflow", make_students.train_reflow(), setting))
