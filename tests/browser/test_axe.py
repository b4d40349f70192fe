"""axe-core (from the npm registry, like Bootstrap) checks the pages people meet first against
WCAG 2.2 A and AA, on the demo data, at 360 px and 1280 px: visitors' pages, a volunteer's
portal, and the staff pages with the most data on them, the import preview included."""

from pathlib import Path

import pytest

from tests.browser.conftest import ROOT
from tests.browser.test_journeys import expect

pytestmark = pytest.mark.browser

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
WIDTHS = (360, 1280)
PUBLIC = ["/", "/events", "/give", "/volunteer/apply", "/trainings/request"]
VOLUNTEER = ["/my/volunteering"]
STAFF = ["/dashboard", "/contacts/", "/donations/", "/manage/events/", "/volunteers/", "/imports/",
         "/donations/campaigns/", "/donations/campaigns/1", "/volunteers/hours/",
         "/organisations/"]  # fmt: skip
STAFF += ["/outreach/mailings/", "/outreach/mailings/1", "/outreach/mailings/2",
          "/outreach/mailings/2/preview", "/outreach/segments/1/edit"]  # fmt: skip
PREVIEW_FILE = (
    "Contact1 First Name,Contact1 Last Name,Pref. Phone,Email Address,Notes\r\n"
    "Ann,Lee,(312) 555-0101,ann@example.org,"
    + "A note long enough to need the preview to scroll sideways on a phone. " * 3
    + "\r\nBen,Ode,,not-an-email,\r\n"
)


def violations(tab) -> list[str]:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make assets` (npm ci)", pytrace=False)
    tab.evaluate(AXE.read_text())
    result = tab.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS)
    assert result["passes"], "axe checked nothing"
    return [
        f"{tab.url} {v['id']}: {v['help']} ({', '.join(n['target'][0] for n in v['nodes'][:3])})"
        for v in result["violations"]
    ]


def sign_in(tab, email: str, password: str) -> None:
    tab.goto("/auth/login")
    tab.get_by_label("Email", exact=True).fill(email)
    tab.get_by_label("Password", exact=True).fill(password)
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_load_state()


def open_preview(tab, tmp_path: Path) -> None:
    upload = tmp_path / "export.csv"
    upload.write_text(PREVIEW_FILE, encoding="utf-8")
    tab.goto("/imports/")
    tab.get_by_label("What the file holds").select_option(label="Contacts")
    tab.get_by_label("CSV file").set_input_files(str(upload))
    tab.get_by_role("button", name="Upload and map columns").click()
    expect(tab.get_by_role("heading", name="Map the columns of export.csv")).to_be_visible()


@pytest.fixture
def demo(db):
    from crm.demo import DEMO_PASSWORD, load_demo_data

    email, _ = load_demo_data()
    db.session.commit()
    return email, DEMO_PASSWORD


def test_pages_pass_axe_at_both_widths(browser, live_server, demo, tmp_path):
    admin, password = demo
    found = []
    with browser.new_context() as context:  # axe does find what it is asked to find
        tab = context.new_page()
        tab.set_content('<html lang="en"><title>t</title><main><img src="x.png"></main></html>')
        assert any("image-alt" in v for v in violations(tab))
    for width in WIDTHS:
        for who, paths in ((None, PUBLIC), ("volunteer@example.org", VOLUNTEER), (admin, STAFF)):
            context = browser.new_context(
                base_url=live_server.url, viewport={"width": width, "height": 900}
            )
            tab = context.new_page()
            try:
                if who:
                    sign_in(tab, who, password)
                for path in paths:
                    response = tab.goto(path)
                    assert response.ok, f"{path} answered {response.status}"
                    found += violations(tab)
                if who == admin:
                    open_preview(tab, tmp_path)
                    found += violations(tab)
            finally:
                context.close()
    assert not found, "\n".join(found)
