"""UI test fixtures: a built frontend, a real uvicorn server over a temp home, headless Chromium.

The server is shared by the whole UI session (tests seed their own, uniquely named data);
each test gets a fresh browser context. Under ``CI=true`` missing Chromium or npm fails.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import service_missing  # tests/conftest.py (tests/ is on sys.path)

REPO = Path(__file__).resolve().parents[2]
FRONTEND = REPO / "frontend"
DIST_INDEX = FRONTEND / "dist" / "index.html"
CHROMIUM = os.environ.get("ONTOLABEL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = Path(os.environ.get("ONTOLABEL_UI_SHOTS", "/tmp/ontolabel-ui"))


def _newest_source_mtime() -> float:
    files = [FRONTEND / n for n in ("index.html", "package.json", "vite.config.ts")]
    files += [p for p in (FRONTEND / "src").rglob("*") if p.is_file()]
    return max(p.stat().st_mtime for p in files if p.exists())


@pytest.fixture(scope="package")
def frontend_dist() -> Path:
    """``frontend/dist``, rebuilt when missing or older than the sources."""
    if DIST_INDEX.exists() and DIST_INDEX.stat().st_mtime >= _newest_source_mtime():
        return DIST_INDEX.parent
    npm = shutil.which("npm")
    if npm is None:
        service_missing("npm", "Node.js 20+ is needed to build the frontend")
    assert npm is not None
    if not (FRONTEND / "node_modules").is_dir():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=FRONTEND, check=True)
    subprocess.run([npm, "run", "build"], cwd=FRONTEND, check=True, capture_output=True)
    return DIST_INDEX.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="package")
def ui_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The server's ``ONTOLABEL_HOME``; also its allowed data root for test datasets."""
    return tmp_path_factory.mktemp("ui-home")


def server_env(home: Path) -> dict[str, str]:
    """This process's environment for an embedded ontolabel on ``home`` (also its data
    root): no external database, broker or token leaks in from the caller."""
    env = {**os.environ, "ONTOLABEL_HOME": str(home), "ONTOLABEL_DATA_ROOTS": str(home)}
    for name in ("ONTOLABEL_DATABASE_URL", "ONTOLABEL_REDIS_URL", "ONTOLABEL_TOKEN"):
        env.pop(name, None)
    return env


@contextlib.contextmanager
def _serving(home: Path, **env_extra: str) -> Iterator[str]:
    """Migrate ``home``'s database, run ``serve.py`` on a free port, yield its base URL."""
    env = {**server_env(home), **env_extra}
    bin_dir = Path(sys.executable).parent
    subprocess.run([str(bin_dir / "ontolabel"), "db", "upgrade"], env=env, check=True)
    port = _free_port()
    log = (home / "server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("serve.py")), str(port)],
        env=env,
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its job pool too is stopped with the group below
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start: {(home / 'server.log').read_text()}")
            time.sleep(0.1)
        yield url
    finally:
        _stop_group(proc)
        log.close()


@pytest.fixture(scope="package")
def server(frontend_dist: Path, ui_home: Path) -> Iterator[str]:
    """Base URL of a migrated ontolabel server on a free port, serving the built app."""
    with _serving(ui_home) as url:
        yield url


ACCOUNT = ("rita", "correct horse battery")
"""An editor with a password on the accounts-mode server."""


@pytest.fixture(scope="package")
def accounts_server(frontend_dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a server in accounts mode, with the editor ``ACCOUNT`` created."""
    home = tmp_path_factory.mktemp("ui-accounts-home")
    env = {**os.environ, "ONTOLABEL_HOME": str(home)}
    env.pop("ONTOLABEL_DATABASE_URL", None)
    env.pop("ONTOLABEL_TOKEN", None)
    ontolabel = str(Path(sys.executable).parent / "ontolabel")
    name, password = ACCOUNT
    subprocess.run(
        [ontolabel, "users", "add", name, "--role", "editor", "--password-stdin"],
        env=env,
        input=f"{password}\n",
        text=True,
        check=True,
        capture_output=True,
    )
    with _serving(home, ONTOLABEL_AUTH="accounts") as url:
        yield url


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group (server and spawned job workers), then SIGKILL."""
    for sig, wait in ((signal.SIGTERM, 3), (signal.SIGKILL, 5)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue
    # Workers outlive a server that exited on SIGTERM; the group still names them.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="package")
def api(server: str) -> Iterator[httpx.Client]:
    """A REST client on the UI server, for seeding data the way a user's scripts would."""
    with httpx.Client(base_url=server, timeout=10) as c:
        yield c


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """Debian's headless Chromium driven over CDP by Playwright (no browser download)."""
    if not Path(CHROMIUM).exists():
        service_missing("Chromium", f"{CHROMIUM} not found; run scripts/ensure-chromium.sh")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        service_missing("playwright", str(exc))
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        yield b
        b.close()


@pytest.fixture(scope="session", autouse=True)
def _patient_expectations() -> None:
    """Jobs run in spawned processes; on a loaded CI machine they need more than 5 s."""
    try:
        from playwright.sync_api import expect
    except ImportError:
        return
    expect.set_options(timeout=15_000)


@contextlib.contextmanager
def page_on(
    browser: Any, url: str, width: int = 1400, height: int = 900, timeout_ms: int = 15_000
) -> Iterator[Any]:
    """A page in a fresh browser context (own storage) with ``url`` as its base URL."""
    ctx = browser.new_context(base_url=url, viewport={"width": width, "height": height})
    ctx.set_default_timeout(timeout_ms)
    try:
        yield ctx.new_page()
    finally:
        ctx.close()


@pytest.fixture
def page(browser: Any, server: str) -> Iterator[Any]:
    """A page in a fresh browser context (own storage), with the server as base URL."""
    with page_on(browser, server) as pg:
        yield pg


def shot(page: Any, name: str) -> None:
    """Saves a full-page screenshot for a person to look at (not asserted on)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
