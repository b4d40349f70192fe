"""A newcomer's first gift on `make run`: the CRM served as `make run` serves it (development
configuration, no Stripe keys, `flask run` on a port of its own and the background worker
beside it), a gift from /give through the labelled test checkout, its receipt written to
instance/mail/ with links to that port, and the dashboard showing it."""

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from crm.auth.roles import Role
from crm.donations.models import Campaign, CampaignStatus
from tests.browser.conftest import ROOT
from tests.browser.test_axe import violations
from tests.conftest import PASSWORD
from tests.servers import ServerProcess, free_port

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}


def expect(target):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


@pytest.fixture(scope="module", name="live_server")
def make_run_server(app, tmp_path_factory):
    """`make run`'s two processes on this engine's test database: `flask run` and the
    worker, in the development configuration without any Stripe setting."""
    instance = tmp_path_factory.mktemp("make-run-instance")
    port = free_port()
    unset = ("STRIPE_", "MAIL_", "DEV_CHECKOUT", "BASE_URL", "JOBS_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(unset)}
    env.update(
        CRM_CONFIG="development", DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        CRM_INSTANCE_PATH=str(instance), FLASK_APP="crm:create_app", PORT=str(port),
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    )  # fmt: skip
    with open(instance / "worker.log", "wb") as log:
        worker = subprocess.Popen([sys.executable, "-m", "flask", "crm", "worker"], env=env,
                                  stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    args = [sys.executable, "-m", "flask", "run", "--host", "127.0.0.1", "--port", str(port)]
    try:
        server = ServerProcess(args, port, env=env, log=instance / "server.log")
    except RuntimeError:
        os.kill(worker.pid, signal.SIGTERM)
        raise
    server.url = f"http://127.0.0.1:{port}"
    server.mail = instance / "mail"
    yield server
    server.stop()
    os.kill(worker.pid, signal.SIGTERM)
    try:
        worker.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()


def wait_for_mail(folder: Path, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        files = sorted(folder.glob("*.eml")) if folder.exists() else []
        if files:
            return BytesParser(policy=policy.default).parsebytes(files[0].read_bytes())
        time.sleep(0.2)
    raise AssertionError(f"no email was written to {folder} within {timeout} s")


def test_a_gift_from_give_to_the_receipt_and_the_dashboard(
    page, live_server, db, make_user, console_messages
):
    db.session.add(Campaign(name="General fund drive", slug="general", goal_cents=1_000_000,
                            currency="USD", status=CampaignStatus.ACTIVE))  # fmt: skip
    db.session.commit()
    fundraiser = make_user(Role.FUNDRAISER)

    page.set_viewport_size(PHONE)
    page.goto("/give")
    expect(page.get_by_text("$0 raised of our $10,000 goal")).to_be_visible()
    expect(page.locator("#dev-checkout-note")).to_contain_text("no Stripe key is set")
    page.locator("label", has_text=re.compile(r"^\$50$")).click()
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Last name").fill("Lovelace")
    page.get_by_label("Email", exact=True).fill("ada@example.org")
    page.get_by_role("button", name="Continue to the test checkout").click()

    expect(page.get_by_role("heading", name="Test checkout — development only")).to_be_visible()
    expect(page.get_by_text("no money moves")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert violations(page) == []  # WCAG 2.2 AA, as the other pages
    page.get_by_role("button", name="Complete the test payment of $50.00").click()

    expect(page.get_by_role("heading", name="Thank you, Ada!")).to_be_visible()
    expect(
        page.get_by_text("We have received your gift of $50.00 to General fund drive.")
    ).to_be_visible()
    expect(page.get_by_text("$50 raised of our $10,000 goal")).to_be_visible()

    # The worker wrote the receipt; its links point at the port the app was started on.
    receipt = wait_for_mail(live_server.mail)
    assert receipt["To"] == "ada@example.org"
    body = receipt.get_body(("plain",)).get_content()
    assert "$50.00" in body
    links = re.findall(r"https?://[^\s\"<>]+", body)
    assert links and all(link.startswith(f"{live_server.url}/") for link in links), links
    pdf = urllib.request.urlopen(links[0], timeout=10)
    assert pdf.headers["Content-Type"] == "application/pdf"

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/dashboard?period=month")
    page.get_by_label("Email", exact=True).fill(fundraiser.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    raised = page.locator("#tile-raised").locator("xpath=..")

    def figure(term: str):
        return raised.locator("dt", has_text=re.compile(f"^{term}$")).locator("xpath=../dd")

    expect(figure("Gross")).to_have_text("$50.00")
    expect(figure("Fees")).to_have_text("$1.40")  # Stripe's 2.2 % + 30¢, as configured
    assert [m for m in console_messages if "Content Security Policy" in m] == []
