"""Every streamed CSV download, read to its end with rows in it, the way a real server sends
it: the view has returned (and its request's database session has closed) before the first
row is written, so a row that needs a lazy load breaks the download half-way."""

import csv
import io
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from crm.auth.roles import Role
from crm.contacts.models import Contact
from crm.dataio.models import ImportBatch, ImportConflict, ImportKind, ImportRejection
from crm.donations.ledger_models import LineKind, Payout, PayoutLine, PayoutStatus
from crm.donations.models import Donation
from crm.modelbase import utcnow
from crm.outreach.models import Segment
from tests.test_access import build_url

pytestmark = pytest.mark.clock  # the demo history is built relative to today


@pytest.fixture
def history(db, make_user):
    """Two years of demo history (gifts, plans, events, volunteers and their hours) and an
    import with rejected rows and conflicts."""
    from crm.demo import load_demo_data

    load_demo_data()
    db.session.commit()
    donor = db.session.scalar(
        select(Contact).join(Donation, Donation.contact_id == Contact.id).limit(1)
    )
    batch = ImportBatch(kind=ImportKind.CONTACTS, filename="old.csv", encoding="utf-8",
                        delimiter=",", headers=["first", "email"])  # fmt: skip
    db.session.add(batch)
    db.session.flush()
    db.session.add_all([
        ImportRejection(batch_id=batch.id, line=2, reason="No name", values=["", "x@y"]),
        ImportConflict(batch_id=batch.id, contact_id=donor.id, line=3, field="city",
                       kept="Springfield", in_file="Shelbyville"),
    ])  # fmt: skip
    payout = _payout(db)
    segment = db.session.scalar(select(Segment).where(Segment.name == "Springfield"))
    db.session.commit()
    return {"contact_id": donor.id, "batch_id": batch.id, "payout_id": payout.id,
            "segment_id": segment.id, "admin": make_user(Role.ADMIN)}  # fmt: skip


def _payout(db) -> Payout:
    """A payout of three demo gifts (the demo has none: payouts come from Stripe)."""
    gifts = db.session.scalars(
        select(Donation).where(Donation.currency == "USD").order_by(Donation.id).limit(3)
    ).all()
    payout = Payout(stripe_payout_id="po_history", amount_cents=0, currency="USD",
                    arrival_at=utcnow(), status=PayoutStatus.BALANCED)  # fmt: skip
    for gift in gifts:
        fee = 30 + gift.amount_cents * 29 // 1000
        payout.lines.append(PayoutLine(
            balance_transaction_id=f"txn_history_{gift.id}", kind=LineKind.GIFT,
            stripe_type="charge", category="charge", source_id=f"ch_history_{gift.id}",
            amount_cents=gift.amount_cents, fee_cents=fee, net_cents=gift.amount_cents - fee,
            currency="USD", created_at=gift.received_at, donation_id=gift.id,
        ))  # fmt: skip
        payout.amount_cents += gift.amount_cents - fee
    db.session.add(payout)
    db.session.flush()
    return payout


def csv_rules(app):
    return [r for r in app.url_map.iter_rules() if r.rule.endswith(".csv") and "GET" in r.methods]


def download(app, cookie: str, url: str) -> tuple[int, str]:
    """GET as a server would serve it: no application context around the request (each
    thread starts without one) and the body read from the stream afterwards."""

    def fetch():
        client = FlaskClient(app)
        client.set_cookie("session", cookie)
        response = client.get(url, buffered=False)
        body = b"".join(response.response)
        response.close()
        return response.status_code, body.decode("utf-8-sig")

    with ThreadPoolExecutor(1) as thread:
        return thread.submit(fetch).result(timeout=120)


def test_every_csv_download_streams_every_row(app, client, history):
    client.login_as(history["admin"])
    cookie = client.get_cookie("session").value
    today = utcnow().date()
    wide = f"period=custom&from={today - timedelta(days=700)}&to={today}"
    rules = csv_rules(app)
    assert len(rules) >= 12
    failures = []
    for rule in rules:
        url = build_url(rule, history)
        url += "?" + wide if url.startswith("/dashboard/") else ""
        try:
            status, text = download(app, cookie, url)
        except Exception as exc:  # noqa: BLE001 - the failure is what the test reports
            failures.append(f"{url}: {type(exc).__name__}: {exc}"[:300])
            continue
        rows = list(csv.reader(io.StringIO(text)))
        if status != 200 or len(rows) < 2:
            failures.append(f"{url}: {status}, {len(rows)} line(s): {text[:200]!r}")
        elif any(len(row) != len(rows[0]) for row in rows):
            failures.append(f"{url}: rows of another width than the header")
    assert failures == []
