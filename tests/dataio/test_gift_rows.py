"""Rows of a gift file the import refuses, and why; and what it keeps that it used to refuse."""

from sqlalchemy import func, select

from crm.contacts.models import Contact, Note
from crm.dataio import batches
from crm.donations.models import Donation, PaymentMethod

HEADER = "Gift ID,Email,Name,Phone,Amount,Amount Refunded,Currency,Date,Status,Method,Comment\n"


def _reasons(batch) -> dict[int, str]:
    return {line: reason for line, reason, *_ in batches.rejections(batch)}


def test_rows_refused_say_why_and_write_nothing(db, upload, run_import):
    rows = (
        "G1,a@example.org,Ann Lee,,20.00,,USD,2024-03-05,Sent to accounting,card,\n"
        "G2,b@example.org,Bo Park,,20.00,,USD,2024-03-05,Partially refunded,card,\n"
        "G3,c@example.org,Cy Diaz,,20.00,30.00,USD,2024-03-05,Paid,card,\n"
        "G4,d@example.org,Dee Ray,,20.00,,EUR,2024-03-05,Paid,card,\n"
        "G5,e@example.org,Eve Stone,,0.00,,USD,2024-03-05,Paid,card,\n"
        "G6,,,,20.00,,USD,2024-03-05,Paid,card,\n"
        "G7,,,not a phone,20.00,,USD,2024-03-05,Paid,card,\n"
    )
    done = run_import(upload((HEADER + rows).encode(), kind="gifts"))
    assert done.counts["invalid"] == 7 and done.counts["new"] == 0
    reasons = _reasons(done)
    assert "not a payment status we know" in reasons[2]
    assert "does not say how much was given back" in reasons[3]
    assert "is more than the gift" in reasons[4]
    assert "The gift is in EUR" in reasons[5]
    assert "not more than zero" in reasons[6]
    assert "No donor" in reasons[7]
    assert "not a phone number" in reasons[8]
    assert db.session.scalar(select(func.count()).select_from(Donation)) == 0
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 0


def test_a_donor_with_only_a_phone_or_a_name_and_a_long_comment(db, upload, run_import,
                                                                 make_contact):  # fmt: skip
    known = make_contact(first_name="Luis", last_name="Ortega", phone="+13125550142")
    long = "Thank you for the training at our school. " * 40
    rows = (
        f'G1,,,(312) 555-0142,20.00,,USD,2024-03-05,Paid,,"{long}"\n'
        'G2,,"Okafor, Nia",,30.00,,USD,2024-03-05,Paid,venmo,\n'
        "G3,,Nia Okafor,,5.00,,USD,2024-03-06,Paid,cash,\n"
    )
    done = run_import(upload((HEADER + rows).encode(), kind="gifts"))
    assert (done.counts["new"], done.counts["new_donors"], done.counts["invalid"]) == (3, 1, 0)
    gifts = db.session.scalars(select(Donation).order_by(Donation.id)).all()
    assert gifts[0].contact_id == known.id and gifts[0].method == PaymentMethod.OTHER
    assert gifts[1].contact_id == gifts[2].contact_id  # the same name in one file: one donor
    nia = db.session.get(Contact, gifts[1].contact_id)
    assert (nia.first_name, nia.last_name) == ("Nia", "Okafor")
    assert len(gifts[0].comment) <= 1000 and "whole comment in the notes" in gifts[0].comment
    note = db.session.scalar(select(Note).where(Note.contact_id == known.id))
    assert long.strip() in note.body


def test_an_import_that_fails_half_way_keeps_nothing(db, upload, run_import, monkeypatch):
    from crm.dataio import gift_import
    from crm.donations.models import Campaign
    from tests.dataio.conftest import dump

    before = dump()
    rows = (
        "id,Customer Email,Amount,Created date (UTC),Status,Campaign\n"
        "ch_1,ann@example.org,50.00,2024-03-05 10:00:00,Paid,Winter Walk\n"
        "re_1,,-10.00,2024-03-06 10:00:00,Refunded,\n"
    )
    batch = upload(rows.encode(), kind="gifts", mapping={
        "id": "transaction_id", "Customer Email": "email", "Amount": "amount",
        "Created date (UTC)": "date", "Status": "status", "Campaign": "campaign"},
        campaign_names={"Winter Walk": "new"})  # fmt: skip

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    # the refund rows come last, after the gifts and the new campaign were committed
    monkeypatch.setattr(gift_import.GiftImporter, "_apply_refund_rows", broken)
    failed = run_import(batch)
    assert failed.status.value == "failed"
    assert failed.error == "An unexpected error stopped the import."
    assert dump() == before
    assert db.session.scalars(select(Campaign)).all() == []


def test_two_people_of_one_name_with_their_own_emails_are_two_donors(db, upload, run_import):
    rows = (
        "G1,a@example.org,Sam Lee,,20.00,,USD,2024-03-05,Paid,card,\n"
        "G2,b@example.org,Sam Lee,,30.00,,USD,2024-03-05,Paid,card,\n"
    )
    done = run_import(upload((HEADER + rows).encode(), kind="gifts"))
    assert done.counts["new_donors"] == 2
    donors = {g.contact_id for g in db.session.scalars(select(Donation))}
    assert len(donors) == 2
