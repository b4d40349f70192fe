"""Refund rows that do not name the gift they refund, rows without transaction ids, and the
list of refunds to link: after any gift import the gross less the refunded is the file's
net, the dry run says what the import does, and importing a file again adds nothing."""

from sqlalchemy import func, select

from crm.contacts.models import Contact
from crm.dataio import batches
from crm.dataio.models import ImportedGift, UnmatchedRefund
from crm.donations.models import Donation, DonationStatus, PaymentMethod, Refund
from tests.dataio.conftest import dump

HEADER = "Email,Name,Amount,Date,Campaign,Method\n"


def _money(db) -> tuple[int, int, int]:
    """(gross, refunded on gifts, refunded waiting to be linked) in the CRM."""
    gross = db.session.scalar(select(func.coalesce(func.sum(Donation.amount_cents), 0)))
    on_gifts = db.session.scalar(select(func.coalesce(func.sum(Refund.amount_cents), 0)))
    waiting = db.session.scalar(
        select(func.coalesce(func.sum(UnmatchedRefund.amount_cents), 0)).where(
            UnmatchedRefund.refund_id.is_(None)
        )
    )
    return gross, on_gifts, waiting


def _import(upload, run_import, text: str, **options):
    checked = run_import(upload(text.encode(), kind="gifts", **options), dry_run=True)
    done = run_import(checked)
    assert done.counts == checked.dry_run_counts  # the dry run said what the import did
    return done


def test_a_refund_without_an_id_refunds_the_donors_matching_earlier_gift(
    db, upload, run_import, make_campaign
):
    make_campaign(name="Gala")
    make_campaign(name="Walk")
    rows = (
        "ann@example.org,Ann Lee,50.00,2024-03-01,Gala,card\n"
        "ann@example.org,Ann Lee,30.00,2024-03-02,Walk,card\n"
        "ann@example.org,Ann Lee,30.00,2024-03-03,Gala,card\n"
        "ann@example.org,Ann Lee,-30.00,2024-03-04,Walk,card\n"  # same amount, same campaign
        "ann@example.org,Ann Lee,-20.00,2024-03-05,,\n"  # no same amount: the latest with 20
        "bo@example.org,Bo Park,25.00,2024-03-10,,cash\n"
        "bo@example.org,Bo Park,-25.00,2024-03-09,,\n"  # before Bo's only gift: none earlier
        "cy@example.org,Cy Diaz,-15.00,2024-03-09,,\n"  # nobody here by that email
        ",,-5.00,2024-03-09,,\n"  # money returned to no one the file names
    )  # fmt: skip
    done = _import(upload, run_import, HEADER + rows, system="lgl")
    counts = done.counts
    assert (counts["new"], counts["refunds"], counts["refunds_to_link"], counts["invalid"]) == (
        4, 2, 3, 0)  # fmt: skip
    assert (counts["gross_cents"], counts["refunded_cents"], counts["net_cents"]) == (
        13500, 9500, 4000)  # fmt: skip
    gifts = {(g.amount_cents, g.received_at.day): g for g in db.session.scalars(select(Donation))}
    assert gifts[(3000, 2)].refunded_cents == 3000  # the Walk gift, not the later Gala one
    assert gifts[(3000, 3)].refunded_cents == 2000  # the latest earlier gift with 20 left
    assert gifts[(5000, 1)].refunded_cents == 0
    assert gifts[(2500, 10)].refunded_cents == 0  # a later gift is not what was refunded
    gross, on_gifts, waiting = _money(db)
    assert (gross, on_gifts + waiting) == (13500, 9500)  # the file's net: 40.00

    kept = db.session.scalars(select(UnmatchedRefund).order_by(UnmatchedRefund.line)).all()
    bo = db.session.scalar(select(Contact).where(Contact.email == "bo@example.org"))
    assert [(k.line, k.amount_cents, k.contact_id, k.donor) for k in kept] == [
        (8, 2500, bo.id, None),
        (9, 1500, None, "Cy Diaz · cy@example.org"),
        (10, 500, None, None),
    ]
    assert kept[0].refunded_at.date().isoformat() == "2024-03-09"

    again = _import(upload, run_import, HEADER + rows, system="lgl")
    assert (again.counts["new"], again.counts["already_imported"]) == (0, 9)
    assert _money(db) == (gross, on_gifts, waiting)  # nothing twice


def test_a_refund_told_by_its_gifts_status_and_again_as_a_row_counts_once(db, upload, run_import):
    header = "Email,Amount,Date,Status\n"
    rows = ("ann@example.org,40.00,2024-03-01,Refunded\n"
            "ann@example.org,-40.00,2024-03-02,Refunded\n")  # fmt: skip
    done = _import(upload, run_import, header + rows)
    assert (done.counts["refunds"], done.counts["duplicate"], done.counts["net_cents"]) == (
        1, 1, 0)  # fmt: skip
    assert db.session.scalar(select(func.count()).select_from(UnmatchedRefund)) == 0


def test_rows_without_ids_are_kept_by_what_they_say(db, upload, run_import):
    """Two identical rows are two gifts; the same file again, or a newer export with them
    and one more, adds only the new one; a gift refunded since gets its refund."""
    header = "Email,Amount,Date,Status\n"
    march = ("ann@example.org,20.00,2024-03-01,Paid\n"
             "ann@example.org,20.00,2024-03-01,Paid\n"
             "bo@example.org,35.00,2024-03-02,Paid\n")  # fmt: skip
    first = _import(upload, run_import, header + march)
    assert first.counts["new"] == 3
    keys = db.session.scalars(select(ImportedGift.transaction_id)).all()
    assert len(set(keys)) == 3 and all(k.startswith("row:") for k in keys)
    april = ("ann@example.org,20.00,2024-03-01,Paid\n"
             "ann@example.org,20.00,2024-03-01,Paid\n"
             "bo@example.org,35.00,2024-03-02,Refunded\n"
             "ann@example.org,20.00,2024-03-01,Paid\n")  # a third gift of the same  # fmt: skip
    later = _import(upload, run_import, header + april)
    assert (later.counts["new"], later.counts["already_imported"], later.counts["refunds"]) == (
        1, 3, 1)  # fmt: skip
    bo = db.session.scalar(select(Donation).where(Donation.amount_cents == 3500))
    assert bo.status == DonationStatus.REFUNDED
    assert db.session.scalar(select(func.count()).select_from(Donation)) == 4


def test_a_refund_to_link_is_linked_by_staff_and_undone_with_its_import(
    db, client, make_user, upload, run_import, make_contact
):
    ann = make_contact(first_name="Ann", last_name="Lee", email="ann@example.org")
    earlier = Donation(contact=ann, amount_cents=6000, currency="USD", received_at=_day(1),
                       status=DonationStatus.SUCCEEDED, method=PaymentMethod.CASH)  # fmt: skip
    db.session.add(earlier)
    db.session.commit()
    client.login(make_user("fundraiser"))
    before = dump()
    done = _import(upload, run_import, HEADER + "ann@example.org,Ann Lee,-25.00,2024-03-09,,\n")
    assert done.counts["refunds_to_link"] == 1  # her gift was not imported from this system
    page = client.get("/imports/refunds-to-link").text
    assert "1 refund to link, $25.00 in all." in page
    assert f"Gift {earlier.id} · $60.00" in page  # her gifts with enough left are offered
    [kept] = db.session.scalars(select(UnmatchedRefund)).all()
    assert client.form(f"/imports/refunds-to-link/{kept.id}/link", {"gift": "999999"}).status_code
    assert "no gift number 999999" in client.get("/imports/refunds-to-link").text
    client.form(f"/imports/refunds-to-link/{kept.id}/link", {"gift": str(earlier.id)})
    db.session.expire_all()
    gift = db.session.get(Donation, earlier.id)
    assert (gift.refunded_cents, gift.status) == (2500, DonationStatus.PARTIALLY_REFUNDED)
    assert gift.refunds[0].created_at.date().isoformat() == "2024-03-09"
    assert "Nothing to link" in client.get("/imports/refunds-to-link").text
    assert db.session.get(UnmatchedRefund, kept.id).refund_id == gift.refunds[0].id

    again = _import(upload, run_import, HEADER + "ann@example.org,Ann Lee,-25.00,2024-03-09,,\n")
    assert again.counts["already_imported"] == 1 and again.counts["refunded_cents"] == 0

    batches.start_undo(done)
    db.session.commit()
    batches.undo(done.id)
    db.session.expire_all()
    assert dump() == before  # the refund to link goes, and the link's refund with it
    assert db.session.scalar(select(func.count()).select_from(Refund)) == 0


def test_a_new_donor_needs_a_name_or_an_email(db, upload, run_import, make_contact):
    make_contact(first_name="Luis", last_name="Ortega", phone="+13125550142")
    header = "Phone,Donor ID,Name,Amount,Date\n"
    rows = (
        "(312) 555-0142,,,20.00,2024-03-01\n"  # found by the phone: fine
        "(312) 555-0199,,,30.00,2024-03-01\n"  # nobody has it, and no name: refused
        ",D-7,,40.00,2024-03-01\n"  # an id nobody has, and no name: refused
        "(312) 555-0177,,Kofi Mensah,50.00,2024-03-01\n"
    )  # a name: a new donor
    done = _import(upload, run_import, header + rows, system="crm2")
    assert (done.counts["new"], done.counts["new_donors"], done.counts["invalid"]) == (2, 1, 2)
    reasons = {line: reason for line, reason, *_ in batches.rejections(done)}
    assert reasons[3].startswith("No contact here has this phone, and the row gives no name")
    assert reasons[4].startswith("No contact here has this id, and the row gives no name")
    assert not db.session.scalar(select(Contact).where(Contact.first_name == "Unknown"))


def test_an_unknown_payment_method_keeps_its_word(db, upload, run_import):
    header = "Email,Amount,Date,Method\n"
    rows = ("ann@example.org,20.00,2024-03-01,Crypto (BTC)\n"
            "ann@example.org,30.00,2024-03-02,applePayOrGooglePay\n"
            f"ann@example.org,40.00,2024-03-03,{'x' * 101}\n")  # fmt: skip
    done = _import(upload, run_import, header + rows)
    assert (done.counts["new"], done.counts["invalid"]) == (2, 1)
    methods = db.session.execute(select(Donation.method, Donation.method_detail)
                                 .order_by(Donation.amount_cents)).all()  # fmt: skip
    assert methods == [(PaymentMethod.OTHER, "Crypto (BTC)"), (PaymentMethod.CARD, None)]
    assert "longer than 100 characters" in next(batches.rejections(done))[1]


def test_a_long_comment_is_kept_whole(db, upload, run_import):
    from crm.contacts.models import Note

    comment = "We met your trainers at the school assembly in March. " * 760
    assert len(comment) > 40_000
    done = _import(upload, run_import, f'Email,Amount,Date,Comment\na@example.org,5,2024-03-01,'
                                       f'"{comment}"\n')  # fmt: skip
    assert done.counts["new"] == 1
    assert comment.strip() in db.session.scalar(select(Note.body))


def _day(day: int):
    from datetime import UTC, datetime

    return datetime(2024, 3, day, 17, tzinfo=UTC)


def test_a_newer_export_that_tells_a_refund_twice_counts_it_once(db, upload, run_import):
    header = "Email,Amount,Date,Status\n"
    _import(upload, run_import, header + "ann@example.org,50.00,2024-03-01,Paid\n")
    newer = (
        "ann@example.org,50.00,2024-03-01,Refunded\n"  # the gift, refunded since
        "ann@example.org,-50.00,2024-03-04,Refunded\n"
    )  # and the refund's own row
    done = _import(upload, run_import, header + newer)
    assert (
        done.counts["already_imported"],
        done.counts["refunds"],
        done.counts["refunds_to_link"],
        done.counts["refunded_cents"],
    ) == (1, 1, 0, 5000)
    assert _money(db) == (5000, 5000, 0)  # the source's net: nothing
