"""tests/retrains.py: a record stands for a retraining only while nothing the retraining reads has changed. Each check
plants a change in a copy of the repository's inputs and sees the digest move, or not move for prose, and sees
retrain_unless_recorded retrain exactly when the record does not match."""

import shutil

import pytest

import retrains
from retrains import ROOT, code_digest, inputs_digest, retrain_unless_recorded

COMMITTED = ROOT / "notebooks" / "checkpoints" / "ddpm_scurve.pt"


def test_code_digest_reads_code_not_prose():
    source = '"""A module."""\n\ndef f(x):\n    """Twice x."""\n    return 2 * x  # why: a comment\n'
    same = [source.replace("A module.", "Another module."), source.replace("Twice x.", "Double x."),
            source.replace("  # why: a comment", ""), source.replace("return 2 * x", "return 2 *   x")]
    changed = [source.replace("2 * x", "3 * x"), source.replace("def f(x)", "def f(x, y=0)"),
               source.replace('    """Twice x."""\n', "")[:-1] + "\nf(1)\n"]
    assert {code_digest(s) for s in same} == {code_digest(source)}
    assert len({code_digest(s) for s in changed} | {code_digest(source)}) == len(changed) + 1
    # A function whose whole body is its docstring still parses to something, the same for any docstring.
    assert code_digest('def g():\n    """One."""\n') == code_digest('def g():\n    """Two."""\n')


@pytest.fixture
def copy_of_inputs(tmp_path):
    """The files the digest reads, copied under tmp_path with their relative paths."""
    for pattern in retrains.CODE + retrains.SETTINGS:
        for path in ROOT.glob(pattern):
            target = tmp_path / path.relative_to(ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    target = tmp_path / COMMITTED.relative_to(ROOT)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(COMMITTED, target)
    return tmp_path


def test_the_digest_moves_with_code_files_and_settings(copy_of_inputs):
    root = copy_of_inputs
    original = inputs_digest([COMMITTED])
    assert inputs_digest([COMMITTED], root=root) == original

    def planted(path, change):
        text = path.read_bytes()
        path.write_bytes(change(text))
        try:
            return inputs_digest([COMMITTED], root=root)
        finally:
            path.write_bytes(text)

    training = root / "helpers" / "training" / "loop.py"
    # Prose: a comment and a docstring changed, the digest stays.
    assert planted(training, lambda b: b.replace(b'"""', b'"""Edited. ', 1)) == original
    assert planted(training, lambda b: b + b"\n# a closing comment\n") == original
    # Code, a pinned version, a byte of the committed network: the digest moves.
    assert planted(training, lambda b: b + b"\nEXTRA = 1\n") != original
    assert planted(root / "requirements.txt", lambda b: b + b"\n# a new pin\n") != original
    assert planted(root / COMMITTED.relative_to(ROOT), lambda b: b[:-1] + bytes([b[-1] ^ 1])) != original
    # A new helpers module counts too, in a layer's folder as at the top; an exercise's check does not.
    (root / "helpers" / "exercises").mkdir(exist_ok=True)
    (root / "helpers" / "exercises" / "lesson99.py").write_text("X = 1\n")
    assert inputs_digest([COMMITTED], root=root) == original
    (root / "helpers" / "sampling" / "new_module.py").write_text("X = 1\n")
    assert inputs_digest([COMMITTED], root=root) != original


def test_retrains_exactly_when_the_record_does_not_match(tmp_path, monkeypatch):
    monkeypatch.setattr(retrains, "RECORDS", tmp_path / "retrains.json")
    monkeypatch.setattr(retrains, "LOCK", tmp_path / "retrains.lock")
    calls = []

    def retrain():
        calls.append(1)
        return {"gap": 0.5}

    monkeypatch.delenv("COURSE_RETRAIN", raising=False)
    assert retrain_unless_recorded("a recipe", [COMMITTED], retrain) == {"gap": 0.5} and len(calls) == 1  # no record
    monkeypatch.setenv("COURSE_RETRAIN", "record")
    retrain_unless_recorded("a recipe", [COMMITTED], retrain)
    assert len(calls) == 2 and retrains.read_records()["a recipe"]["numbers"] == {"gap": 0.5}
    monkeypatch.delenv("COURSE_RETRAIN")
    assert retrain_unless_recorded("a recipe", [COMMITTED], retrain) == {"gap": 0.5} and len(calls) == 2  # recorded
    retrain_unless_recorded("another recipe", [COMMITTED], retrain)                                         # other name
    assert len(calls) == 3
    # Planted: the record made for other inputs (here, another committed file).
    retrain_unless_recorded("a recipe", [ROOT / "notebooks" / "checkpoints" / "student_cd.pt"], retrain)
    assert len(calls) == 4
    monkeypatch.setenv("COURSE_RETRAIN", "always")
    retrain_unless_recorded("a recipe", [COMMITTED], retrain)
    assert len(calls) == 5
    # A failing comparison fails the test and writes no record.
    monkeypatch.setenv("COURSE_RETRAIN", "record")

    def failing():
        raise AssertionError("the retrained network differs")

    with pytest.raises(AssertionError):
        retrain_unless_recorded("a failing recipe", [COMMITTED], failing)
    assert "a failing recipe" not in retrains.read_records()
