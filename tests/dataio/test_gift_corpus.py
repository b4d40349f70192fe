"""Gift exports of other donor systems and payment platforms (tests/dataio/corpus/gifts/),
each in its own header names, encoding and dialect, with refunds, failures and pending
payments. Each goes through the import as the wizard runs it: the suggested mapping, the dry
run, the import and the undo. The money after the import must be the source's net, which
each case reckons from the file itself the way the source system reports it."""

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from crm.contacts.models import Contact, Note
from crm.dashboard.rebuild import rebuild_summaries
from crm.dataio import batches
from crm.dataio.models import ImportStatus
from crm.donations.models import Campaign, CampaignStatus, Donation, Fund, PaymentMethod, Refund
from tests.dashboard.conftest import summaries
from tests.dataio.conftest import dump

CORPUS = Path(__file__).parent / "corpus" / "gifts"


def cents(text: str, decimal_comma: bool = False) -> int:
    """The test's own reading of an amount: '$1,500.00', '-25.00', '1 250,00'."""
    text = text.replace(" ", "")
    text = text.replace(".", "").replace(",", ".") if decimal_comma else text.replace(",", "")
    return int(Decimal(re.sub(r"[^\d.-]", "", text)) * 100)


@dataclass
class Case:
    file: str
    encoding: str  # how the test itself reads the file
    delimiter: str
    mapping: dict[str, str]  # header -> field, every column the suggestion maps
    counts: dict[str, int]
    net: Callable[[list[dict]], int]  # the source's net, from its own rows
    options: dict = field(default_factory=dict)
    names: Callable[[dict], dict] = lambda ids: {}  # noqa: E731  (what staff chose on the map)
    checks: Callable = lambda db, ids: None  # noqa: E731


def _rows(case: Case) -> list[dict]:
    text = (CORPUS / case.file).read_bytes().decode(case.encoding)
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=case.delimiter))


def _stripe_checks(db, ids):
    first = _gift(db, "ch_3OaPx1")
    # 02:10 UTC on 5 March is still the 4th in New York
    assert first.received_at.astimezone(ZoneInfo("America/New_York")).date().isoformat() == (
        "2024-03-04"
    )
    assert (first.method, first.fee_cents) == (PaymentMethod.CARD, 175)
    assert _gift(db, "ch_3OaPx5").method == PaymentMethod.OTHER  # no card brand: not cash
    assert _gift(db, "ch_3OaPx5").contact_id == first.contact_id == ids["ann"]
    assert _gift(db, "ch_3OaPx2").status.value == "refunded"
    assert _gift(db, "ch_3OaPx3").status.value == "partially_refunded"


def _ppgf_checks(db, ids):
    assert _gift(db, "9PG01").status.value == "refunded"
    assert (_gift(db, "9PG07").refunded_cents, _gift(db, "9PG07").status.value) == (
        1000,
        "partially_refunded",
    )
    zoe = db.session.get(Contact, _gift(db, "9PG02").contact_id)
    assert (zoe.first_name, zoe.last_name, zoe.email) == ("Zoë", "Brontë", None)
    assert _gift(db, "9PG03").contact_id == zoe.id  # the same name and ZIP: one donor


def _paypal_checks(db, ids):
    assert _gift(db, "1AB00001").status.value == "refunded"  # by the refund row
    assert _gift(db, "1AB00004").status.value == "refunded"  # by its own status
    assert _gift(db, "1AB00001").fee_cents == 175


def _givebutter_checks(db, ids):
    luis = _gift(db, "GB-1002")
    assert luis.contact_id == _gift(db, "GB-1003").contact_id == ids["luis"]  # by phone
    assert (luis.method, _gift(db, "GB-1003").method) == (PaymentMethod.ONLINE, PaymentMethod.CARD)
    created = db.session.scalar(select(Campaign).where(Campaign.name == "Back to School Drive"))
    assert created.status == CampaignStatus.DRAFT and _gift(db, "GB-1003").campaign_id == created.id
    assert _gift(db, "GB-1001").comment == "Thank you\nfor all you do"
    long = _gift(db, "GB-1006")
    assert len(long.comment) <= 1000
    note = db.session.scalar(select(Note).where(Note.contact_id == long.contact_id))
    assert "We met your trainers" in note.body and len(note.body) > 1500


def _civicrm_checks(db, ids):
    assert _gift(db, "3001").fund_id == ids["general"]
    assert db.session.get(Fund, _gift(db, "3002").fund_id).name == "Member Dues"
    assert _gift(db, "3007").status.value == "refunded"  # a chargeback gives the money back


def _bloomerang_checks(db, ids):
    assert _gift(db, "T-9001").cheque_number == "4521"
    assert _gift(db, "T-9004").contact_id == ids["ann"]
    assert _gift(db, "T-9005").method == PaymentMethod.IN_KIND
    assert _gift(db, "T-9006").method == PaymentMethod.OTHER
    kofi = db.session.get(Contact, _gift(db, "T-9003").contact_id)
    assert (kofi.first_name, kofi.phone, kofi.email) == ("Kofi", "+17735550199", None)


def _npsp_checks(db, ids):
    nia = db.session.get(Contact, _gift(db, "0065e00000AAA01").contact_id)
    assert (nia.first_name, nia.last_name) == ("Nia", "Okafor")  # not "Okafor Household"
    assert _gift(db, "0065e00000AAA05").method == PaymentMethod.IN_KIND


def _gift(db, txn: str) -> Donation:
    from crm.dataio.models import ImportedGift

    return db.session.scalar(
        select(Donation)
        .join(ImportedGift, ImportedGift.donation_id == Donation.id)
        .where(ImportedGift.transaction_id == txn)
    )


CASES = [
    Case(
        "stripe_unified_payments.csv", "utf-8", ",",
        {"id": "transaction_id", "Created date (UTC)": "date", "Amount": "amount",
         "Amount Refunded": "refunded_amount", "Currency": "currency", "Fee": "fee",
         "Status": "status", "Customer ID": "external_id", "Customer Description": "full_name",
         "Customer Email": "email", "Card Brand": "method"},
        {"new": 5, "invalid": 0, "refunds": 3, "failed": 2, "pending": 1, "new_donors": 3},
        lambda rows: sum(cents(r["Amount"]) - cents(r["Amount Refunded"]) for r in rows
                         if r["Status"] in ("Paid", "Refunded", "Partially refunded")),
        {"system": "stripe"}, checks=_stripe_checks,
    ),
    Case(
        "paypal_giving_fund.csv", "utf-8-sig", ",",
        {"Donation Date": "date", "Transaction ID": "transaction_id",
         "Original Transaction ID": "original_transaction_id", "Donor's First Name": "first_name",
         "Donor's Last Name": "last_name", "Donor's Email": "email", "Donor's Zip": "postcode",
         "Currency": "currency", "Amount": "amount", "Status": "status"},
        {"new": 4, "invalid": 0, "refunds": 2, "failed": 1, "pending": 1, "new_donors": 3},
        lambda rows: sum(cents(r["Amount"]) for r in rows
                         if r["Status"] in ("Completed", "Refunded", "Reversed")),
        {"system": "ppgf"}, checks=_ppgf_checks,
    ),
    Case(
        "paypal_activity.csv", "utf-8-sig", ",",
        {"Date": "date", "Name": "full_name", "Type": "row_kind", "Status": "status",
         "Currency": "currency", "Gross": "amount", "Fee": "fee",
         "From Email Address": "email", "Transaction ID": "transaction_id",
         "Reference Txn ID": "original_transaction_id", "Note": "comment"},
        {"new": 3, "invalid": 1, "refunds": 2, "failed": 1, "pending": 1, "new_donors": 2},
        lambda rows: sum(cents(r["Gross"]) for r in rows
                         if r["Status"] == "Completed" and r["Type"] != "General Withdrawal"),
        {"system": "paypal", "date_order": "mdy"}, checks=_paypal_checks,
    ),
    Case(
        "givebutter_transactions.csv", "utf-8", ",",
        {"Transaction ID": "transaction_id", "Campaign Title": "campaign",
         "Contact ID": "external_id", "First Name": "first_name", "Last Name": "last_name",
         "Email": "email", "Phone": "phone", "Zip Code": "postcode", "Amount": "amount",
         "Fee": "fee", "Method": "method", "Status": "status",
         "Transaction Date (UTC)": "date", "Message": "comment"},
        {"new": 6, "invalid": 0, "refunds": 1, "failed": 1, "pending": 0, "new_donors": 4},
        lambda rows: sum(cents(r["Amount"]) for r in rows if r["Status"] == "succeeded"),
        {"system": "givebutter"},
        names=lambda ids: {"campaign_names": {"Back to School Drive": "new"}},
        checks=_givebutter_checks,
    ),
    Case(
        "donorbox_donations.csv", "utf-8-sig", ",",
        {"Name": "full_name", "Donor First Name": "first_name", "Donor Last Name": "last_name",
         "Donor Email": "email", "Campaign": "campaign", "Amount": "amount",
         "Currency": "currency", "Processing Fee": "fee", "Donor Comment": "comment",
         "Donated At": "date", "Phone": "phone", "Zip / Postal Code": "postcode",
         "Designation": "fund", "Card Type": "method", "Stripe Charge Id": "transaction_id",
         "Paypal Transaction Id": "other_transaction_id", "Status": "status"},
        {"new": 4, "invalid": 0, "refunds": 1, "failed": 1, "pending": 0, "new_donors": 3},
        lambda rows: sum(cents(r["Amount"]) for r in rows if r["Status"] == "paid"),
        {"system": "donorbox"},
    ),
    Case(
        "zeffy_payments.csv", "cp1252", ";",
        {"Payment Date": "date", "Receipt Number": "transaction_id", "First Name": "first_name",
         "Last Name": "last_name", "Email": "email", "Postal Code": "postcode",
         "Total Amount": "amount", "Refund Amount": "refunded_amount",
         "Payment Status": "status", "Payment Method": "method", "Form Title": "campaign",
         "Note to Charity": "comment"},
        {"new": 5, "invalid": 0, "refunds": 2, "failed": 1, "pending": 0, "new_donors": 4},
        lambda rows: sum(cents(r["Total Amount"], True) - cents(r["Refund Amount"], True)
                         for r in rows if r["Payment Status"] != "Failed"),
        {"system": "zeffy"},
    ),
    Case(
        "bloomerang_transactions.csv", "cp1252", ",",
        {"Account Number": "external_id", "First Name": "first_name", "Last Name": "last_name",
         "Primary Email Address": "email", "Primary Phone Number": "phone",
         "Transaction Number": "transaction_id", "Date": "date", "Amount": "amount",
         "Method": "method", "Check Number": "cheque_number", "Fund": "fund",
         "Campaign": "campaign", "Appeal": "source", "Type": "row_kind", "Note": "comment"},
        {"new": 5, "invalid": 0, "refunds": 0, "failed": 0, "pending": 1, "new_donors": 4},
        lambda rows: sum(cents(r["Amount"]) for r in rows if r["Type"] != "Pledge"),
        {"system": "bloomerang", "date_order": "mdy"}, checks=_bloomerang_checks,
    ),
    Case(
        "lgl_gifts.tsv", "utf-8", "\t",
        {"LGL Gift ID": "transaction_id", "LGL Constituent ID": "external_id",
         "First Name": "first_name", "Last Name": "last_name", "Email": "email",
         "Gift Date": "date", "Gift Amount": "amount", "Payment Type": "method",
         "Check Number": "cheque_number", "Gift Type": "row_kind", "Campaign": "campaign",
         "Fund": "fund", "Appeal": "source", "Gift Note": "comment"},
        {"new": 3, "invalid": 0, "refunds": 0, "failed": 0, "pending": 1, "new_donors": 3},
        lambda rows: sum(cents(r["Gift Amount"]) for r in rows if r["Gift Type"] != "Pledge"),
        {"system": "lgl"},
    ),
    Case(
        "civicrm_contributions.csv", "latin-1", ",",
        {"Contact ID": "external_id", "Contribution ID": "transaction_id",
         "First Name": "first_name", "Last Name": "last_name", "Email": "email",
         "Financial Type": "fund", "Total Amount": "amount", "Fee Amount": "fee",
         "Date Received": "date", "Payment Method": "method",
         "Contribution Status": "status", "Check Number": "cheque_number",
         "Contribution Source": "source"},
        {"new": 5, "invalid": 0, "refunds": 2, "failed": 2, "pending": 2, "new_donors": 4},
        lambda rows: sum(cents(r["Total Amount"]) for r in rows
                         if r["Contribution Status"] == "Completed"),
        {"system": "civicrm"},
        names=lambda ids: {"fund_names": {"Donation": str(ids["general"]), "Member Dues": "new"}},
        checks=_civicrm_checks,
    ),
    Case(
        "npsp_opportunities.csv", "utf-8", ",",
        {"Opportunity ID": "transaction_id", "Primary Contact": "full_name",
         "Contact ID": "external_id", "Email": "email", "Amount": "amount",
         "Close Date": "date", "Stage": "status", "Type": "row_kind",
         "Primary Campaign Source": "campaign", "Payment Method": "method",
         "Payment Check/Reference Number": "cheque_number"},
        {"new": 3, "invalid": 0, "refunds": 0, "failed": 1, "pending": 2, "new_donors": 2},
        lambda rows: sum(cents(r["Amount"]) for r in rows
                         if r["Stage"] in ("Closed Won", "Posted")),
        {"system": "npsp", "date_order": "mdy"}, checks=_npsp_checks,
    ),
]  # fmt: skip


@pytest.fixture
def known(db, make_contact, make_campaign, make_fund):
    """What the CRM holds before the import: a donor by email, one by phone only, the
    campaign and the fund most files name."""
    ann = make_contact(first_name="Ann", last_name="Lee", email="ann.lee@example.org")
    luis = make_contact(first_name="Luis", last_name="Ortega", phone="+13125550142")
    general = make_fund(name="General Fund")
    make_campaign(name="Spring Gala")
    db.session.commit()
    return {"ann": ann.id, "luis": luis.id, "general": general.id}


def _money(db) -> tuple[int, int, int]:
    gross, refunded = db.session.execute(
        select(func.coalesce(func.sum(Donation.amount_cents), 0),
               func.coalesce(func.sum(Donation.refunded_cents), 0))
    ).one()  # fmt: skip
    refunds = db.session.scalar(select(func.coalesce(func.sum(Refund.amount_cents), 0)))
    return gross, refunded, refunds


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.file.split(".")[0])
def test_an_export_imports_to_the_source_systems_net(case, db, upload, run_import, known):
    before = dump()
    content = (CORPUS / case.file).read_bytes()
    batch = upload(content, kind="gifts", **case.options, **case.names(known))
    assert {batch.headers[int(i)]: f for i, f in batch.mapping.items()} == case.mapping

    checked = run_import(batch, dry_run=True)
    assert checked.status == ImportStatus.CHECKED, checked.error
    counts = checked.dry_run_counts
    assert {k: counts[k] for k in case.counts} == case.counts, list(batches.rejections(checked))
    assert dump() == before  # a dry run writes nothing, not even the campaigns it would create

    net = case.net(_rows(case))
    assert counts["net_cents"] == net
    done = run_import(checked)
    assert done.status == ImportStatus.DONE, done.error
    assert done.counts == counts  # the import did what the dry run said
    gross, refunded, refunds = _money(db)
    assert (gross - refunded, refunded, gross) == (
        net, counts["refunded_cents"], counts["gross_cents"])  # fmt: skip
    assert refunds == refunded  # every refund is a Refund record of its gift
    assert db.session.scalar(select(func.count()).select_from(Refund)) == counts["refunds"]
    case.checks(db, known)
    kept = summaries(db)  # the dashboard's summaries saw every gift and refund
    rebuild_summaries(db.session.connection())
    assert summaries(db) == kept
    db.session.rollback()

    again = run_import(upload(content, kind="gifts", **case.options, **case.names(known)))
    assert (again.counts["new"], again.counts["refunds"]) == (0, 0)  # nothing twice
    assert _money(db) == (gross, refunded, refunds)

    batches.start_undo(done)
    db.session.commit()
    batches.undo(done.id)
    db.session.expire_all()
    assert dump() == before
