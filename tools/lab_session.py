"""JupyterLab as `course.py lab` starts it for a learner, on a temporary copy of the course, for the browser tests
(tests/test_browser.py) and the speed benchmark in a browser (benchmarks/lab_speed.py).

    with serve(root) as (base, token): ...   # root: an empty folder; the server is stopped on exit
"""

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import course  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]


# JavaScript for the body of an async function run in a JupyterLab page: waits until the notebook in view, its
# session and its kernel are ready and the kernel is idle, leaving `app` and `panel` defined.
AWAIT_IDLE_KERNEL = """
  const app = window.jupyterapp;
  const panel = app.shell.currentWidget;
  await panel.context.ready;
  await panel.sessionContext.ready;
  for (let i = 0; i < 600 && panel.sessionContext.session?.kernel?.status !== 'idle'; i++) {
    await new Promise(r => setTimeout(r, 100));
  }
"""


# The log of the server serve() started last: what Jupyter printed, its links included.
LOG = None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(root: Path, env=None):
    """Start JupyterLab on a learner's workspace made in root, with `course.py lab`'s options and defaults, no news or
    update checks, and every cell drawn (not only those in view, so that a page can read the whole notebook).
    env: extra environment variables for the server and its kernels. Yields (base URL, token)."""
    # The learner's workspace and JupyterLab defaults, as `course.py lab` makes them: JupyterLab autosaves, so never on
    # the committed lessons.
    course.make_workspace(root)
    course.write_lab_overrides()
    settings = root / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False, "doNotDisturbMode": True})
    )
    notebook_settings = root / "settings" / "@jupyterlab" / "notebook-extension"
    notebook_settings.mkdir(parents=True)
    (notebook_settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    port, token = free_port(), secrets.token_hex(16)
    command = [
        sys.executable, "-m", "jupyter", "lab", *course.lab_options(root, is_root_user=True), "--no-browser",
        f"--port={port}", "--ip=127.0.0.1", f"--IdentityProvider.token={token}", "--LabApp.expose_app_in_browser=True",
        "--LabApp.news_url=None", f"--LabApp.user_settings_dir={root / 'settings'}",
        f"--LabApp.workspaces_dir={root / 'workspaces'}",
    ]
    server_env = {**os.environ, **(env or {}), "JUPYTER_CONFIG_DIR": str(root / "config"),
                  "JUPYTER_RUNTIME_DIR": str(root / "runtime")}
    server_env.pop("MPLBACKEND", None)
    global LOG
    LOG = root / "server.log"
    log = open(LOG, "w")
    # A session of its own, so that the server and any kernel it left can be stopped together (below).
    server = subprocess.Popen(command, cwd=root, env=server_env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=os.name == "posix")
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if server.poll() is not None:
                    raise RuntimeError(f"jupyter lab exited: {(root / 'server.log').read_text()[-2000:]}")
                time.sleep(0.5)
        else:
            raise RuntimeError("jupyter lab did not answer within 60 s")
        yield base, token
    finally:
        server.terminate()
        try:
            # Its kernels are shut down by then; the server itself once hung 20 s "shutting down 7 extensions" at the end
            # of a test run (2026-12-07), so it gets 5 s before it and its session are killed.
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            if os.name == "posix":
                os.killpg(server.pid, signal.SIGKILL)
            else:
                server.kill()
            server.wait()
        log.close()
