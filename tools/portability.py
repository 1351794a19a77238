"""Do the lessons print the same on every x86-64 CPU? Run every lesson notebook under nbval with the CPU kernels of
other machines, and list each cell whose output changes.

    .venv/bin/python tools/portability.py              # as `course.py test` runs them: the course's pinned kernels
    .venv/bin/python tools/portability.py --unpinned   # each library's own choice, as the lessons ran before issue 35
    .venv/bin/python tools/portability.py --settings haswell-avx2-2t --lessons 08 17 --out report.json

A CPU changes a lesson's arithmetic through the kernels its libraries choose when they load: OpenBLAS (NumPy, SciPy,
scikit-learn) by CPU model, NumPy's own SIMD loops and torch's vectorised ones by instruction set, MKL (torch's matrix
products) by CPU vendor and model, and every parallel sum by thread count. Each can be forced from the environment, so
one machine can imitate others: OPENBLAS_CORETYPE, ATEN_CPU_CAPABILITY, MKL_CBWR (COMPATIBLE: MKL's plain SSE2 code, as
on a CPU MKL does not tune for) and OMP_NUM_THREADS. Each setting is first fingerprinted (a few products and sums
hashed), so the report shows which libraries' results it really changed.

Not part of the test suite (each setting re-runs every lesson: 3-7 minutes here); tests/test_portability.py holds the
cheap guard against the common cause, a number printed with more digits than it carries (docs/contributing.md), and
reads the pin back from the libraries.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))
import course  # noqa: E402
from figure_checks import environment  # noqa: E402

# Each value of each knob appears at least once; "native" is what this machine picks by itself, at the test command's
# one thread. Two threads run with passive waiting, so that two workers of two threads each do not spin against each
# other (the wait policy changes no arithmetic). The last item says whether such a CPU has AVX2 and FMA, which the
# course's pinned kernels need (course.same_kernels): Sandybridge (2011) has neither.
SETTINGS = {
    "native-1t": ({"OMP_NUM_THREADS": "1"}, True),
    "haswell-avx2-2t": ({"OPENBLAS_CORETYPE": "Haswell", "ATEN_CPU_CAPABILITY": "avx2", "OMP_NUM_THREADS": "2"}, True),
    "zen-avx512-mklsse2-1t": ({"OPENBLAS_CORETYPE": "Zen", "ATEN_CPU_CAPABILITY": "avx512", "MKL_CBWR": "COMPATIBLE",
                               "OMP_NUM_THREADS": "1"}, True),
    "sandybridge-default-mklsse2-2t": ({"OPENBLAS_CORETYPE": "Sandybridge", "ATEN_CPU_CAPABILITY": "default",
                                        "MKL_CBWR": "COMPATIBLE", "OMP_NUM_THREADS": "2"}, False),
    "skylakex-default-1t": ({"OPENBLAS_CORETYPE": "SkylakeX", "ATEN_CPU_CAPABILITY": "default", "OMP_NUM_THREADS": "1"}, True),
}
# Every variable a setting or the course's pin may set: none is taken from the caller's own environment.
KNOBS = ("OPENBLAS_CORETYPE", "ATEN_CPU_CAPABILITY", "MKL_CBWR", "ONEDNN_MAX_CPU_ISA", "NPY_DISABLE_CPU_FEATURES",
         "OMP_NUM_THREADS", "OMP_WAIT_POLICY")

FINGERPRINT = """
import hashlib, json, numpy as np, torch
from threadpoolctl import threadpool_info
def h(a): return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()[:8]
rng = np.random.default_rng(0)
a, b = rng.standard_normal((257, 129)), rng.standard_normal((129, 65))
x = torch.from_numpy(rng.standard_normal((1024, 130)).astype(np.float32))
w = torch.from_numpy(rng.standard_normal((130, 64)).astype(np.float32))
print(json.dumps({
    "openblas": sorted({i.get("architecture") for i in threadpool_info() if i["internal_api"] == "openblas"}),
    "aten": torch.backends.cpu.get_cpu_capability(), "threads": torch.get_num_threads(),
    "numpy matmul": h(a @ b), "torch matmul": h((x @ w).numpy()), "torch sum": h(x.sum(0).numpy()),
    "torch exp": h(torch.exp(x).numpy()),
    "torch long sum": h(torch.from_numpy(rng.standard_normal(2**22).astype(np.float32)).sum().numpy()),
}))
"""


def setting_env(knobs, pinned):
    """The environment of a lesson run on the CPU a setting imitates: its knobs stand for the kernels that CPU would pick
    by itself; pinned, the course's choice (course.same_kernels, what `course.py test` sets) replaces them, as it would
    on that CPU, except the thread count."""
    env = course.env_with({**course.KERNEL_ENV, **environment()})
    for knob in KNOBS:
        env.pop(knob, None)
    env.update(knobs)
    if pinned:
        env.update(course.same_kernels(course.cpu_flags()))
    if knobs.get("OMP_NUM_THREADS", "1") != "1":
        env["OMP_WAIT_POLICY"] = "PASSIVE"
    return env


def fingerprint(python, env):
    result = subprocess.run([str(python), "-c", FINGERPRINT], env=env, capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(result.stdout)


def changed_lines(message):
    """The lines of an nbval failure that show the difference, as "committed: ..." and "here: ...". nbval asserts
    `committed == new`, and pytest marks the left side's lines "+" and the right side's "-"."""
    lines = [line.strip() for line in message.splitlines()]
    # The cell's source comes first in the message, and may hold lines that start with "- " too.
    lines = lines[next((i for i, line in enumerate(lines) if "mismatch" in line), 0):]
    labels = {"+ ": "committed: ", "- ": "here: "}
    diff = list(dict.fromkeys(labels[line[:2]] + line[2:] for line in lines if line[:2] in labels))
    # A cell that raised shows IPython's coloured traceback (escaped as #x1B in the XML): keep its last plain line.
    plain = [line for line in lines if "#x1B" not in line and "\x1b" not in line and line]
    return diff[:6] or plain[-2:] or ["(the cell raised; run it to see the traceback)"]


def run_setting(python, env, notebooks, workers):
    """{cell id: the lines that changed} of every failing cell, and the seconds it took."""
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "junit.xml"
        command = [str(python), "-m", "pytest", *map(str, notebooks), "-q", "-n", str(workers), "--dist", "loadfile",
                   f"--junitxml={report}", "-o", "junit_logging=no"]
        start = time.perf_counter()
        subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        failed = {}
        for case in ElementTree.parse(report).iter("testcase"):
            for problem in [*case.iter("failure"), *case.iter("error")]:
                # nbval's class name is the notebook's path with dots: notebooks.17_digits.ipynb
                notebook = ".".join(case.get("classname", "").split(".")[-2:])
                failed[f"{notebook}::{case.get('name')}"] = changed_lines(problem.get("message", "") + "\n" +
                                                                          (problem.text or ""))
    return failed, round(seconds, 1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settings", nargs="*", choices=sorted(SETTINGS), default=list(SETTINGS))
    parser.add_argument("--lessons", nargs="*", default=[], metavar="NN", help="lesson numbers (default: every lesson)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, help="write the report as JSON here")
    parser.add_argument("--unpinned", action="store_true",
                        help="without the course's pinned kernels (course.same_kernels): each CPU's own choice")
    args = parser.parse_args(argv)
    python = course.venv_python() if course.venv_python().exists() else Path(sys.executable)
    notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")) + sorted((ROOT / "notebooks").glob("[0-9][0-9]a_*.ipynb"))
    if args.lessons:
        notebooks = [p for p in notebooks if p.name[:2] in {f"{int(n):02d}" for n in args.lessons}]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    report = {"commit": commit, "cpu": cpu_model(), "pinned": not args.unpinned, "lessons": [p.name for p in notebooks],
              "settings": {}}
    native = fingerprint(python, setting_env(SETTINGS["native-1t"][0], pinned=not args.unpinned))
    for name in args.settings:
        knobs, has_avx2 = SETTINGS[name]
        env = setting_env(knobs, pinned=has_avx2 and not args.unpinned)
        prints = fingerprint(python, env)
        differs = sorted(k for k in prints if k not in ("openblas", "aten", "threads") and prints[k] != native[k])
        print(f"{name}: OpenBLAS {prints['openblas']}, ATen {prints['aten']}, {prints['threads']} thread(s); "
              f"results that differ from native: {differs or 'none'}", flush=True)
        failed, seconds = run_setting(python, env, notebooks, args.workers)
        report["settings"][name] = {"environment": {k: env[k] for k in KNOBS if k in env}, "fingerprint": prints,
                                    "differs_from_native": differs, "seconds": seconds, "changed_cells": failed}
        print(f"  {len(failed)} cell(s) changed, {seconds:.0f} s", flush=True)
        for cell, lines in failed.items():
            print(f"    {cell}", *(f"      {line}" for line in lines), sep="\n", flush=True)
    if args.out:
        args.out.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    return 1 if any(s["changed_cells"] for s in report["settings"].values()) else 0


def cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


if __name__ == "__main__":
    sys.exit(main())
