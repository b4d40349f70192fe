"""The fields a file's columns can map to, and the header names other donor systems use
for them (Salesforce NPSP, Raiser's Edge, Bloomerang, DonorPerfect, Little Green Light,
CiviCRM, Mailchimp, Givebutter, Donorbox, PayPal and spreadsheets people made themselves)."""

import re

from crm.contacts.normalise import fold
from crm.dataio.models import ImportKind

CONTACT_FIELDS = {
    "external_id": "Id in the other system",
    "first_name": "First name",
    "last_name": "Last name",
    "full_name": "Full name (split into first and last)",
    "preferred_name": "Preferred name",
    "email": "Email",
    "phone": "Phone",
    "address_line1": "Address line 1",
    "address_line2": "Address line 2",
    "city": "City",
    "region": "State or region",
    "postcode": "ZIP or postcode",
    "country": "Country (2-letter code)",
    "email_opt_in": "Email opt-in (yes/no)",
    "consent_date": "Date of email consent",
    "do_not_contact": "Do not contact (yes/no)",
    "tags": "Tags (separated by ; or ,)",
    "birth_date": "Date of birth",
    "notes": "Note (added to the contact's notes)",
    "organisation": "Organisation, company or employer",
    "contact_type": "Person or organisation (e.g. Individual / Organization)",
}
GIFT_FIELDS = {
    "transaction_id": "Transaction id in the other system",
    "other_transaction_id": "Second transaction id (e.g. PayPal's)",
    "original_transaction_id": "Refunded gift's transaction id",
    "external_id": "Donor's id in the other system",
    "email": "Donor's email",
    "phone": "Donor's phone",
    "first_name": "Donor's first name",
    "last_name": "Donor's last name",
    "full_name": "Donor's full name (split into first and last)",
    "postcode": "Donor's ZIP or postcode",
    "amount": "Amount (negative for a refund)",
    "refunded_amount": "Amount refunded",
    "fee": "Processing fee",
    "currency": "Currency (3-letter code)",
    "status": "Payment status",
    "row_kind": "Kind of row (gift, refund, pledge)",
    "date": "Date received",
    "method": "Payment method",
    "campaign": "Campaign (by name)",
    "fund": "Fund (by name)",
    "source": "Source or appeal code",
    "cheque_number": "Cheque number",
    "in_kind_description": "In-kind description",
    "comment": "Comment",
}
FIELDS = {ImportKind.CONTACTS: CONTACT_FIELDS, ImportKind.GIFTS: GIFT_FIELDS}

# Header names, compared without case, accents, spaces or punctuation.
_SYNONYMS = {
    "external_id": ["id", "constituent id", "constituentid", "account number", "account id",
                    "contact id", "donor id", "donorid", "record id", "lgl constituent id",
                    "external id", "legacy id", "supporter id", "civicrm id", "crm id",
                    "external identifier", "external constituent id", "account no"],
    "first_name": ["first name", "firstname", "first", "given name", "forename", "fname",
                   "contact first name", "donor first name", "prenom"],
    "last_name": ["last name", "lastname", "last", "surname", "family name", "lname",
                  "contact last name", "donor last name", "nom"],
    "full_name": ["name", "full name", "fullname", "contact name", "donor name",
                  "display name", "addressee", "supporter name"],
    "preferred_name": ["preferred name", "nickname", "nick name", "known as", "informal name",
                       "goes by"],
    "email": ["email", "e-mail", "email address", "e-mail address", "primary email",
              "preferred email", "email 1", "personal email", "home email", "work email",
              "donor email", "contact email", "emailaddress", "courriel"],
    "phone": ["phone", "phone number", "telephone", "tel", "mobile", "mobile phone", "cell",
              "cell phone", "home phone", "primary phone", "preferred phone", "phone 1",
              "work phone", "telephone number", "phone no", "mobile phone number",
              "cell phone number", "mobile number"],
    "address_line1": ["address", "address 1", "address line 1", "street", "street address",
                      "mailing street", "address1", "addr1", "address line1", "home street",
                      "street 1", "street line 1"],
    "address_line2": ["address 2", "address line 2", "address2", "addr2", "apartment",
                      "suite", "address line2", "supplemental address 1", "street 2",
                      "street line 2"],
    "city": ["city", "town", "mailing city", "city town", "locality", "home city"],
    "region": ["state", "region", "province", "county", "state province", "mailing state",
               "mailing state province", "st", "state region", "state province region"],
    "postcode": ["zip", "zip code", "zipcode", "postcode", "postal code", "post code",
                 "mailing zip", "mailing zip postal code", "zip postal code", "postal",
                 "zip code postal code", "postal zip code", "postal zip"],
    "country": ["country", "country code", "mailing country", "nation"],
    "email_opt_in": ["email opt in", "opt in", "optin", "subscribed", "newsletter",
                     "email subscribed", "marketing opt in", "accepts marketing",
                     "email consent", "can email", "email subscription status",
                     "email subscription", "subscription status"],
    "consent_date": ["opt in date", "consent date", "subscribed date", "date subscribed",
                     "optin time", "confirm time"],
    "do_not_contact": ["do not contact", "do not email", "donotcontact", "no contact",
                       "do not solicit", "deceased"],
    "tags": ["tags", "groups", "segments", "lists", "categories", "constituent codes",
             "tag", "group"],
    "birth_date": ["birth date", "birthdate", "date of birth", "dob", "birthday",
                   "born", "birth day"],
    "notes": ["notes", "note", "contact notes", "constituent notes", "comments",
              "description", "background", "comment"],
    "organisation": ["organisation", "organization", "organisation name", "organization name",
                     "company", "company name", "employer", "employer name", "account name",
                     "current employer", "business name", "org name", "organization legal name",
                     "affiliation", "primary affiliation", "company organization"],
    "contact_type": ["contact type", "type", "constituent type", "record type", "donor type",
                     "account type", "entity type", "individual or organization",
                     "is organization", "is org"],
    "transaction_id": ["transaction id", "gift id", "donation id", "payment id",
                       "receipt id", "opportunity id", "txn id", "charge id", "reference",
                       "transaction number", "gift number"],
    "amount": ["amount", "gift amount", "donation amount", "total", "total amount",
               "amount received", "gross", "gross amount", "net amount", "payment amount",
               "value"],
    "date": ["date", "gift date", "donation date", "close date", "received date",
             "date received", "payment date", "transaction date", "created", "created at",
             "date of gift"],
    "method": ["method", "payment method", "payment type", "gift type", "pay method",
               "payment", "tender", "type"],
    "campaign": ["campaign", "campaign name", "primary campaign source", "campaign title"],
    "fund": ["fund", "fund name", "fund description", "designation", "gl account",
             "restriction", "purpose"],
    "source": ["source", "appeal", "appeal id", "appeal code", "source code",
               "solicitation", "utm source"],
    "cheque_number": ["check number", "cheque number", "check no", "check", "cheque",
                      "check num"],
    "in_kind_description": ["in kind description", "description", "gift description",
                            "item"],
    "comment": ["comment", "comments", "note", "notes", "memo", "message"],
}  # fmt: skip


def header_key(header: str) -> str:
    text = fold(header).replace("(s)", "s")  # CiviCRM's "Note(s)"
    text = re.sub(r"['’]s\b", "", text)  # "Donor's First Name"
    text = re.sub(r"\b([a-z]+)(\d+)\b", r"\1 \2", text)  # "Contact1 First Name"
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


SHARED_INDEX: dict[str, list[str]] = {}
for _field, _names in _SYNONYMS.items():
    for _name in [_field, *_names]:
        for _k in {header_key(_name), header_key(_name).replace(" ", "")}:
            SHARED_INDEX.setdefault(_k, []).append(_field)

# Words that only say whose or which value a column holds ("Primary Email", "Donor Email",
# "Contact1 First Name", "Pref. Phone", "Address 1 - Street", "Givebutter Contact ID"):
# a header that is no synonym is tried again without them, from the left.
_QUALIFIERS = {"donor", "donors", "contact", "primary", "home", "billing", "mailing", "main",
               "preferred", "pref", "personal", "member", "constituent", "supporter",
               "default", "address", "addr", "account", "person", "individual", "your",
               "bloomerang", "givebutter", "donorbox", "zeffy", "lgl", "civicrm", "salesforce",
               "npsp", "mailchimp"}  # fmt: skip
_TRAILING = {"primary", "home", "main", "preferred", "personal"}
# Mailchimp adds columns about the subscriber's device and where their IP address is
# ("REGION", "CC"), which are not their postal address; these name a Mailchimp export.
_MAILCHIMP = {"member rating", "leid", "euid", "optin ip", "confirm ip"}
_MAILCHIMP_GEO = {"region", "cc", "latitude", "longitude", "timezone", "gmtoff", "dstoff"}


def qualified_fields(key: str) -> list[str]:
    """The fields a header's key names: itself, then without qualifying words in front, or
    behind ("Email (Primary)"). A header that is a synonym of anything stops there, so
    "Contact Type" in a gift file does not become "Type" (the payment method)."""
    words = key.split()
    if len(words) > 1 and words[-1] in _TRAILING:
        return (
            qualified_fields(" ".join(words[:-1]))
            if not SHARED_INDEX.get(key)
            else SHARED_INDEX[key]
        )
    while words:
        key = " ".join(words)
        fields = SHARED_INDEX.get(key) or SHARED_INDEX.get(key.replace(" ", ""))
        if fields:
            return fields
        if words[0] not in _QUALIFIERS:
            return []
        words = words[1:]
        if words and words[0].isdigit():
            words = words[1:]
    return []


# How exactly a header names a field; where two columns could be one field, the one that
# names it more exactly wins wherever it stands.
EXACT = 4  # a gift file's own name of several words: "Date Received", "Transaction ID"
PLAIN = 3  # a name of its own: "Date", "Email"
QUALIFIED = 2  # a name behind words that say whose it is: "Donor Email", "Email (Primary)"
LOOSE = 1  # a name that fits when nothing names the field better
LOOSE_NAMES = {
    # "Created Date" is often the contact's creation in an export of many columns.
    "date": {"created", "created at", "created date", "created utc", "created date utc",
             "date time", "datetime", "timestamp", "date utc"},
    "amount": {"total", "value"},
    "transaction_id": {"reference", "record id", "transaction"},
}  # fmt: skip


# Words that make a name one of several of its kind ("Work Email", "Mobile"): the plain
# name ("Email", "Phone") names the field more exactly.
_VARIANT = {"work", "home", "mobile", "cell", "business", "office", "other", "alternate",
            "secondary", "personal", "2", "3"}  # fmt: skip


def contact_candidates(key: str) -> list[tuple[str, int]]:
    direct = SHARED_INDEX.get(key) or SHARED_INDEX.get(key.replace(" ", ""))
    if direct:
        exact = QUALIFIED if _VARIANT & set(key.split()) else PLAIN
        return [(f, LOOSE if key in LOOSE_NAMES.get(f, ()) else exact) for f in direct]
    return [(f, QUALIFIED) for f in qualified_fields(key)]


def candidates_of_contact(header: str) -> list[tuple[str, int]]:
    """The contact fields a column's header may name, each with how exactly it names it."""
    return [(f, s) for f, s in contact_candidates(header_key(header)) if f in CONTACT_FIELDS]


def is_mailchimp_geo(headers: list[str]) -> list[bool]:
    """Which columns are Mailchimp's notes of where a subscriber's IP address was."""
    keys = [header_key(header) for header in headers]
    mailchimp = bool(_MAILCHIMP & set(keys))
    return [mailchimp and key in _MAILCHIMP_GEO for key in keys]


# Columns that find a gift's donor (a refund row finds its gift, and the gift its donor).
DONOR_FIELDS = {"email", "external_id", "phone", "first_name", "last_name", "full_name",
                "original_transaction_id"}  # fmt: skip


def mapping_problems(kind: ImportKind, mapping: dict[str, str]) -> list[str]:
    fields = list(mapping.values())
    problems = [f"“{FIELDS[kind][f]}” is chosen for more than one column."
                for f in sorted(set(fields)) if fields.count(f) > 1]  # fmt: skip
    if kind is ImportKind.CONTACTS:
        if not {"first_name", "last_name", "full_name", "email", "organisation"} & set(fields):
            problems.append(
                "Choose the column with the names (first, last or full name), the email "
                "or the organisation."
            )
    else:
        for needed, label in (("amount", "the amount"), ("date", "the date")):
            if needed not in fields:
                problems.append(f"Choose the column with {label}.")
        if not DONOR_FIELDS & set(fields):
            problems.append("Choose the column with the donor's email, phone, name or id in "
                            "the other system, so gifts find their donor.")  # fmt: skip
    return problems
