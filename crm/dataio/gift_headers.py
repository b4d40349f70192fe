"""A gift file's own header names (Stripe, PayPal Giving Fund, Givebutter, Donorbox, Zeffy,
Bloomerang, Little Green Light, CiviCRM, Salesforce NPSP), read before the names gift and
contact files share, and the fields they name."""

from crm.dataio.fields import (
    EXACT,
    GIFT_FIELDS,
    LOOSE,
    LOOSE_NAMES,
    PLAIN,
    QUALIFIED,
    SHARED_INDEX,
    contact_candidates,
    header_key,
    qualified_fields,
)

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
                       "donation number", "record id", "receipt id", "donation receipt id",
                       "reference number", "confirmation number", "confirmation code"],
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
             "date utc", "date time", "datetime", "timestamp", "transacted at",
             "transaction time", "received at", "received on", "date paid", "paid on",
             "paid date", "date of payment", "payment received date", "charge date",
             "charged at", "donation received date", "gift received date", "date donated"],
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
                      "check reference no",
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
           "platform fee", "tax receipt number", "anonymous", "recurring",
           "amount in words", "account name", "household", "campaign code", "dedication",
           "tribute", "description", "opportunity name", "donation type", "to email address",
           "balance", "balance impact", "modified", "modified date", "modified at",
           "date modified", "last modified", "last modified date", "updated", "updated at",
           "date updated", "last updated", "last update", "modified date utc",
           "updated at utc", "created by", "modified by", "eligible amount",
           "tax deductible amount", "receipt amount"],
    "currency": ["currency", "currency code", "iso currency", "transaction currency"],
}  # fmt: skip
_GIFT_INDEX = {header_key(name): field for field, names in _GIFT_SYNONYMS.items() for name in names}
_GIFT_PREFIXES = ("donor s ", "donor ", "customer ", "contact ", "payer ", "billing ",
                  "primary ", "supporter ", "gift ", "donation ", "payment ")  # fmt: skip


# Words in front of a gift file's header that say it is about the person rather than the
# gift: "Contact Created Date" is when the contact was made, never the gift's date.
_PERSON_WORDS = {"donor", "donors", "contact", "customer", "constituent", "supporter",
                 "member", "account", "payer", "billing", "person", "individual",
                 "household"}  # fmt: skip
PERSON_FIELDS = {"external_id", "email", "phone", "first_name", "last_name", "full_name",
                 "postcode"}  # fmt: skip


def _about_the_person(words: str, field: str) -> bool:
    return words.split()[0] in _PERSON_WORDS and field not in PERSON_FIELDS


def gift_candidates(header: str) -> list[tuple[str, int]]:
    """The field a gift file's column names, with how exactly: the file's own header names
    first, then the shared ones, then the same without a prefix such as "Donor's"."""
    key = header_key(header)
    for candidate in (key, key.replace(" ", "")):
        if candidate in _GIFT_INDEX:
            field = _GIFT_INDEX[candidate]
            if field is None:
                return []
            exact = LOOSE if key in LOOSE_NAMES.get(field, ()) else EXACT if " " in key else PLAIN
            return [(field, exact)]
    if SHARED_INDEX.get(key) or SHARED_INDEX.get(key.replace(" ", "")):
        # A header that names something else ("Contact Type") keeps its meaning, and is
        # not a gift's column behind a prefix ("Type").
        return [(f, s) for f, s in contact_candidates(key) if f in GIFT_FIELDS][:1]
    for prefix in _GIFT_PREFIXES:
        if key.startswith(prefix) and key[len(prefix) :] in _GIFT_INDEX:
            field = _GIFT_INDEX[key[len(prefix) :]]
            if field is None or _about_the_person(prefix, field):
                return []
            return [(field, QUALIFIED)]
    fields = [f for f in qualified_fields(key) if f in GIFT_FIELDS]
    if not fields or _about_the_person(key, fields[0]):
        return []
    return [(fields[0], QUALIFIED)]
