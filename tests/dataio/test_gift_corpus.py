"""Gift exports of other donor systems and payment platforms (tests/dataio/corpus/gifts/),
each in its own header names, encoding and dialect, with refunds, failures and pending
payments, each with the source system's own figures beside it (gift_corpus.py runs them).
More exports, wide ones and re-saved ones, are in test_gift_corpus_wide.py."""

from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from crm.contacts.models import Contact, Note
from crm.donations.models import Campaign, CampaignStatus, Fund, PaymentMethod
from tests.dataio.gift_corpus import Case, gift, run_case


def _stripe_checks(db, ids):
    first = gift(db, "ch_3OaPx1")
    # 02:10 UTC on 5 March is still the 4th in New York
    assert first.received_at.astimezone(ZoneInfo("America/New_York")).date().isoformat() == (
        "2024-03-04"
    )
    assert (first.method, first.fee_cents) == (PaymentMethod.CARD, 175)
    assert gift(db, "ch_3OaPx5").method == PaymentMethod.OTHER  # no card brand: not cash
    assert gift(db, "ch_3OaPx5").contact_id == first.contact_id == ids["ann"]
    assert gift(db, "ch_3OaPx2").status.value == "refunded"
    assert gift(db, "ch_3OaPx3").status.value == "partially_refunded"


def _ppgf_checks(db, ids):
    assert gift(db, "9PG01").status.value == "refunded"
    assert (gift(db, "9PG07").refunded_cents, gift(db, "9PG07").status.value) == (
        1000,
        "partially_refunded",
    )
    zoe = db.session.get(Contact, gift(db, "9PG02").contact_id)
    assert (zoe.first_name, zoe.last_name, zoe.email) == ("Zoë", "Brontë", None)
    assert gift(db, "9PG03").contact_id == zoe.id  # the same name and ZIP: one donor


def _paypal_checks(db, ids):
    assert gift(db, "1AB00001").status.value == "refunded"  # by the refund row
    assert gift(db, "1AB00004").status.value == "refunded"  # by its own status
    assert gift(db, "1AB00001").fee_cents == 175


def _givebutter_checks(db, ids):
    luis = gift(db, "GB-1002")
    assert luis.contact_id == gift(db, "GB-1003").contact_id == ids["luis"]  # by phone
    assert (luis.method, gift(db, "GB-1003").method) == (PaymentMethod.ONLINE, PaymentMethod.CARD)
    created = db.session.scalar(select(Campaign).where(Campaign.name == "Back to School Drive"))
    assert created.status == CampaignStatus.DRAFT and gift(db, "GB-1003").campaign_id == created.id
    assert gift(db, "GB-1001").comment == "Thank you\nfor all you do"
    long = gift(db, "GB-1006")
    assert len(long.comment) <= 1000
    note = db.session.scalar(select(Note).where(Note.contact_id == long.contact_id))
    assert "We met your trainers" in note.body and len(note.body) > 1500


def _civicrm_checks(db, ids):
    assert gift(db, "3001").fund_id == ids["general"]
    assert db.session.get(Fund, gift(db, "3002").fund_id).name == "Member Dues"
    assert gift(db, "3007").status.value == "refunded"  # a chargeback gives the money back


def _bloomerang_checks(db, ids):
    assert gift(db, "T-9001").cheque_number == "4521"
    assert gift(db, "T-9004").contact_id == ids["ann"]
    assert gift(db, "T-9005").method == PaymentMethod.IN_KIND
    assert gift(db, "T-9006").method == PaymentMethod.OTHER
    kofi = db.session.get(Contact, gift(db, "T-9003").contact_id)
    assert (kofi.first_name, kofi.phone, kofi.email) == ("Kofi", "+17735550199", None)


def _npsp_checks(db, ids):
    nia = db.session.get(Contact, gift(db, "0065e00000AAA01").contact_id)
    assert (nia.first_name, nia.last_name) == ("Nia", "Okafor")  # not "Okafor Household"
    assert gift(db, "0065e00000AAA05").method == PaymentMethod.IN_KIND


CASES = [
    Case(
        "stripe_unified_payments.csv",
        {"id": "transaction_id", "Created date (UTC)": "date", "Amount": "amount",
         "Amount Refunded": "refunded_amount", "Currency": "currency", "Fee": "fee",
         "Status": "status", "Customer ID": "external_id", "Customer Description": "full_name",
         "Customer Email": "email", "Card Brand": "method"},
        {"new": 5, "invalid": 0, "refunds": 3, "failed": 2, "pending": 1, "new_donors": 3},
        {"system": "stripe"}, checks=_stripe_checks,
    ),
    Case(
        "paypal_giving_fund.csv",
        {"Donation Date": "date", "Transaction ID": "transaction_id",
         "Original Transaction ID": "original_transaction_id", "Donor's First Name": "first_name",
         "Donor's Last Name": "last_name", "Donor's Email": "email", "Donor's Zip": "postcode",
         "Currency": "currency", "Amount": "amount", "Status": "status"},
        {"new": 4, "invalid": 0, "refunds": 2, "failed": 1, "pending": 1, "new_donors": 3},
        {"system": "ppgf"}, checks=_ppgf_checks,
    ),
    Case(
        "paypal_activity.csv",
        {"Date": "date", "Name": "full_name", "Type": "row_kind", "Status": "status",
         "Currency": "currency", "Gross": "amount", "Fee": "fee",
         "From Email Address": "email", "Transaction ID": "transaction_id",
         "Reference Txn ID": "original_transaction_id", "Note": "comment"},
        {"new": 3, "invalid": 1, "refunds": 2, "failed": 1, "pending": 1, "new_donors": 2},
        {"system": "paypal", "date_order": "mdy"}, checks=_paypal_checks,
    ),
    Case(
        "givebutter_transactions.csv",
        {"Transaction ID": "transaction_id", "Campaign Title": "campaign",
         "Contact ID": "external_id", "First Name": "first_name", "Last Name": "last_name",
         "Email": "email", "Phone": "phone", "Zip Code": "postcode", "Amount": "amount",
         "Fee": "fee", "Method": "method", "Status": "status",
         "Transaction Date (UTC)": "date", "Message": "comment"},
        {"new": 6, "invalid": 0, "refunds": 1, "failed": 1, "pending": 0, "new_donors": 4},
        {"system": "givebutter"},
        names=lambda ids: {"campaign_names": {"Back to School Drive": "new"}},
        checks=_givebutter_checks,
    ),
    Case(
        "donorbox_donations.csv",
        {"Name": "full_name", "Donor First Name": "first_name", "Donor Last Name": "last_name",
         "Donor Email": "email", "Campaign": "campaign", "Amount": "amount",
         "Currency": "currency", "Processing Fee": "fee", "Donor Comment": "comment",
         "Donated At": "date", "Designation": "fund", "Card Type": "method",
         "Stripe Charge Id": "transaction_id", "Paypal Transaction Id": "other_transaction_id",
         "Status": "status"},
        {"new": 4, "invalid": 0, "refunds": 1, "failed": 1, "pending": 0, "new_donors": 3},
        {"system": "donorbox"},
    ),
    Case(
        "zeffy_payments.csv",
        {"Payment Date": "date", "Receipt Number": "transaction_id", "First Name": "first_name",
         "Last Name": "last_name", "Email": "email", "Postal Code": "postcode",
         "Total Amount": "amount", "Refund Amount": "refunded_amount",
         "Payment Status": "status", "Payment Method": "method",
         "Note to Charity": "comment"},  # "Form Title" is empty: not suggested
        {"new": 5, "invalid": 0, "refunds": 2, "failed": 1, "pending": 0, "new_donors": 4},
        {"system": "zeffy"},
    ),
    Case(
        "bloomerang_transactions.csv",
        {"Account Number": "external_id", "First Name": "first_name", "Last Name": "last_name",
         "Primary Email Address": "email", "Primary Phone Number": "phone",
         "Transaction Number": "transaction_id", "Date": "date", "Amount": "amount",
         "Method": "method", "Check Number": "cheque_number", "Fund": "fund",
         "Appeal": "source", "Type": "row_kind", "Note": "comment"},
        {"new": 5, "invalid": 0, "refunds": 0, "failed": 0, "pending": 1, "new_donors": 4},
        {"system": "bloomerang", "date_order": "mdy"}, checks=_bloomerang_checks,
    ),
    Case(
        "lgl_gifts.tsv",
        {"LGL Gift ID": "transaction_id", "LGL Constituent ID": "external_id",
         "First Name": "first_name", "Last Name": "last_name", "Email": "email",
         "Gift Date": "date", "Gift Amount": "amount", "Payment Type": "method",
         "Check Number": "cheque_number", "Gift Type": "row_kind", "Campaign": "campaign",
         "Fund": "fund", "Appeal": "source", "Gift Note": "comment"},
        {"new": 3, "invalid": 0, "refunds": 0, "failed": 0, "pending": 1, "new_donors": 3},
        {"system": "lgl"},
    ),
    Case(
        "civicrm_contributions.csv",
        {"Contact ID": "external_id", "Contribution ID": "transaction_id",
         "First Name": "first_name", "Last Name": "last_name", "Email": "email",
         "Financial Type": "fund", "Total Amount": "amount", "Fee Amount": "fee",
         "Date Received": "date", "Payment Method": "method",
         "Contribution Status": "status", "Check Number": "cheque_number",
         "Contribution Source": "source"},
        {"new": 5, "invalid": 0, "refunds": 2, "failed": 2, "pending": 2, "new_donors": 4},
        {"system": "civicrm"},
        names=lambda ids: {"fund_names": {"Donation": str(ids["general"]), "Member Dues": "new"}},
        checks=_civicrm_checks,
    ),
    Case(
        "npsp_opportunities.csv",
        {"Opportunity ID": "transaction_id", "Primary Contact": "full_name",
         "Contact ID": "external_id", "Email": "email", "Amount": "amount",
         "Close Date": "date", "Stage": "status", "Type": "row_kind",
         "Primary Campaign Source": "campaign", "Payment Method": "method",
         "Payment Check/Reference Number": "cheque_number"},
        {"new": 3, "invalid": 0, "refunds": 0, "failed": 1, "pending": 2, "new_donors": 2},
        {"system": "npsp", "date_order": "mdy"}, checks=_npsp_checks,
    ),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.file.split(".")[0])
def test_an_export_imports_to_the_source_systems_figures(case, db, upload, run_import, known):
    run_case(case, db, upload, run_import, known)
