"""Set up the course's virtual environment and run it.

    python3 course.py lab     # set up, then open JupyterLab on lesson 01 (your own copy, in workspace/)
    python3 course.py lab --lang zh   # the same, on the Chinese edition of lessons 01-08 (zh/)
    python3 course.py test    # set up, then run the whole test suite (--lesson 08: one lesson's tests)
    python3 course.py slides  # set up, then build offline HTML decks into build/slides/
    python3 course.py site    # set up, then build the course website into build/site/ (open build/site/index.html)
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
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / "course-installed.sha256"
FIRST_LESSON = "notebooks/01_data.ipynb"
# The lesson `course.py lab --lang LANGUAGE` opens: the English course, or the Chinese edition of Part I (zh/, issue 46).
FIRST_LESSONS = {"en": FIRST_LESSON, "zh": "zh/01_data.ipynb"}
# The learner's own copy of the lessons: JupyterLab autosaves, and the committed notebooks are the tested source.
WORKSPACE = ROOT / "workspace"
WORKSPACE_FILES = ("notebooks/*.ipynb", "zh/*.ipynb", "notebooks/solutions/*.py", "notebooks/checkpoints/ddpm_scurve.pt",
                   "benchmarks/results/*.json", "slides/*.ipynb", "notebooks/rise.css", "slides/rise.css")
# Warnings printed by a lesson carry the kernel's temp file name unless this is fixed (see docs/contributing.md).
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


# What the environment must hold, by import name: requirements.txt's packages and the course's own helpers.
REQUIRED_MODULES = ("torch", "numpy", "scipy", "sklearn", "matplotlib", "PIL", "ipywidgets", "tqdm", "diffusers",
                    "jupyterlab", "jupyterlab_rise", "jupytext", "ipykernel", "nbconvert", "nbclient", "nbval", "pytest",
                    "xdist", "yaml", "playwright", "sphinx", "myst_nb", "sphinx_book_theme", "sphinx-mathjax-offline",
                    "jupyterlab_slideshow", "helpers", "course")
# Finds modules without importing them, so the check takes a fraction of a second.
PROBE = "import importlib.util, sys; print(' '.join(m for m in sys.argv[1:] if importlib.util.find_spec(m) is None))"


def venv_problem(python: Path, modules=None):
    """None if the environment's Python runs and finds every module; else ("python", why) when that Python cannot
    run, or ("missing", names) when it runs without some of the packages."""
    try:
        # From a neutral folder: run from the repository, `helpers` would be found there even when not installed.
        result = subprocess.run([str(python), "-c", PROBE, *(modules or REQUIRED_MODULES)], capture_output=True, text=True,
                                timeout=120, cwd=tempfile.gettempdir())
    except OSError as error:
        return "python", f"its Python ({python}) cannot run: {error.strerror or error}"
    except subprocess.TimeoutExpired:
        return "python", f"its Python ({python}) did not answer within 2 minutes"
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no message"])[-1]
        return "python", f"its Python ({python}) fails to start: {last}"
    missing = result.stdout.split()
    return ("missing", ", ".join(missing)) if missing else None


def install(python: Path):
    try:
        # pip compiles every installed module to bytecode one file at a time (35 of its 69 s here); compileall does the
        # same on every core afterwards (19 s on 2 cores). Its failures are those pip ignores too (files of another
        # Python's syntax), so its exit status is not read. docs/decisions.md, "Test-suite time budget".
        run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile", "-r",
             "requirements.txt", "-e", "."])
        site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                              capture_output=True, text=True, check=True).stdout.strip()
        subprocess.run([str(python), "-m", "compileall", "-qq", "-j", "0", site], check=False)
    except (subprocess.CalledProcessError, OSError) as error:
        sys.exit(f"Installing the course's packages into {VENV} failed ({error}; pip's message, if any, is above). If "
                 f"it is not the network, delete the folder {VENV} and run this command again: it builds a fresh one.")


def setup() -> Path:
    if sys.version_info < (3, 10):
        sys.exit(f"The course needs Python >= 3.10; this is {sys.version.split()[0]}.")
    python = venv_python()
    fresh = not VENV.exists()
    problem = None if fresh else venv_problem(python)
    if fresh or (problem and problem[0] == "python"):
        if problem:
            print(f"The environment in {VENV} is broken: {problem[1]}. Building it again from scratch.", flush=True)
        print(f"Creating the virtual environment in {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
        STAMP.unlink(missing_ok=True)
    elif problem:
        print(f"The environment in {VENV} is missing packages ({problem[1]}); installing them again.", flush=True)
        STAMP.unlink(missing_ok=True)
    write_lab_overrides()
    want = wanted_hash()
    if STAMP.exists() and STAMP.read_text().strip() == want:
        return python
    install(python)
    problem = venv_problem(python)
    if problem:
        sys.exit(f"The environment in {VENV} is still incomplete after installing: {problem[1]}. Delete the folder "
                 f"{VENV} and run this command again: it builds a fresh one.")
    STAMP.write_text(want + "\n")
    return python


# JupyterLab's defaults, in the environment's own settings folder (read by JupyterLab and by RISE's /rise/ page alike):
# in the RISE slideshow a slide taller than the screen scrolls instead of being cut off, and the "white" theme needs
# no web fonts; the file browser leaves out its "Last Modified" column, so that the lessons' names show whole; closing a
# lesson's tab shuts its kernel down, so that lessons visited one after another do not keep a kernel each on 2 cores.
LAB_OVERRIDES = {
    "jupyterlab-rise:plugin": {"scroll": True, "theme": "white"},
    "@jupyterlab/filebrowser-extension:browser": {"showLastModifiedColumn": False},
    "@jupyterlab/notebook-extension:tracker": {"kernelShutdown": True},
    # No "get notified about official Jupyter news?" pop-up over the lessons' figures (issue 39).
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
}


def write_lab_overrides() -> Path:
    """Write LAB_OVERRIDES into the environment's JupyterLab settings folder (share/jupyter/lab/settings)."""
    path = VENV / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(LAB_OVERRIDES, indent=1) + "\n")
    return path


# Per workspace file, the SHA-256 of the committed file it was copied from: how course.py tells a lesson the course has
# changed since (the committed file's hash differs) from one the learner has changed (the copy's hash differs).
MANIFEST = ".course-versions.json"
# Copies of these hold the course's data, not the learner's work: a newer committed version simply replaces them.
COURSE_DATA = (".pt", ".json")


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def notebook_problem(path: Path):
    """None if path holds a notebook JupyterLab can open (JSON with a list of cells), else what is wrong with it."""
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        return f"it is not valid JSON ({error})"
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        return "it is JSON but not a notebook (no list of cells)"
    return None


def free_name(path: Path) -> Path:
    """path if nothing is there, else the first free one of NAME-2, NAME-3, ...: before a .ipynb or .py extension, so
    that JupyterLab still opens the file, and at the end of other names (NAME.ipynb.broken-2)."""
    number, candidate = 1, path
    while candidate.exists():
        number += 1
        keep = path.suffix in (".ipynb", ".py")
        candidate = path.with_name(f"{path.stem}-{number}{path.suffix}" if keep else f"{path.name}-{number}")
    return candidate


def beside(path: Path, tag: str) -> Path:
    """notebooks/01_data.ipynb -> notebooks/01_data.<tag>.ipynb: a name JupyterLab still opens by its extension."""
    return path.with_name(f"{path.stem}.{tag}{path.suffix}")


def make_workspace(target: Path = WORKSPACE, root: Path = ROOT) -> dict:
    """Copy the lessons, the talk, the solutions and what the lessons read from root into target, keeping the
    repository's layout so that the lessons' relative paths work. Never destroys the learner's work:

    - a file not there yet is copied ("new");
    - a copy the learner has not changed, of a file the course has changed since, is replaced ("updated"), and so is
      the course's data (checkpoint, benchmark results) whenever it differs;
    - a copy the learner has changed, of a file the course has changed since, is kept, and the new version is put
      beside it as NAME.updated.EXT ("beside": pairs of yours and the new one);
    - a notebook that is not readable JSON is moved aside to NAME.ipynb.broken and a fresh copy put in its place
      ("broken": triples of the file, where it went and what was wrong).
    Returns those lists by kind.
    """
    manifest_path = target / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, ValueError):
        manifest = {}
    report = {"new": [], "updated": [], "beside": [], "broken": []}
    for pattern in WORKSPACE_FILES:
        for source in sorted(root.glob(pattern)):
            name = source.relative_to(root).as_posix()
            destination, committed, recorded = target / name, file_hash(source), manifest.get(name)
            problem = notebook_problem(destination) if destination.suffix == ".ipynb" and destination.exists() else None
            if problem:
                moved = free_name(destination.with_name(destination.name + ".broken"))
                os.replace(destination, moved)
                report["broken"].append((destination, moved, problem))
            if not destination.exists():
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, destination)
                if not problem:
                    report["new"].append(destination)
            elif (mine := file_hash(destination)) == committed:
                pass
            elif source.suffix in COURSE_DATA or mine == recorded:
                # The course's data, or an unchanged copy of an older version.
                shutil.copy2(source, destination)
                report["updated"].append(destination)
            elif recorded != committed:
                # The learner's changed copy of an older version (or of one from before the manifest). An earlier new
                # version beside it may hold work too: it is never written over.
                new = beside(destination, "updated")
                if not (new.exists() and file_hash(new) == committed):
                    new = free_name(new)
                    shutil.copy2(source, new)
                report["beside"].append((destination, new))
            manifest[name] = committed
    target.mkdir(parents=True, exist_ok=True)
    manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return report


def workspace_message(report: dict, target: Path = WORKSPACE) -> str:
    """What make_workspace did, for the learner."""
    lines = [f"Your copy of the lessons is in {target} ({len(report['new'])} new files); the committed ones stay as they are."]
    if report["updated"]:
        names = ", ".join(p.relative_to(target).as_posix() for p in report["updated"])
        lines.append(f"Updated to the course's newer version (you had not changed them): {names}.")
    if report["beside"]:
        lines.append("The course has a newer version of files you have changed. Yours are kept as they are; each new "
                     "version is beside yours (to switch, delete yours and rename the new one):")
        lines += [f"  {mine.relative_to(target).as_posix()}  ->  new: {new.name}" for mine, new in report["beside"]]
    for path, moved, problem in report["broken"]:
        lines.append(f"{path.relative_to(target).as_posix()} could not be opened: {problem}. It was moved to "
                     f"{moved.name} (your work may still be in it) and a fresh copy put in its place.")
    return "\n".join(lines)


def lab_options(root: Path, is_root_user: bool, language: str = "en") -> list:
    """JupyterLab on root, opening lesson 01 (in language) alone: its start page (start_page) forwards to start_lab, whose `?reset` starts
    from an empty layout instead of reopening every lesson of the last session, each with a kernel of its own (4 kernels
    on a 2-core machine, issue 27). Saved lessons
    keep no widget output (strip_widget_views). Jupyter refuses to run as root without --allow-root, because a root
    server can do anything to the machine; containers and cloud notebooks often run as root, so the flag is added
    there, and only there."""
    options = [f"--ServerApp.root_dir={root}", f"--LabApp.default_url={start_page(language)}", "--ServerApp.jpserver_extensions=course=True",
               "--ContentsManager.pre_save_hook=course.strip_widget_views"]
    return options + ["--allow-root"] if is_root_user else options


# The address Jupyter prints and opens, with its token. Jupyter appends "?token=..." to its default URL as text, so a
# default URL that carries a query itself (JupyterLab's "?reset") printed as ".../01_data.ipynb?reset?token=...", which
# lands on the login page (issue 39). This page, served by the extension below, forwards its query to start_lab.
START = "/course-start"


def start_page(language: str) -> str:
    return START if language == "en" else f"{START}-{language}"


def start_lab(language: str) -> str:
    return f"/lab/tree/{FIRST_LESSONS[language]}?reset"


def _jupyter_server_extension_points():
    return [{"module": "course"}]


def _load_jupyter_server_extension(serverapp):
    """Serve each language's start page: a redirect to its start_lab that keeps the token (jupyter_server's
    RedirectWithParams joins the queries with '&'), so the printed link logs in and opens lesson 01 alone."""
    from jupyter_server.base.handlers import RedirectWithParams
    from jupyter_server.utils import url_path_join

    base = serverapp.web_app.settings["base_url"]
    serverapp.web_app.add_handlers(".*$", [(url_path_join(base, start_page(language)), RedirectWithParams,
                                            {"url": url_path_join(base, start_lab(language)), "permanent": False})
                                           for language in FIRST_LESSONS])


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = "Controls appear here when this cell runs."


def strip_widget_views(model, **kwargs):
    """JupyterLab's pre-save hook: each widget output of a notebook being saved becomes a one-line note. The widgets'
    state is not saved (JupyterLab 4 cannot draw it again, jupyterlab/jupyterlab#15361), so a lesson reopened after a
    restart would show "Error displaying widget: model not found" under each slider; the note says what to do."""
    if model.get("type") != "notebook":
        return
    for cell in model["content"].get("cells", []):
        outputs = cell.get("outputs", [])
        if any(WIDGET_VIEW in output.get("data", {}) for output in outputs):
            kept = [output for output in outputs if WIDGET_VIEW not in output.get("data", {})]
            cell["outputs"] = kept + [{"output_type": "display_data", "metadata": {}, "data": {"text/plain": WIDGET_NOTE}}]


def test_workers(cores: int) -> int:
    """pytest workers for the test command: as many as cores, at least 2, at most 4.

    On 2 cores a third worker made the run slower, not faster (11 min 53 s, 148 % CPU, 1 056 s of CPU against 9 min 45 s,
    123 %, 720 s for two, one lesson fewer; docs/decisions.md, "Test-suite time budget"): the browser runs slowed each other
    down. Each worker may hold a kernel, a JupyterLab and a Chromium at once (1-2 GB), hence the cap.
    """
    return min(4, max(2, cores))


def torch_threads(command: str, cores: int) -> int:
    """Threads per process, so that torch's OpenMP workers never spin-wait for a core someone else holds.

    On 2 cores with one other busy process, 2 threads train 4x slower than 1 (docs/decisions.md). The lab leaves one
    core to the browser. Tests and builds run on one thread on every machine: a sum split over two threads adds in
    another order, and the committed outputs are compared digit by digit (docs/contributing.md).
    """
    return 1 if command in ("test", "build") else max(1, cores - 1)


# NumPy's own SIMD loops for these instruction sets compute exp, log and others with other roundings than its AVX2 ones.
AVX512 = "AVX512F AVX512CD AVX512_SKX AVX512_CLX AVX512_CNL AVX512_ICL AVX512_SPR AVX512_KNL AVX512_KNM"


def cpu_flags() -> set:
    """The instruction sets this CPU reports (lower case, as Linux names them: "avx2", "fma", ...); empty where unknown."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    if sys.platform == "darwin":
        try:
            result = subprocess.run(["sysctl", "-n", "machdep.cpu.features", "machdep.cpu.leaf7_features"],
                                    capture_output=True, text=True)
        except OSError:
            return set()
        return {flag.lower() for flag in result.stdout.split()}
    if os.name == "nt":
        import ctypes
        # PF_AVX2_INSTRUCTIONS_AVAILABLE: Windows reports AVX2 only where the OS saves its registers; every AVX2 CPU has FMA.
        return {"avx2", "fma"} if ctypes.windll.kernel32.IsProcessorFeaturePresent(40) else set()
    return set()


def same_kernels(flags: set) -> dict:
    """Environment variables that make every x86-64 CPU with AVX2 and FMA (Intel since 2013, AMD since 2015) compute the
    lessons alike, digit for digit: each library would otherwise pick its kernels by CPU, and float32 training drifts
    apart from the first rounding (docs/decisions.md, "Outputs on every CPU"). OpenBLAS (NumPy, SciPy, scikit-learn) uses
    its Haswell kernels, torch its AVX2 loops, MKL (torch's matrix products) its reproducible AVX2 code, oneDNN at most
    AVX2, NumPy none of its AVX-512 loops. Empty on a CPU without AVX2 and FMA (forcing these kernels there would crash)."""
    if not {"avx2", "fma"} <= flags:
        return {}
    return {"OPENBLAS_CORETYPE": "Haswell", "ATEN_CPU_CAPABILITY": "avx2", "MKL_CBWR": "AVX2", "ONEDNN_MAX_CPU_ISA": "AVX2",
            "NPY_DISABLE_CPU_FEATURES": AVX512}


def env_with(extra: dict) -> dict:
    env = dict(os.environ)
    env.update(extra)
    # A kernel that inherits MPLBACKEND=Agg draws no inline figures, which breaks every figure cell.
    env.pop("MPLBACKEND", None)
    return env


def lab_language(rest: list):
    """(language, the other options) from `course.py lab`'s options: `--lang zh` or `--lang=zh` chooses the edition."""
    language, others = "en", []
    options = iter(rest)
    for option in options:
        if option == "--lang" or option.startswith("--lang="):
            language = option.split("=", 1)[1] if "=" in option else next(options, "")
        else:
            others.append(option)
    if language not in FIRST_LESSONS:
        sys.exit(f"--lang {language!r}: the lessons come in {', '.join(FIRST_LESSONS)} (en: the whole course; zh: lessons "
                 f"01-08 in Chinese)")
    return language, others


def main(argv) -> int:
    if not argv or argv[0] not in {"lab", "test", "slides", "site", "build"}:
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    language, rest = lab_language(rest) if command == "lab" else ("en", rest)
    python = setup()
    env = env_with(KERNEL_ENV)
    # A thread count or kernel the user set wins.
    env.setdefault("OMP_NUM_THREADS", str(torch_threads(command, os.cpu_count() or 2)))
    for name, value in same_kernels(cpu_flags()).items():
        env.setdefault(name, value)
    if command == "lab":
        print(workspace_message(make_workspace()))
        is_root_user = hasattr(os, "geteuid") and os.geteuid() == 0
        run([python, "-m", "jupyter", "lab", *lab_options(WORKSPACE, is_root_user, language), *rest], env=env)
    elif command == "test":
        # --dist loadfile keeps each notebook's cells in one kernel; a worker takes a file at a time, in the order
        # tests/conftest.py sets (the longest first). (--dist loadgroup could split the browser runs finer, but
        # pytest-xdist 3.8 cannot group under pytest 9.2: it renames item._nodeid, which pytest 9.2 no longer reads.)
        workers = test_workers(os.cpu_count() or 2)
        run([python, "-m", "pytest", "-n", str(workers), "--dist", "loadfile", "--no-loadscope-reorder", *rest], env=env)
    elif command == "slides":
        run([python, "slides/build.py", *rest], env=env)
    elif command == "site":
        run([python, "website/build.py", *rest], env=env)
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
