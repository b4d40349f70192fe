"""Gift imports, re-imports that add nothing, and undo that leaves the database as it was."""

from sqlalchemy import func, select

from crm.contacts.models import Contact
from crm.dataio import batches
from crm.dataio.models import ImportConflict, ImportStatus
from crm.donations.models import Donation, PaymentMethod
from tests.dataio.conftest import dump

GIFTS = (
    "Gift ID,Constituent ID,Email,First Name,Last Name,Gift Amount,Gift Date,Payment Method,"
    "Campaign,Fund\n"
    'T1,,donor@example.org,,,"$1,250.50",2024-03-05,Check,Spring Appeal,General fund\n'
    "T2,,new.donor@example.org,Nia,Okafor,25,5 Mar 2024,cash,,\n"
    'T3,,NEW.donor@example.org,Nia,Okafor,"10,00","March 6, 2024",card,,\n'
    "T1,,donor@example.org,,,1250.50,2024-03-05,Check,Spring Appeal,General fund\n"
    "T4,,donor@example.org,,,-5,2024-03-05,cash,,\n"
    "T5,,donor@example.org,,,5,2024-03-05,cash,Nope,\n"
    "T6,,,,,5,2024-03-05,cash,,\n"
    "T7,,donor@example.org,,,7,20240307,bank transfer,,\n"
)


def test_gifts_link_to_donors_campaigns_and_funds(db, upload, run_import, make_contact,
                                                  make_campaign, make_fund):  # fmt: skip
    donor = make_contact(email="donor@example.org")
    campaign = make_campaign(name="Spring Appeal")
    fund = make_fund(name="General Fund")
    batch = upload(GIFTS.encode(), kind="gifts")
    # "Constituent ID" is empty in every row: not suggested.
    assert set(batch.mapping.values()) == {"transaction_id", "email", "first_name", "last_name",
                                           "amount", "date", "method", "campaign",
                                           "fund"}  # fmt: skip
    checked = run_import(batch, dry_run=True)
    assert checked.dry_run_counts == {"new": 4, "already_imported": 0, "duplicate": 1,
                                      "invalid": 2, "new_donors": 1, "refunds": 1,
                                      "refunds_to_link": 0, "failed": 0, "pending": 0,
                                      "gross_cents": 129250, "refunded_cents": 500,
                                      "net_cents": 128750}  # fmt: skip
    assert db.session.scalar(select(func.count()).select_from(Donation)) == 0
    done = run_import(checked)
    assert done.counts == checked.dry_run_counts
    gifts = db.session.scalars(select(Donation).order_by(Donation.id)).all()
    assert [g.amount_cents for g in gifts] == [125050, 2500, 1000, 700]
    first = gifts[0]
    assert (first.contact_id, first.campaign_id, first.fund_id) == (donor.id, campaign.id, fund.id)
    assert first.method == PaymentMethod.CHEQUE
    # T4, -5 and no refunded gift named: the donor's gift of that day
    assert (first.refunded_cents, first.refunds[0].created_at.date().isoformat()) == (
        500, "2024-03-05")  # fmt: skip
    assert gifts[1].contact_id == gifts[2].contact_id != donor.id  # one new donor, not two
    nia = db.session.get(Contact, gifts[1].contact_id)
    assert (nia.first_name, nia.email_key) == ("Nia", "new.donor@example.org")
    assert first.received_at.date().isoformat() == "2024-03-05"
    reasons = [r[1] for r in batches.rejections(done)]
    assert any("No campaign" in r for r in reasons)
    assert any("No donor" in r for r in reasons)

    again = run_import(upload(GIFTS.encode(), kind="gifts"))  # the same file again adds nothing
    assert again.counts["new"] == 0 and again.counts["already_imported"] == 6  # T4 too
    assert db.session.scalar(select(func.count()).select_from(Donation)) == 4


def test_undo_of_a_gift_import_leaves_the_database_as_before(db, upload, run_import,
                                                              make_contact, make_campaign,
                                                              make_fund):  # fmt: skip
    make_contact(email="donor@example.org")
    make_campaign(name="Spring Appeal")
    make_fund(name="General fund")
    before = dump()
    done = run_import(upload(GIFTS.encode(), kind="gifts"))
    assert dump() != before
    batches.start_undo(done)
    db.session.commit()
    batches.undo(done.id)
    db.session.expire_all()
    assert dump() == before
    assert db.session.get(type(done), done.id).status == ImportStatus.UNDONE


def test_undo_of_a_contact_import_restores_updated_contacts(db, upload, run_import,
                                                            make_contact):  # fmt: skip
    make_contact(first_name="Ann", last_name="Lee", email="ann@example.org", city="Old Town",
                 phone="+13125550100")  # fmt: skip
    make_contact(first_name="Bo", last_name="Diddley", postcode="60601")
    before = dump()
    content = (b"first,last,email,city,zip,id,opt in\n"
               b"Annie,Lee,ANN@example.org,New Town,,A-1,yes\n"
               b"bo,diddley,,Chicago,60601,B-2,no\n"
               b"New,Person,new@example.org,,,C-3,yes\n"
               b"New,Person,,Elsewhere,,C-3,\n")  # fmt: skip
    done = run_import(upload(content, system="oldcrm"))
    assert done.counts == {"new": 1, "matched": 2, "duplicate": 1, "invalid": 0}
    assert db.session.scalar(select(func.count()).select_from(ImportConflict)) == 2
    assert dump() != before
    batches.start_undo(done)
    db.session.commit()
    batches.undo(done.id)
    db.session.expire_all()
    assert dump() == before


def test_undo_refuses_when_an_updated_contact_was_edited_since(db, upload, run_import,
                                                               make_contact):  # fmt: skip
    from crm.contacts.services import update_contact

    ann = make_contact(first_name="Ann", last_name="Lee", email="ann@example.org")
    done = run_import(upload(b"first,last,email,city\nAnn,Lee,ann@example.org,Paris\n"))
    update_contact(db.session.get(Contact, ann.id), {"city": "Rome"})
    db.session.commit()
    import pytest

    with pytest.raises(batches.ImportError_, match="edited since"):
        batches.start_undo(done)
