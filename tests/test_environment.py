"""The project's set-up files agree with each other."""

import json
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CONDA_TO_PYPI = {"pytorch": "torch"}


def requirements():
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[name.lower()] = version
    return pins


def conda_environment():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda, pip = {}, {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            for line in dep["pip"]:
                if "==" in line:
                    name, version = line.split("==")
                    pip[name.lower()] = version
        else:
            name, _, version = dep.partition("=")
            conda[CONDA_TO_PYPI.get(name, name)] = version
    return env, conda, pip


def test_every_requirement_is_pinned_exactly():
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            assert re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][0-9A-Za-z.+]*", line.strip()), line


def test_reading_a_notebook_does_not_compile_iri_grammars():
    """jsonschema is pinned below 4.24, whose format checks import rfc3987-syntax: 38 grammars compiled on import, 1.1 s for
    every process that reads a notebook (requirements.txt)."""
    found = subprocess.run([sys.executable, "-c", "import sys, nbformat; print('rfc3987_syntax' in sys.modules)"],
                           capture_output=True, text=True, check=True).stdout.strip()
    assert found == "False"


def test_torch_is_pinned_to_the_local_cpu_build():
    assert requirements()["torch"] == "2.13.0"


def test_environment_yml_lists_the_same_packages_and_versions():
    env, conda, pip = conda_environment()
    python = conda.pop("python")
    conda.pop("pip")
    assert conda.keys().isdisjoint(pip.keys())
    assert {**conda, **pip} == requirements()
    assert python.startswith("3.")


def test_environment_yml_structure():
    env, _, _ = conda_environment()
    assert env["channels"] == ["conda-forge", "nodefaults"]
    deps = env["dependencies"]
    pip_index = next(i for i, d in enumerate(deps) if isinstance(d, dict))
    assert "pip" in deps[:pip_index], "list pip itself before the pip: section"
    assert "-e ." in deps[pip_index]["pip"], "the helpers package must be installed"


def test_ci_runs_the_readme_test_command_verbatim():
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"^python3 course\.py \w+$", readme, flags=re.M)
    assert commands[:2] == ["python3 course.py lab", "python3 course.py test"]
    assert "python3 course.py test" in (ROOT / ".ci" / "run").read_text().splitlines()


def test_course_threads_leave_cores_free(course):
    assert [course.test_workers(n) for n in (1, 2, 8, 64)] == [2, 2, 4, 4]
    # Tests and builds on one thread everywhere: the committed outputs are compared digit by digit.
    assert [course.torch_threads(command, n) for command in ("test", "build") for n in (1, 2, 8)] == [1] * 6
    assert [course.torch_threads("lab", n) for n in (1, 2, 8)] == [1, 1, 7]


def test_workspace_holds_the_lessons_and_keeps_a_learners_changes(course, tmp_path):
    report = course.make_workspace(tmp_path)
    names = {p.relative_to(tmp_path).as_posix() for p in report["new"]}
    lessons = {p.relative_to(ROOT).as_posix() for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    assert lessons <= names and "slides/course_talk.ipynb" in names and "notebooks/solutions/01_1.py" in names
    assert "notebooks/checkpoints/ddpm_scurve.pt" in names and "benchmarks/results/flow-race-cpu-2core.json" in names
    # Only notebooks: no .py twin beside a lesson.
    assert not list((tmp_path / "notebooks").glob("[0-9][0-9]_*.py"))
    mine = tmp_path / "notebooks" / "01_data.ipynb"
    work = json.loads(mine.read_text())
    work["cells"].append({"cell_type": "markdown", "metadata": {}, "source": "my work"})
    mine.write_text(json.dumps(work))
    again = course.make_workspace(tmp_path)
    assert again == {"new": [], "updated": [], "beside": [], "broken": []}
    assert json.loads(mine.read_text()) == work


def test_lab_allows_root_only_for_root(course, tmp_path):
    assert "--allow-root" in course.lab_options(tmp_path, is_root_user=True)
    assert "--allow-root" not in course.lab_options(tmp_path, is_root_user=False)
    assert f"--ServerApp.root_dir={tmp_path}" in course.lab_options(tmp_path, is_root_user=False)


def test_lab_overrides_name_real_settings(course):
    """Each setting course.py gives JupyterLab (course.LAB_OVERRIDES) exists in its plugin's schema and takes that value:
    JupyterLab ignores a misspelt plugin, key or value without a word, so the news pop-up of issue 39 would come back."""
    import jsonschema

    share = Path(sys.prefix) / "share" / "jupyter"
    for plugin, values in course.LAB_OVERRIDES.items():
        package, name = plugin.split(":")
        schemas = [share / "lab" / "schemas" / package / f"{name}.json",
                   *share.glob(f"labextensions/{package}/schemas/{package}/{name}.json")]
        found = [path for path in schemas if path.exists()]
        assert found, f"no settings schema for {plugin}"
        properties = json.loads(found[0].read_text())["properties"]
        for key, value in values.items():
            assert key in properties, f"{plugin} has no setting {key!r}"
            jsonschema.validate(value, properties[key])
