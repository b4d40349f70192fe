"""Browser journeys: the real app in its own process, driven by headless Chromium.

One live server runs per database engine, on the database the `app` fixture migrated, so a
test prepares records with the usual factories and the browser sees them. The `db` fixture
wipes everything after each test, after the browser page is closed.
"""

import os
import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import unavailable
from tests.servers import start_app_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
TIMEOUT_MS = 10_000


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test, so fixtures can tell that it failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def live_server(app, smtp_server, tmp_path_factory):
    """The CRM served on 127.0.0.1 by its own process, on this engine's test database."""
    log = tmp_path_factory.mktemp("live-app") / "server.log"
    env = {
        "TEST_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_server[0].port),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    server = start_app_server(env, log)
    server.url = f"http://127.0.0.1:{server.port}"
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        unavailable(f"Chromium is not installed at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        unavailable(f"Playwright is not installed: {exc}")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture
def console_messages():
    """Every console message the page printed, as "type: text"; CSP violations show up here."""
    return []


@pytest.fixture
def page(request, browser, live_server, db, console_messages):
    """A fresh browser tab (no cookies) pointed at the live server.

    Depends on `db` so the tab is closed before the database is wiped. On failure a
    screenshot and the server's log are saved under test-artifacts/.
    """
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, locale="en-US"
    )
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    tab.on("console", lambda msg: console_messages.append(f"{msg.type}: {msg.text}"))
    tab.on("pageerror", lambda error: console_messages.append(f"pageerror: {error}"))
    try:
        yield tab
    finally:
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            _save_artifacts(request.node.nodeid, tab, console_messages, live_server.log)
        context.close()


def _save_artifacts(nodeid: str, tab, console: list[str], server_log: Path | None) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid)
    notes = [f"url: {tab.url}", *console]
    try:
        tab.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)
    except Exception as exc:  # the page may have crashed; the console and log still help
        notes.append(f"no screenshot: {exc!r}")
    (ARTIFACTS / f"{name}.txt").write_text("\n".join(notes) + "\n")
    if server_log is not None and server_log.exists():
        shutil.copyfile(server_log, ARTIFACTS / f"{name}.server.log")
