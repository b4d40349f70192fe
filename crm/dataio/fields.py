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


def _key(header: str) -> str:
    text = fold(header).replace("(s)", "s")  # CiviCRM's "Note(s)"
    text = re.sub(r"['’]s\b", "", text)  # "Donor's First Name"
    text = re.sub(r"\b([a-z]+)(\d+)\b", r"\1 \2", text)  # "Contact1 First Name"
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


_INDEX: dict[str, list[str]] = {}
for _field, _names in _SYNONYMS.items():
    for _name in [_field, *_names]:
        for _k in {_key(_name), _key(_name).replace(" ", "")}:
            _INDEX.setdefault(_k, []).append(_field)

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


def _fields_for(key: str) -> list[str]:
    """The fields a header's key names: itself, then without qualifying words in front, or
    behind ("Email (Primary)"). A header that is a synonym of anything stops there, so
    "Contact Type" in a gift file does not become "Type" (the payment method)."""
    words = key.split()
    if len(words) > 1 and words[-1] in _TRAILING:
        return _fields_for(" ".join(words[:-1])) if not _INDEX.get(key) else _INDEX[key]
    while words:
        key = " ".join(words)
        fields = _INDEX.get(key) or _INDEX.get(key.replace(" ", ""))
        if fields:
            return fields
        if words[0] not in _QUALIFIERS:
            return []
        words = words[1:]
        if words and words[0].isdigit():
            words = words[1:]
    return []


# Gift files' own header names (Stripe, PayPal Giving Fund, Givebutter, Donorbox, Zeffy,
# Bloomerang, Little Green Light, CiviCRM, Salesforce NPSP), looked up before the shared ones:
# in a gift file "Id" is the payment's id, "Type" is the kind of row, not the method. None
# marks a header that must not be suggested for anything: "Net Amount" and "Deductible
# Amount" are not what the donor gave, a converted amount is in another currency.
_GIFT_SYNONYMS = {
    "transaction_id": ["id", "transaction id", "payment id", "charge id", "donation id",
                       "gift id", "lgl gift id", "contribution id", "opportunity id",
                       "transaction number", "transaction", "receipt number", "payment number",
                       "order id", "order number", "stripe charge id", "trxn id", "trxn",
                       "donation number", "record id"],
    "other_transaction_id": ["paypal transaction id", "paypal id", "paypal txn id",
                             "alternate transaction id", "secondary transaction id"],
    "original_transaction_id": ["original transaction id", "reference transaction id",
                                "reference txn id", "original charge id", "refunded charge id",
                                "refunded transaction id", "original payment id",
                                "original donation id", "parent transaction id",
                                "related transaction id", "original gift id", "source id",
                                "charge", "refund of"],
    "external_id": ["customer id", "donor id", "constituent id", "lgl constituent id",
                    "account number", "account id", "contact id", "supporter id",
                    "primary contact id", "donor number", "constituent number",
                    "primary contact contact id", "external contact id"],
    "email": ["customer email", "email", "email address", "donor email", "primary email",
              "primary email address", "payer email", "buyer email", "supporter email",
              "contact email", "billing email", "receipt email", "from email address",
              "from email"],
    "phone": ["phone", "phone number", "donor phone", "customer phone", "primary phone",
              "mobile", "mobile phone", "billing phone"],
    "first_name": ["first name", "donor first name", "donor s first name", "payer first name",
                   "billing first name", "customer first name", "contact first name"],
    "last_name": ["last name", "donor last name", "donor s last name", "payer last name",
                  "billing last name", "customer last name", "contact last name"],
    "full_name": ["name", "full name", "donor name", "donor s name", "customer name",
                  "customer description", "payer name", "primary contact",
                  "contact name", "constituent name", "display name", "billing name",
                  "supporter name"],
    "postcode": ["zip", "zip code", "postal code", "postcode", "post code", "billing zip",
                 "billing postal code", "zip postal code", "donor zip", "card address zip",
                 "mailing zip postal code"],
    "amount": ["amount", "gift amount", "donation amount", "total amount", "total",
               "amount received", "gross", "gross amount", "payment amount", "received amount",
               "contribution amount", "amount paid", "charge amount", "donated amount",
               "transaction amount", "amount usd"],
    "refunded_amount": ["amount refunded", "refunded amount", "refunded", "refund amount",
                        "refunds", "total refunded", "refunded usd", "is refunded",
                        "refunded yes no", "amount refunded usd"],
    "fee": ["fee", "fees", "processing fee", "fee amount", "transaction fee", "stripe fee",
            "paypal fee", "total fee", "total fees", "fee usd"],
    "status": ["status", "payment status", "transaction status", "donation status",
               "contribution status", "gift status", "stage", "stage name", "stagename",
               "opportunity stage", "charge status"],
    "row_kind": ["type", "transaction type", "gift type", "record type",
                 "opportunity type", "row type", "entry type", "kind"],
    "date": ["date", "created date utc", "created utc", "created date", "created",
             "created at", "transaction date utc", "transaction date", "payment date",
             "donation date", "gift date", "close date", "closedate", "receive date",
             "received date", "date received", "donated at", "date of gift",
             "contribution date", "paid at", "payment date utc", "donation date utc",
             "date utc", "date time", "datetime", "timestamp"],
    "method": ["method", "payment method", "payment type", "card brand", "pay method",
               "payment method type", "payment instrument", "tender", "payment source",
               "payment processor", "processor", "gateway", "card type", "instrument"],
    "campaign": ["campaign", "campaign name", "campaign title", "primary campaign source",
                 "primary campaign", "form", "form name", "form title",
                 "program name", "program", "fundraiser"],
    "fund": ["fund", "fund name", "designation", "designation name", "financial type",
             "fund description", "gl account", "restriction", "purpose", "allocation"],
    "source": ["source", "appeal", "appeal name", "appeal code", "source code",
               "contribution source", "lead source", "utm source", "solicitation"],
    "cheque_number": ["check number", "cheque number", "check no", "check num",
                      "check reference number", "payment check reference number",
                      "check cheque number", "check"],
    "in_kind_description": ["in kind description", "gift in kind description",
                            "in kind item"],
    "comment": ["comment", "comments", "note", "notes", "gift note", "gift notes", "memo",
                "message", "donor comment", "donor message", "note to charity", "donor note",
                "contribution note"],
    None: ["net", "net amount", "net total", "deductible amount", "non deductible amount",
           "converted amount", "converted amount refunded", "converted currency",
           "amount refunded converted", "fee covered", "covered fee", "payout", "payout amount",
           "payout id", "refunded date utc", "refunded date", "refund date", "captured",
           "decline reason", "seller message", "statement descriptor", "invoice id",
           "transfer", "card id", "card last4", "card fingerprint", "taxes on fee",
           "platform fee", "tax receipt number", "receipt id", "anonymous", "recurring",
           "amount in words", "account name", "household", "campaign code", "dedication",
           "tribute", "description", "opportunity name", "donation type", "to email address",
           "balance", "balance impact"],
    "currency": ["currency", "currency code", "iso currency", "transaction currency"],
}  # fmt: skip
_GIFT_INDEX = {_key(name): field for field, names in _GIFT_SYNONYMS.items() for name in names}
_GIFT_PREFIXES = ("donor s ", "donor ", "customer ", "contact ", "payer ", "billing ",
                  "primary ", "supporter ", "gift ", "donation ", "payment ")  # fmt: skip


def _gift_field(key: str) -> str | None:
    """A gift file's column: its own header names first, then the shared ones, then the
    same without a prefix such as "Donor's" or "Customer"."""
    for candidate in (key, key.replace(" ", "")):
        if candidate in _GIFT_INDEX:
            return _GIFT_INDEX[candidate]
    if _INDEX.get(key) or _INDEX.get(key.replace(" ", "")):
        # A header that names something else ("Contact Type") keeps its meaning, and is
        # not a gift's column behind a prefix ("Type").
        return next((f for f in _fields_for(key) if f in GIFT_FIELDS), None)
    for prefix in _GIFT_PREFIXES:
        if key.startswith(prefix) and key[len(prefix) :] in _GIFT_INDEX:
            return _GIFT_INDEX[key[len(prefix) :]]
    return next((f for f in _fields_for(key) if f in GIFT_FIELDS), None)


def suggest(kind: ImportKind, headers: list[str]) -> dict[str, str]:
    """Column index (as a string) -> field, each field used once, first column wins."""
    allowed = FIELDS[kind]
    keys = [_key(header) for header in headers]
    mailchimp = bool(_MAILCHIMP & set(keys))
    mapping, used = {}, set()
    for index, key in enumerate(keys):
        if mailchimp and key in _MAILCHIMP_GEO:
            continue
        if kind is ImportKind.GIFTS:
            field = _gift_field(key)
        else:
            field = next((f for f in _fields_for(key) if f in allowed), None)
        if field in allowed and field not in used:
            mapping[str(index)] = field
            used.add(field)
    return mapping


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
