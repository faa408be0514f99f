"""The drawing pad in a real browser: JupyterLab 4 and Notebook 7 in headless Chromium, offline.

Starts JupyterLab (then Notebook 7) on 127.0.0.1 (random port and token, temporary config/runtime/data dirs),
opens tests/pad_browser.ipynb (a copy in a temporary folder), runs its cells, draws a "3"
with the mouse and a "1" with a finger (touch) on the pad through Chromium's DevTools
protocol (real input events, so the page sees real pointer events), and reads what the pad
shows: the predicted digit and ten bars. The notebook's model has fixed template weights,
so the digits it must read do not depend on training.

Needs Debian's ``chromium`` (``.ci/install.d/10-browser.sh`` installs it). Without a browser
the test is skipped with a loud reason; on CI (``CI=true``) it fails instead.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import warnings
from pathlib import Path

import pytest

from helpers import pad

HERE = Path(__file__).resolve().parent
NOTEBOOK = HERE / "pad_browser.ipynb"
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_browser() -> str:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    reason = (
        "NO BROWSER: tests/test_pad_browser.py needs Chromium (apt-get install chromium; "
        ".ci/install.d/10-browser.sh does it) - the drawing pad was NOT tested in a browser"
    )
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(reason)
    warnings.warn(reason, stacklevel=1)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what: str, check, timeout: float, every: float = 0.25, describe=None):
    """Call ``check`` until it returns something truthy; fail naming ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            seen = "" if describe is None else f"; the page shows: {describe()}"
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}{seen}")
        time.sleep(every)


class DevTools:
    """The few DevTools protocol calls this test needs, over one page's websocket."""

    def __init__(self, ws_url: str):
        import websocket

        self.ws = websocket.create_connection(ws_url, timeout=30, suppress_origin=True)
        self.next_id = 0

    def call(self, method: str, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise AssertionError(f"{method}: {message['error']}")
                return message.get("result", {})

    def js(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True,
                           awaitPromise=True)  # fmt: skip
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression[:60]}...: {result['exceptionDetails']}")
        return result["result"].get("value")

    def mouse(self, kind: str, x: float, y: float):
        self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left",
                  buttons=0 if kind == "mouseReleased" else 1, clickCount=1)  # fmt: skip

    def touch(self, kind: str, x: float | None = None, y: float | None = None):
        points = [] if kind == "touchEnd" else [{"x": x, "y": y, "id": 1}]
        self.call("Input.dispatchTouchEvent", type=kind, touchPoints=points)

    def close(self):
        self.ws.close()


@contextlib.contextmanager
def chromium(tmp_path: Path, offline: bool = False):
    """Headless Chromium with the DevTools protocol on a free port, as a :class:`DevTools` of
    its first page; ``offline``: every request beyond this machine fails (a proxy that
    refuses, and the DevTools network emulation). Always stopped."""
    path = find_browser()
    profile = tmp_path / "chromium-profile"
    command = [
        path, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--no-first-run", "--no-default-browser-check", "--disable-extensions",
        "--disable-background-networking", "--disable-sync", "--remote-debugging-port=0",
        "--remote-allow-origins=*", f"--user-data-dir={profile}", "--window-size=1280,1000",
    ]  # fmt: skip
    if offline:  # a proxy on a port nobody listens on: every http(s) request is refused
        command += ["--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>"]
    command.append("about:blank")
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = profile / "DevToolsActivePort"
        wait_for("Chromium to start", lambda: port_file.exists() and port_file.read_text(), 20)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as answer:
            pages = [p for p in json.load(answer) if p["type"] == "page"]
        tools = DevTools(pages[0]["webSocketDebuggerUrl"])
        if offline:
            tools.call("Network.enable")
            tools.call("Network.emulateNetworkConditions", offline=True, latency=0,
                       downloadThroughput=-1, uploadThroughput=-1)  # fmt: skip
        yield tools
        tools.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(params=["lab", "notebook"])
def lab(tmp_path, request):
    """JupyterLab 4 or Notebook 7 serving a copy of the test notebook; yields (frontend,
    url, token); always stopped."""
    with jupyter(tmp_path, request.param) as served:
        yield served


@contextlib.contextmanager
def jupyter(tmp_path: Path, frontend: str, notebook: dict | None = None):
    """JupyterLab 4 (``frontend="lab"``) or Notebook 7 serving a copy of the test notebook
    (or ``notebook``, a notebook's JSON, under the same name); yields (frontend, url,
    token); always stopped."""
    work = tmp_path / "work"
    work.mkdir()
    if notebook is None:
        shutil.copy(NOTEBOOK, work / NOTEBOOK.name)
    else:
        (work / NOTEBOOK.name).write_text(json.dumps(notebook))
    port, token = free_port(), secrets.token_hex(16)
    env = dict(os.environ)
    for key, sub in (("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_RUNTIME_DIR", "runtime"),
                     ("JUPYTER_DATA_DIR", "data"), ("IPYTHONDIR", "ipython")):  # fmt: skip
        env[key] = str(tmp_path / sub)
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    command = [
        sys.executable, "-m", "jupyter", frontend, "--no-browser", "--ip=127.0.0.1",
        f"--port={port}", "--port-retries=0", f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={work}", "--expose-app-in-browser",
        "--ServerApp.log_level=WARN", "--allow-root",
    ]  # fmt: skip
    log = open(tmp_path / "lab.log", "wb")  # closed in the finally below
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:

        def up():
            if server.poll() is not None:
                raise AssertionError(f"JupyterLab exited: {(tmp_path / 'lab.log').read_text()}")
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2):
                    return True
            except OSError:
                return False

        wait_for("JupyterLab to start", up, timeout=30)
        yield frontend, url, token
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        log.close()


@pytest.fixture
def browser(tmp_path):
    """Headless Chromium with the DevTools protocol on a free port; always stopped."""
    with chromium(tmp_path) as tools:
        yield tools


def canvas_box(tools: DevTools) -> dict:
    return tools.js(
        "(() => { const c = document.querySelector('.mnist-pad .pad-canvas');"
        " if (!c) return null; c.scrollIntoView({block: 'center'});"
        " const r = c.getBoundingClientRect();"
        " return {x: r.left + c.clientLeft, y: r.top + c.clientTop, w: c.clientWidth,"
        " h: c.clientHeight}; })()"
    )


def draw(tools: DevTools, box: dict, strokes, with_touch: bool = False):
    """Draw ``strokes`` (points on the 280 px canvas) with the mouse or a finger."""
    scale = box["w"] / pad.CANVAS
    for line in strokes:
        points = [(box["x"] + x * scale, box["y"] + y * scale) for x, y in line]
        if with_touch:
            tools.touch("touchStart", *points[0])
            for x, y in points[1:]:
                tools.touch("touchMove", x, y)
            tools.touch("touchEnd")
        else:
            tools.mouse("mousePressed", *points[0])
            for x, y in points[1:]:
                tools.mouse("mouseMoved", x, y)
            tools.mouse("mouseReleased", *points[-1])


def page_state_of(tools: DevTools) -> str:
    """What JupyterLab shows, for error messages: the current tab, kernel, dialogs, errors."""
    return tools.js(
        "(() => { const app = window.jupyterapp; const w = app && app.shell.currentWidget;"
        " const s = w && w.sessionContext;"
        " const dialog = document.querySelector('.jp-Dialog');"
        " const errors = [...document.querySelectorAll('.jp-OutputArea-output[data-mime-type="
        '"application/vnd.jupyter.stderr"], .jp-RenderedText[data-mime-type='
        '"application/vnd.jupyter.error"]\')].map(e => e.textContent.slice(-400));'
        " const n = window.padNotebook; const ns = n && n.sessionContext;"
        " return JSON.stringify({title: document.title, widget: w && w.title.label,"
        " opened: n && n.title.label, openedKernel: ns && ns.session && ns.session.kernel"
        " && ns.session.kernel.status,"
        " kernel: s && s.session && s.session.kernel && s.session.kernel.status,"
        " kernelName: s && s.kernelDisplayName, dialog: dialog && dialog.textContent,"
        " errors}); })()"
    )


SHOWN = (
    "(() => { const d = document.querySelector('.mnist-pad .pad-digit');"
    " const bars = [...document.querySelectorAll('.mnist-pad .pad-bar')];"
    " const status = document.querySelector('.mnist-pad .pad-status');"
    " const root = document.querySelector('.mnist-pad');"
    " return {digit: d ? d.textContent : null, status: status ? status.textContent : '',"
    " bars: bars.map(b => parseFloat(b.style.height)), pending: root.dataset.pending}; })()"
)


def open_and_run(tools: DevTools, frontend: str, url: str, token: str) -> dict:
    """Open the served notebook, run every cell, wait for the pad; returns its canvas box."""

    def page_state():
        return page_state_of(tools)

    tools.call("Page.enable")
    # a headless page never has the window focus; JupyterLab's "current notebook" needs it
    tools.call("Emulation.setFocusEmulationEnabled", enabled=True)
    if frontend == "lab":  # open JupyterLab, then the notebook in it
        tools.call("Page.navigate", url=f"{url}/lab?token={token}")
        wait_for("JupyterLab's app", lambda: tools.js("!!window.jupyterapp"), timeout=40)
        tools.js(
            "(async () => { const app = window.jupyterapp; await app.restored;"
            f" const w = await app.commands.execute('docmanager:open', {{path: '{NOTEBOOK.name}',"
            " factory: 'Notebook'}); await w.context.ready; await w.sessionContext.ready;"
            " window.padNotebook = w; app.shell.activateById(w.id); return true; })()"
        )
    else:  # Notebook 7: one page per notebook
        tools.call("Page.navigate", url=f"{url}/notebooks/{NOTEBOOK.name}?token={token}")
        wait_for("Notebook 7's notebook", lambda: tools.js(
            "(() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
            " if (!w || !w.sessionContext) return false; window.padNotebook = w;"
            " return true; })()"), timeout=40, describe=page_state)  # fmt: skip
    # wait for the kernel, run every cell
    wait_for("the kernel", lambda: tools.js(
        "(() => { const w = window.padNotebook;"
        " const k = w && w.sessionContext && w.sessionContext.session &&"
        " w.sessionContext.session.kernel;"
        " return !!k && k.status === 'idle'; })()"), timeout=40, describe=page_state)  # fmt: skip
    tools.js("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    box = wait_for("the pad to appear", lambda: canvas_box(tools), timeout=60)
    assert round(box["w"]) == pad.CANVAS and round(box["h"]) == pad.CANVAS
    time.sleep(0.3)  # the canvas has scrolled into place
    return canvas_box(tools)


def test_drawing_a_digit_shows_its_reading(lab, browser):
    frontend, url, token = lab
    tools = browser
    box = open_and_run(tools, frontend, url, token)

    draw(tools, box, pad.THREE)
    shown = wait_for("the reading of a drawn 3",
                     lambda: (s := tools.js(SHOWN))["pending"] == "0" and s["digit"] and s, timeout=20)  # fmt: skip
    assert shown["digit"] == "3", shown
    assert len(shown["bars"]) == 10
    assert max(shown["bars"]) == shown["bars"][3] > 50  # percent of the bar's height
    assert abs(sum(shown["bars"]) - 100) < 1  # the ten probabilities sum to 1
    assert shown["status"].startswith("read in")
    seen = tools.js("(() => { const c = document.querySelector('.mnist-pad .pad-input');"
                    " const d = c.getContext('2d').getImageData(0, 0, 28, 28).data;"
                    " let ink = 0; for (let i = 0; i < d.length; i += 4) ink += d[i] > 128;"
                    " return ink; })()")  # fmt: skip
    assert 20 < seen < 400, f"the 28x28 the network sees has {seen} bright pixels"

    if os.environ.get("PAD_SCREENSHOT"):  # a folder: look at the pad as the browser drew it
        import base64

        shot = tools.call("Page.captureScreenshot", format="png")["data"]
        folder = Path(os.environ["PAD_SCREENSHOT"])
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"pad_{frontend}.png").write_bytes(base64.b64decode(shot))

    tools.js("document.querySelector('.mnist-pad .pad-clear').click()")
    wait_for("Clear to empty the reading",
             lambda: (s := tools.js(SHOWN))["pending"] == "0" and s["digit"] is None, timeout=20)  # fmt: skip

    draw(tools, box, pad.ONE, with_touch=True)
    shown = wait_for("the reading of a 1 drawn by touch",
                     lambda: (s := tools.js(SHOWN))["pending"] == "0" and s["digit"] and s, timeout=20)  # fmt: skip
    assert shown["digit"] == "1", shown


EXPLAINED = (
    "(() => { const box = document.querySelector('.mnist-pad .pad-saliency-box');"
    " const c = document.querySelector('.mnist-pad .pad-saliency');"
    " const d = c.getContext('2d').getImageData(0, 0, 28, 28).data;"
    " let dark = 0; for (let i = 0; i < d.length; i += 4) dark += d[i] < 128;"
    " const text = document.querySelector('.mnist-pad .pad-disagreement').textContent;"
    " return {shown: box.style.display !== 'none', dark, text,"
    " digits: [...document.querySelectorAll('.mnist-pad .pad-digit')].map(e => e.textContent),"
    " pending: document.querySelector('.mnist-pad').dataset.pending}; })()"
)


def test_the_explain_option_shows_a_saliency_map_and_the_disagreement(tmp_path, browser):
    """DrawingPad(models, explain=True) (notebook 10), in JupyterLab: a drawn 3 shows the
    first model's saliency map and the line on how much the two models disagree."""
    notebook = json.loads(NOTEBOOK.read_text())
    last = notebook["cells"][-1]
    assert "pad.DrawingPad(" in "".join(last["source"])
    last["source"] = [  # a second model: the same templates, twice as sure
        "sure = keras.models.clone_model(model)\n",
        "sure.layers[-1].set_weights([2 * weights, np.zeros(10, dtype=np.float32)])\n",
        'pad.DrawingPad({"template model": model, "twice as sure": sure}, explain=True)',
    ]
    with jupyter(tmp_path, "lab", notebook) as (frontend, url, token):
        box = open_and_run(browser, frontend, url, token)
        explained = browser.js(EXPLAINED)
        assert not explained["shown"] and explained["text"] == ""  # nothing drawn yet
        draw(browser, box, pad.THREE)
        shown = wait_for("the explained reading of a drawn 3",
                         lambda: (s := browser.js(EXPLAINED))["pending"] == "0" and s["text"] and s,
                         timeout=30)  # fmt: skip
    assert shown["digits"] == ["3", "3"], shown
    assert shown["shown"], "the saliency map stays hidden with explain=True"
    assert 0 < shown["dark"] < 784, f"the saliency map has {shown['dark']} dark pixels of 784"
    assert shown["text"].startswith("average of 2 models: 3, given by 2 of them;"), shown["text"]
    assert "mutual information" in shown["text"]
