"""Set up the course's virtual environment and run it.

    python3 course.py lab     # set up, then open JupyterLab on lesson 01 (your own copy, in workspace/)
    python3 course.py test    # set up, then run the whole test suite
    python3 course.py slides  # set up, then build offline HTML decks into build/slides/
    python3 course.py build   # contributors: re-execute every lesson from its .py twin

Only the Python standard library is used here, so a fresh clone needs nothing but Python >= 3.10.
The environment lives in .venv/ and is reinstalled only when requirements.txt or pyproject.toml change,
so the second run starts in a second or two.
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / "course-installed.sha256"
FIRST_LESSON = "notebooks/01_data.ipynb"
# The learner's own copy of the lessons: JupyterLab autosaves, and the committed notebooks are the tested source.
WORKSPACE = ROOT / "workspace"
WORKSPACE_FILES = ("notebooks/*.ipynb", "notebooks/solutions/*.py", "notebooks/checkpoints/ddpm_scurve.pt",
                   "benchmarks/results/*.json", "slides/*.ipynb")
# Warnings printed by a lesson carry the kernel's temp file name unless this is fixed (see docs/testing.md).
KERNEL_ENV = {"IPYKERNEL_CELL_NAME": "<IPY-INPUT>"}


def venv_python() -> Path:
    sub = "Scripts/python.exe" if os.name == "nt" else "bin/python"
    return VENV / sub


def wanted_hash() -> str:
    digest = hashlib.sha256()
    for name in ("requirements.txt", "pyproject.toml"):
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def run(cmd, **kwargs):
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, cwd=ROOT, **kwargs)


def setup() -> Path:
    if sys.version_info < (3, 10):
        sys.exit(f"The course needs Python >= 3.10; this is {sys.version.split()[0]}.")
    python = venv_python()
    if not python.exists():
        print(f"Creating the virtual environment in {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    write_lab_overrides()
    want = wanted_hash()
    if STAMP.exists() and STAMP.read_text().strip() == want:
        return python
    run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", "requirements.txt", "-e", "."])
    STAMP.write_text(want + "\n")
    return python


# JupyterLab's defaults, in the environment's own settings folder (read by JupyterLab and by RISE's /rise/ page alike):
# in the RISE slideshow a slide taller than the screen scrolls instead of being cut off, and the "white" theme needs
# no web fonts; the file browser leaves out its "Last Modified" column, so that the lessons' names show whole.
LAB_OVERRIDES = {
    "jupyterlab-rise:plugin": {"scroll": True, "theme": "white"},
    "@jupyterlab/filebrowser-extension:browser": {"showLastModifiedColumn": False},
}


def write_lab_overrides() -> Path:
    """Write LAB_OVERRIDES into the environment's JupyterLab settings folder (share/jupyter/lab/settings)."""
    path = VENV / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(LAB_OVERRIDES, indent=1) + "\n")
    return path


def make_workspace(target: Path = WORKSPACE) -> list:
    """Copy the lessons, the talk, the solutions and what the lessons read into target, keeping the repository's
    layout so that the lessons' relative paths work. A file already there is kept: it holds the learner's work.
    Returns the files copied."""
    copied = []
    for pattern in WORKSPACE_FILES:
        for source in sorted(ROOT.glob(pattern)):
            destination = target / source.relative_to(ROOT)
            if not destination.exists():
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, destination)
                copied.append(destination)
    return copied


def lab_options(root: Path, is_root_user: bool) -> list:
    """JupyterLab on root, opening lesson 01. Jupyter refuses to run as root without --allow-root, because a root
    server can do anything to the machine; containers and cloud notebooks often run as root, so the flag is added
    there, and only there."""
    options = [f"--ServerApp.root_dir={root}", f"--LabApp.default_url=/lab/tree/{FIRST_LESSON}"]
    return options + ["--allow-root"] if is_root_user else options


def torch_threads(command: str, cores: int) -> int:
    """Threads per process, so that torch's OpenMP workers never spin-wait for a core someone else holds.

    On 2 cores with one other busy process, 2 threads train 4x slower than 1 (docs/decisions.md). The lab leaves one
    core to the browser; the test run gives each of its two workers half the cores.
    """
    return max(1, cores // 2) if command == "test" else max(1, cores - 1)


def env_with(extra: dict) -> dict:
    env = dict(os.environ)
    env.update(extra)
    # A kernel that inherits MPLBACKEND=Agg draws no inline figures, which breaks every figure cell.
    env.pop("MPLBACKEND", None)
    return env


def main(argv) -> int:
    if not argv or argv[0] not in {"lab", "test", "slides", "build"}:
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    python = setup()
    env = env_with(KERNEL_ENV)
    if command in ("lab", "test"):
        # A thread count the user set wins.
        env.setdefault("OMP_NUM_THREADS", str(torch_threads(command, os.cpu_count() or 2)))
    if command == "lab":
        copied = make_workspace()
        print(f"Your copy of the lessons is in {WORKSPACE} ({len(copied)} new files); the committed ones stay as they are.")
        is_root_user = hasattr(os, "geteuid") and os.geteuid() == 0
        run([python, "-m", "jupyter", "lab", *lab_options(WORKSPACE, is_root_user), *rest], env=env)
    elif command == "test":
        # Two workers; --dist loadfile keeps each notebook's cells in one kernel.
        run([python, "-m", "pytest", "-n", "2", "--dist", "loadfile", *rest], env=env)
    elif command == "slides":
        run([python, "slides/build.py", *rest], env=env)
    else:
        run([python, "tools/build_notebooks.py", *rest], env=env)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except subprocess.CalledProcessError as err:
        sys.exit(err.returncode)
    except KeyboardInterrupt:
        sys.exit(130)
