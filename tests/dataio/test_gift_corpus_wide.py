"""More gift exports (corpus/gifts/), written from each system's description of its export:
wide exports whose contact columns come first, a file re-saved by a German Excel, exports
whose refunds name no gift, report footers, empty id columns, other systems' words for
payment methods and gift types. Each is checked against the source's own figures beside it
(gift_corpus.py)."""

from datetime import date
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from crm.contacts.models import Contact
from crm.dataio import batches
from crm.dataio.models import ImportedGift, UnmatchedRefund
from crm.donations.models import Donation, DonationStatus, PaymentMethod
from tests.dataio.gift_corpus import Case, gift, run_case

NEW_YORK = ZoneInfo("America/New_York")


def day(donation: Donation) -> date:
    return donation.received_at.astimezone(NEW_YORK).date()


def _civicrm_wide(db, ids):
    # "Date Received", not the contact's "Created Date" that comes first
    assert day(gift(db, "7001")) == date(2024, 3, 4)
    assert {day(g).year for g in db.session.scalars(select(Donation))} == {2024}
    assert gift(db, "7002").status == DonationStatus.REFUNDED
    assert gift(db, "7010").status == DonationStatus.REFUNDED  # a chargeback
    assert (gift(db, "7005").cheque_number, gift(db, "7003").amount_cents) == ("1187", 100000)


def _civicrm_excel(db, ids):
    assert (gift(db, "8102").amount_cents, gift(db, "8111").amount_cents) == (100000, 7550)
    assert day(gift(db, "8101")) == date(2024, 4, 2)  # 02.04.2024: the day first
    assert gift(db, "8101").comment == "Danke für eure Arbeit!"
    jurgen = db.session.get(Contact, gift(db, "8101").contact_id)
    assert (jurgen.first_name, jurgen.last_name) == ("Jürgen", "Weiß")
    assert gift(db, "8116").amount_cents == 4500 and gift(db, "8117").amount_cents == 1000


def _donorbox(db, ids):
    keys = db.session.scalars(select(ImportedGift.transaction_id)).all()
    assert sorted(keys) == [f"DBX-24-000{n}" for n in range(1, 9)]  # the receipt ids
    assert gift(db, "DBX-24-0005").comment == 'For the "Safe at School" talks, with thanks'
    assert gift(db, "DBX-24-0007").status == DonationStatus.REFUNDED


def _lgl(db, ids):
    assert gift(db, "91003").refunded_cents == 5000  # the same amount: the $50 gift
    assert gift(db, "91001").refunded_cents == 0
    assert gift(db, "91002").status == DonationStatus.REFUNDED
    assert gift(db, "91007").method == PaymentMethod.IN_KIND
    [kept] = db.session.scalars(select(UnmatchedRefund)).all()
    assert (kept.amount_cents, kept.contact_id, kept.donor) == (
        2000, None, "Mo Reed · mo@example.org · 7005")  # fmt: skip


def _npsp_payments(db, ids):
    assert gift(db, "PMT-000103").refunded_cents == 2500  # Ann's latest payment before
    assert gift(db, "PMT-000102").refunded_cents == 0
    assert gift(db, "PMT-000103").contact_id == ids["ann"]
    assert gift(db, "PMT-000108").status == DonationStatus.REFUNDED


def _zeffy(db, ids):
    methods = {txn: (gift(db, txn).method, gift(db, txn).method_detail) for txn in
               ("2024-00101", "2024-00103", "2024-00105", "2024-00106", "2024-00108",
                "2024-00109")}  # fmt: skip
    assert methods == {
        "2024-00101": (PaymentMethod.CARD, None),  # applePayOrGooglePay
        "2024-00103": (PaymentMethod.BANK_TRANSFER, None),  # pad
        "2024-00105": (PaymentMethod.CHEQUE, None),
        "2024-00106": (PaymentMethod.BANK_TRANSFER, None),  # transfer
        "2024-00108": (PaymentMethod.OTHER, "manual"),
        "2024-00109": (PaymentMethod.BANK_TRANSFER, None),  # ach
    }
    jean = db.session.scalar(select(Contact).where(Contact.email == "jean.gagnon@example.org"))
    [cash] = db.session.scalars(select(Donation).where(Donation.contact_id == jean.id)).all()
    assert (cash.method, cash.amount_cents) == (PaymentMethod.CASH, 2000)  # no receipt number
    assert gift(db, "2024-00107").refunded_cents == 1000


def _ppgf(db, ids):
    assert gift(db, "PG-5003").refunded_cents == 4000  # Kai's latest $40 before the reversal
    assert gift(db, "PG-5001").refunded_cents == 0
    assert gift(db, "PG-5005").status == DonationStatus.PARTIALLY_REFUNDED
    [kept] = db.session.scalars(select(UnmatchedRefund)).all()
    assert (kept.amount_cents, kept.donor) == (1500, "Hal Moss · hal@example.org")


def _bloomerang(db, ids):
    assert day(gift(db, "T-12001")) == date(2024, 3, 5)  # not the account's Created Date
    assert gift(db, "T-12001").status == DonationStatus.REFUNDED
    assert gift(db, "T-12004").contact_id == ids["ann"]


def _raisers_edge(db, ids):
    assert gift(db, "50003").method == PaymentMethod.CHEQUE  # a pledge payment ("Pay-Cash")
    assert gift(db, "50007").method == PaymentMethod.IN_KIND  # "Gift-in-Kind", method Other
    assert gift(db, "50002") is None  # the pledge


GENERAL = {"Donation": "general"}


def _funds(names: dict, **created):
    return lambda ids: {"fund_names": {n: str(ids[v]) for n, v in names.items()} | created}


CASES = [
    Case(
        "civicrm_contributions_wide.csv",
        {"Contact ID": "external_id", "Display Name": "full_name", "First Name": "first_name",
         "Last Name": "last_name", "Postal Code": "postcode", "Phone": "phone",
         "Email": "email", "Contribution ID": "transaction_id", "Financial Type": "fund",
         "Contribution Source": "source", "Date Received": "date", "Total Amount": "amount",
         "Fee Amount": "fee", "Currency": "currency", "Payment Method": "method",
         "Contribution Status": "status", "Check Number": "cheque_number"},
        {"new": 6, "invalid": 0, "refunds": 2, "refunds_to_link": 0, "failed": 1,
         "pending": 1, "new_donors": 4},
        {"system": "civicrm"}, _funds(GENERAL), _civicrm_wide,
    ),
    Case(
        "civicrm_contributions_de_excel.csv",
        {"Contact ID": "external_id", "Display Name": "full_name", "First Name": "first_name",
         "Last Name": "last_name", "Email": "email", "Contribution ID": "transaction_id",
         "Financial Type": "fund", "Date Received": "date", "Total Amount": "amount",
         "Fee Amount": "fee", "Currency": "currency", "Payment Method": "method",
         "Contribution Status": "status", "Check Number": "cheque_number",
         "Contribution Source": "source", "Note": "comment"},
        {"new": 15, "invalid": 0, "refunds": 2, "refunds_to_link": 0, "failed": 2,
         "pending": 1, "new_donors": 12},
        {"system": "civicrm-de"}, _funds(GENERAL, **{"Member Dues": "new"}), _civicrm_excel,
    ),
    Case(
        "donorbox_donations_2024.csv",
        {"Name": "full_name", "Donor First Name": "first_name", "Donor Last Name": "last_name",
         "Donor Email": "email", "Campaign": "campaign", "Amount": "amount",
         "Currency": "currency", "Processing Fee": "fee", "Donor Comment": "comment",
         "Donated At": "date", "Phone": "phone", "Zip / Postal Code": "postcode",
         "Designation": "fund", "Receipt Id": "transaction_id", "Card Type": "method",
         "Status": "status"},
        {"new": 8, "invalid": 0, "refunds": 2, "refunds_to_link": 0, "failed": 0,
         "pending": 0, "new_donors": 7},
        {"system": "donorbox"}, checks=_donorbox,
    ),
    Case(
        "lgl_gifts_with_adjustments.csv",
        {"LGL Gift ID": "transaction_id", "LGL Constituent ID": "external_id",
         "Name": "full_name", "First Name": "first_name", "Last Name": "last_name",
         "Email": "email", "Gift Type": "row_kind", "Received Date": "date",
         "Received Amount": "amount", "Payment Type": "method",
         "Check/Reference No.": "cheque_number", "Campaign": "campaign", "Fund": "fund",
         "Appeal": "source", "Note": "comment"},
        {"new": 4, "invalid": 0, "refunds": 2, "refunds_to_link": 1, "failed": 0,
         "pending": 1, "new_donors": 3},
        {"system": "lgl"}, checks=_lgl,
    ),
    Case(
        "npsp_payments_report.csv",
        {"Payment: Payment Number": "transaction_id", "Primary Contact": "full_name",
         "Contact: Email": "email", "Payment Amount": "amount", "Payment Date": "date",
         "Payment Method": "method", "Check/Reference Number": "cheque_number",
         "Primary Campaign Source": "campaign"},
        {"new": 5, "invalid": 6, "refunds": 2, "refunds_to_link": 0, "failed": 0,
         "pending": 0, "new_donors": 3},
        {"system": "npsp", "date_order": "mdy"}, checks=_npsp_payments,
    ),
    Case(
        "zeffy_payments_methods.csv",
        {"Payment Date (America/New_York)": "date", "Total Amount": "amount",
         "Refund Amount": "refunded_amount", "Payment Status": "status",
         "Payment Method": "method", "Form Title": "campaign", "First Name": "first_name",
         "Last Name": "last_name", "Email": "email", "Postal Code": "postcode",
         "Receipt Number": "transaction_id"},
        {"new": 10, "invalid": 0, "refunds": 2, "refunds_to_link": 0, "failed": 1,
         "pending": 0, "new_donors": 9},
        {"system": "zeffy"}, checks=_zeffy,
    ),
    Case(
        "ppgf_donation_report.csv",
        {"Transaction ID": "transaction_id", "Donation Date": "date",
         "Program Name": "campaign", "Donor First Name": "first_name",
         "Donor Last Name": "last_name", "Donor Email": "email", "Donor Zip": "postcode",
         "Currency": "currency", "Gross Amount": "amount", "Transaction Type": "row_kind"},
        {"new": 5, "invalid": 0, "refunds": 2, "refunds_to_link": 1, "failed": 0,
         "pending": 0, "new_donors": 3},
        {"system": "ppgf"}, lambda ids: {"campaign_names": {"Protect Our Children": "new"}},
        _ppgf,
    ),
    Case(
        "bloomerang_transactions_wide.csv",
        {"Account Number": "external_id", "First Name": "first_name", "Last Name": "last_name",
         "Primary Email Address": "email", "Transaction Number": "transaction_id",
         "Date": "date", "Amount": "amount", "Method": "method",
         "Check Number": "cheque_number", "Fund": "fund", "Campaign": "campaign",
         "Appeal": "source", "Type": "row_kind", "Note": "comment"},
        {"new": 4, "invalid": 0, "refunds": 1, "refunds_to_link": 0, "failed": 0,
         "pending": 2, "new_donors": 3},
        {"system": "bloomerang", "date_order": "mdy"}, checks=_bloomerang,
    ),
    Case(
        "raisers_edge_nxt_gifts.csv",
        {"Gift ID": "transaction_id", "Gift date": "date", "Gift amount": "amount",
         "Gift type": "row_kind", "Payment method": "method", "Constituent ID": "external_id",
         "Constituent name": "full_name", "Email address": "email", "Fund": "fund",
         "Campaign": "campaign", "Appeal": "source"},
        {"new": 6, "invalid": 0, "refunds": 0, "refunds_to_link": 0, "failed": 0,
         "pending": 1, "new_donors": 5},
        {"system": "re-nxt", "date_order": "mdy"}, checks=_raisers_edge,
    ),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.file.split(".")[0])
def test_an_export_imports_to_the_source_systems_figures(case, db, upload, run_import, known):
    run_case(case, db, upload, run_import, known)


def test_the_footer_of_a_salesforce_report_is_refused_with_the_reason(db, upload, run_import,
                                                                      known):  # fmt: skip
    from tests.dataio.gift_corpus import CORPUS

    content = (CORPUS / "npsp_payments_report.csv").read_bytes()
    done = run_import(upload(content, kind="gifts", system="npsp", date_order="mdy"))
    reasons = {line: reason for line, reason, *_ in batches.rejections(done)}
    assert (reasons[5], reasons[8]) == ("No date.", "No date.")  # unpaid, written off
    assert all(reasons[line].startswith("No amount. No date.") for line in (12, 13, 14, 15))
    assert sorted(reasons) == [5, 8, 12, 13, 14, 15]
