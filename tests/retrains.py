"""When the tests retrain a committed network: only when something the retraining reads has changed since the last
retraining that passed.

Retraining the committed networks from their recipes (tools/make_*.py) and comparing them took about 200 s of the test
command's 530 s on 2 cores, in every run, though a run that changes no recipe, helper or file retrains the same network
bit for bit. So each retraining test (tests/test_committed_*.py) hands its retraining and comparison to
`retrain_unless_recorded`, which runs them unless benchmarks/results/retrains.json holds a passing retraining of the
same name with the same inputs: the code of helpers/, tools/make_*.py, these test files and course.py (which pins the
CPU kernels), compared as code (its syntax tree without docstrings, so prose edits do not count), and the bytes of
requirements.txt, pyproject.toml and the recipe's committed files. Anything else changed, or no record, and the test
retrains now and passes or fails on the comparison. To retrain everything and write the records:

    COURSE_RETRAIN=record python3 course.py test tests/test_committed_*.py

(`COURSE_RETRAIN=always` retrains without writing). docs/decisions.md, "Issue 35, fourth round", says why.
"""

import ast
import datetime
import hashlib
import json
import os
import platform
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
RECORDS = ROOT / "benchmarks" / "results" / "retrains.json"
LOCK = ROOT / "build" / "retrains.lock"
# Every helpers module but the exercises' checks, which no training run imports.
CODE = ("helpers/**/*.py", "tools/make_*.py", "tests/test_committed_*.py", "tests/retrains.py", "course.py")
SETTINGS = ("requirements.txt", "pyproject.toml")
# What a record notes of the machine it was made on: the kernels course.py pins and the CPU.
KERNEL_SETTINGS = ("OMP_NUM_THREADS", "ATEN_CPU_CAPABILITY", "OPENBLAS_CORETYPE", "MKL_CBWR", "ONEDNN_MAX_CPU_ISA")


def code_digest(source: str) -> str:
    """SHA-256 of a Python file's syntax tree without its docstrings: the same for any two sources that differ only in
    comments, docstrings or layout, different for any change to what runs."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and body
                and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return hashlib.sha256(ast.dump(tree).encode()).hexdigest()


def inputs_digest(files, root=ROOT) -> str:
    """One SHA-256 over the code (CODE, as code_digest reads it), the settings files and the given committed files,
    each under its path relative to root, so that a file renamed or moved counts as changed."""
    digest = hashlib.sha256()
    code = sorted(path for pattern in CODE for path in root.glob(pattern)
                  if path.relative_to(root).parts[:2] != ("helpers", "exercises"))
    for path in code:
        digest.update(f"{path.relative_to(root)}\0{code_digest(path.read_text())}\0".encode())
    for path in [root / name for name in SETTINGS] + sorted(root / Path(f).relative_to(ROOT) for f in files):
        digest.update(f"{path.relative_to(root)}\0".encode() + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def machine() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    names = [line.split(":", 1)[1].strip() for line in (cpuinfo.read_text().splitlines() if cpuinfo.exists() else [])
             if line.startswith("model name")]
    cpu = names[0] if names else platform.processor()
    kernels = ", ".join(f"{name}={os.environ[name]}" for name in KERNEL_SETTINGS if name in os.environ)
    return f"{cpu}; torch {torch.__version__}; {kernels}"


def read_records() -> dict:
    return json.loads(RECORDS.read_text()) if RECORDS.exists() else {}


def retrain_unless_recorded(name, files, retrain_and_compare):
    """Run retrain_and_compare() (it asserts the comparison and returns its numbers, a dict) unless a record of name
    with today's inputs exists; return the numbers, recorded or new. With COURSE_RETRAIN=record, retrain and write the
    record; with COURSE_RETRAIN=always, retrain without writing."""
    mode = os.environ.get("COURSE_RETRAIN", "")
    assert mode in ("", "record", "always"), f"COURSE_RETRAIN={mode!r}: use record or always"
    digest = inputs_digest(files)
    record = read_records().get(name)
    if not mode and record is not None and record["inputs"] == digest:
        return record["numbers"]
    numbers = retrain_and_compare()
    if mode == "record":
        import fcntl  # only here: recording is a contributor's step on Linux or macOS

        # Two workers may record at once: each reads, adds its entry and writes under a lock.
        LOCK.parent.mkdir(exist_ok=True)
        with open(LOCK, "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            records = read_records()
            records[name] = {"inputs": digest, "numbers": numbers, "machine": machine(),
                             "date": datetime.date.today().isoformat()}
            RECORDS.write_text(json.dumps(records, indent=1, sort_keys=True) + "\n")
    return numbers

