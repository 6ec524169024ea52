"""The augmentation explorer in a real browser: JupyterLab + headless Chromium.

    pytest tests/test_browser.py          # `make test` runs it too

Starts JupyterLab on a free loopback port, opens notebook 02 (a copy, cut after its
explorer cell, in smoke mode) in headless Chromium through Playwright, runs the cells,
moves a slider and checks that the picture of the views changed. Screenshots go to
``artifacts/browser/`` (git-ignored). Needs Debian's ``chromium`` (``make test``
installs it when it can) and the ``playwright`` package; Playwright's own browser
downloads are never used. Without them the test is *skipped*, saying why.
"""

from __future__ import annotations

import io
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

import nbformat
import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO_ROOT / "notebooks" / "02_augmentations.ipynb"
SCREENSHOTS = REPO_ROOT / "artifacts" / "browser"
CHROMIUM_ARGS = [
    "--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
SERVER_START_S = 90
KERNEL_WORK_S = 180  # running the cells (importing torch, loading shapes) on a busy 2-core machine


def find_chromium() -> str | None:
    for candidate in (os.environ.get("SSLWB_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def explorer_notebook(folder: Path) -> Path:
    """Notebook 02 up to its explorer cell, with SMOKE = True."""
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    cut = next(i for i, cell in enumerate(notebook.cells) if "explorer" in cell.metadata.get("tags", []))
    notebook.cells = notebook.cells[: cut + 1]
    parameters = next(cell for cell in notebook.cells if "parameters" in cell.metadata.get("tags", []))
    parameters.source = parameters.source.replace("SMOKE = False", "SMOKE = True", 1)
    path = folder / "explorer.ipynb"
    nbformat.write(notebook, path)
    return path


@pytest.fixture
def chromium() -> str:
    """Debian's Chromium and the playwright package, or a skip that says which is missing."""
    path = find_chromium()
    if path is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install -y chromium; `make test` does it as root)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("the playwright package is not installed (pip install playwright; no browser download needed)")
    return path


@pytest.fixture
def jupyterlab(tmp_path, chromium):
    """A JupyterLab server on a free loopback port, serving tmp_path; stopped afterwards."""
    port, token = free_port(), secrets.token_hex(16)
    home = tmp_path / "jupyter"
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_DATA_DIR=str(home / "data"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"), SSLWB_DATA=str(REPO_ROOT / "data"),
               PYDEVD_DISABLE_FILE_VALIDATION="1")
    env.pop("MPLBACKEND", None)
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={tmp_path}",
               "--ServerApp.port_retries=0", "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # containers and CI machines often run as root
    log = open(tmp_path / "jupyterlab.log", "w")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if server.poll() is not None:
                pytest.fail(f"JupyterLab exited with {server.returncode}:\n{(tmp_path / 'jupyterlab.log').read_text()[-3000:]}")
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not answer within {SERVER_START_S} s")
                time.sleep(0.5)
        yield url, token
    finally:
        stop_process_group(server)
        log.close()


def stop_process_group(process: subprocess.Popen) -> None:
    """End the server and everything it started (its kernels): SIGTERM, then SIGKILL."""
    for sig, wait_s in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=wait_s)
            break
        except subprocess.TimeoutExpired:
            continue
    try:  # the kernels may outlive the server by a moment
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def start_kernel(url: str, token: str, path: str) -> None:
    """Start a python3 kernel session for the notebook at ``path`` (Jupyter's REST API)."""
    import json

    body = json.dumps({"path": path, "name": path, "type": "notebook", "kernel": {"name": "python3"}}).encode()
    request = urllib.request.Request(f"{url}/api/sessions?token={token}", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=60)


def accept_kernel_dialog(page, wait_s: float) -> bool:
    """JupyterLab may ask which kernel to use: accept its choice (python3). True if it asked."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.locator(".jp-Dialog .jp-mod-accept").click(timeout=wait_s * 1000)
        return True
    except PlaywrightTimeout:
        return False


def picture_of(element) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(element.screenshot())).convert("RGB"), dtype=np.int16)


def test_explorer_redraws_views_when_a_slider_moves(tmp_path, chromium, jupyterlab):
    from playwright.sync_api import expect, sync_playwright

    url, token = jupyterlab
    expect.set_options(timeout=KERNEL_WORK_S * 1000)
    explorer_notebook(tmp_path)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=chromium, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1500, "height": 1100},
        )
        try:
            page = browser.new_page()
            page.set_default_timeout(KERNEL_WORK_S * 1000)
            start_kernel(url, token, "explorer.ipynb")  # so JupyterLab opens it without a kernel dialog
            page.goto(f"{url}/lab/tree/explorer.ipynb?token={token}")
            notebook = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook")
            expect(notebook.locator(".jp-Cell").first).to_be_visible()
            expect(page.locator(".jp-Notebook-ExecutionIndicator, #jp-main-statusbar",
                                has_text="Idle").first).to_be_visible()  # the kernel has started
            accept_kernel_dialog(page, wait_s=15)
            # Run ▸ Run All Cells, from the menu bar
            page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
            page.locator(".lm-Menu-itemLabel").get_by_text("Run All Cells", exact=True).click()
            if accept_kernel_dialog(page, wait_s=5):  # the dialog came only now: run again
                page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
                page.locator(".lm-Menu-itemLabel").get_by_text("Run All Cells", exact=True).click()
            views = notebook.locator(".jp-OutputArea-output img.widget-image").first
            expect(views).to_be_visible()
            status = notebook.locator(".widget-html-content", has_text="pairs of shapes images")
            expect(status).to_be_visible()
            time.sleep(1.0)  # let the image finish painting
            page.screenshot(path=str(SCREENSHOTS / "explorer_before.png"), full_page=True)
            before_src, before = views.get_attribute("src"), picture_of(views)

            # move the brightness slider: keyboard steps on its handle, as a learner would
            slider = notebook.locator(".widget-slider", has=page.locator("label", has_text="brightness")).first
            handle = slider.locator(".noUi-handle").first
            handle.scroll_into_view_if_needed()
            handle.click()
            for _ in range(10):  # 0.40 → 0.90
                handle.press("ArrowRight")
            expect(slider.locator(".widget-readout")).to_contain_text("0.90")
            page.wait_for_function("([img, before]) => img.src !== before", arg=[views.element_handle(), before_src])
            time.sleep(1.0)
            after = picture_of(views)
            page.screenshot(path=str(SCREENSHOTS / "explorer_after.png"), full_page=True)
        except Exception:
            page.screenshot(path=str(SCREENSHOTS / "failure.png"), full_page=True)
            print(f"screenshot of the failure: {SCREENSHOTS / 'failure.png'}")
            raise
        finally:
            browser.close()

    assert before.shape == after.shape, "the picture of the views changed size"
    changed = np.abs(before - after).max(axis=2) > 30
    assert changed.mean() > 0.05, f"only {changed.mean():.1%} of the pixels changed after moving the slider"
