"""Reading one row of a gift file: what it says about the money (a gift, a gift partly or
wholly refunded, a refund of an earlier gift, or a failed or pending payment that is no money
at all), when and how it was paid, and who gave it."""

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app

from crm.contacts.normalise import fold
from crm.dataio import fastnorm
from crm.dataio.csvfile import width_problem
from crm.dataio.gift_donors import read_donor
from crm.dataio.gift_names import MAX_NAMES
from crm.dataio.gift_words import Outcome, RowKind, parse_kind, parse_status
from crm.dataio.values import ValueProblem, parse_bool, parse_date, parse_method, parse_money
from crm.donations.models import PaymentMethod
from crm.payments.money import format_money

LIMITS = {
    "source": 60,
    "cheque_number": 40,
    "in_kind_description": 500,
    "transaction_id": 120,
    "original_transaction_id": 120,
    "external_id": 120,
    "first_name": 100,
    "last_name": 100,
    "full_name": 200,
    "postcode": 20,
}
COMMENT_LIMIT = 1000  # the gift's comment; a longer one is kept whole in a note on the donor
_OTHER = PaymentMethod.OTHER
METHOD_DETAIL_LIMIT = 100  # another system's word for a method with no name here
# What else tells two gifts of one donor on one day apart, for rows without an id.
_IDENTIFYING = ("campaign", "fund", "method", "source", "cheque_number",
                "original_transaction_id")  # fmt: skip


@dataclass
class GiftRow:
    line: int
    cells: list[str]
    raw: dict
    data: dict = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    kind: str = "gift"  # "gift", "refund" (of an earlier gift) or "skip" (no money)
    skip: str | None = None  # why a skipped row is not money: "failed" or "pending"
    reason: str = ""  # the sentence for the rows-left-out file
    refund_cents: int = 0  # a gift: how much of it was given back; a refund row: the refund
    original: str | None = None  # a refund row: the refunded gift's transaction id
    fingerprint: str = ""  # what the row says of the money, for a row without an id
    key: str = ""  # the id the import keeps it by: its transaction id, or one made of it
    note: str | None = None  # a comment too long for the gift, kept whole
    email_key: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    postcode_key: str | None = None

    @property
    def name_key(self) -> str:
        return fastnorm.fold_join(self.first_name, self.last_name)

    def donor_keys(self) -> list[tuple[str, str]]:
        """How this donor is found, strongest first, as contact imports find people; a name
        alone finds only the same name alone earlier in this file, never a contact already
        here (two people share names)."""
        keys = []
        if self.raw.get("external_id"):
            keys.append(("external", self.raw["external_id"]))
        if self.email_key:
            keys.append(("email", self.email_key))
        if self.phone:
            keys.append(("phone", self.phone))
        if self.name_key and self.postcode_key:
            keys.append(("name", f"{self.postcode_key[:20]}|{self.name_key}"))
        elif self.name_key and not keys:
            # Only for rows with nothing but a name: a row with its own email is someone
            # else than a same-named person with another email.
            keys.append(("file_name", self.name_key))
        return keys


def header_zone(header: str) -> tzinfo | None:
    """The zone a date column's header says its times without a zone are in: "Created date
    (UTC)", "Payment Date (America/New_York)"."""
    if re.search(r"\b(utc|gmt)\b", fold(header)):
        return UTC
    named = re.search(r"\(([A-Za-z_]+/[A-Za-z_/+-]+)\)", header)
    if named:
        try:
            return ZoneInfo(named[1])
        except (ZoneInfoNotFoundError, ValueError):
            return None
    return None


class RowReader:
    """Reads rows against the batch's options and the organisation's zone and currency."""

    def __init__(self, batch, campaigns: dict[str, int], funds: dict[str, int],
                 fund_of: dict[int, int | None]):  # fmt: skip
        self.columns = [(int(i), f) for i, f in batch.mapping.items() if f]
        self.width = len(batch.headers)
        self.date_order = batch.options.get("date_order", "")
        self.system = batch.options.get("system") or "import"
        self.zone = ZoneInfo(current_app.config["ORG_TIMEZONE"])
        self.currency = current_app.config["CURRENCY"]
        self.region = current_app.config["DEFAULT_PHONE_REGION"]
        self.campaigns, self.funds, self.fund_of = campaigns, funds, fund_of
        self.unknown: dict[str, dict[str, str]] = {}  # names that match nothing, by kind
        date_header = next((batch.headers[i] for i, f in self.columns if f == "date"), "")
        self.assume = header_zone(date_header)

    def read(self, line: int, cells: list[str]) -> GiftRow:
        raw = {name: (cells[i].strip() if i < len(cells) else "") for i, name in self.columns}
        if not raw.get("transaction_id") and raw.get("other_transaction_id"):
            raw["transaction_id"] = raw["other_transaction_id"]  # Donorbox: Stripe or PayPal
        row = GiftRow(line, cells, raw)
        if shifted := width_problem(cells, self.width):
            row.problems.append(shifted)
            return row
        outcome = self._outcome(row)
        if row.skip:
            return row
        for name, limit in LIMITS.items():
            if len(raw.get(name, "")) > limit:
                row.problems.append(
                    f"The {name.replace('_', ' ')} is longer than {limit} characters."
                )
        self._money(row, outcome)
        self._when_and_how(row)
        if row.kind == "refund":
            # A refund row finds its gift by the gift's transaction id, else through the
            # donor (the end of the import matches it); it needs neither to count.
            row.original = raw.get("original_transaction_id") or None
            self._links(row, strict=False)
            read = len(row.problems)
            read_donor(row, self.region, needed=False)
            if row.original:
                del row.problems[read:]  # the gift it names is what matters
        else:
            self._links(row)
            read_donor(row, self.region)
        if not row.problems:
            row.fingerprint = self._fingerprint(row)
        return row

    def _fingerprint(self, row: GiftRow) -> str:
        """What identifies a row that has no transaction id: the donor, the day, the amount
        and how and for what it was given; not its status, refund or fee, which a newer
        export of the same gift may tell otherwise."""
        raw, when = row.raw, row.data.get("received_at")
        amount = -row.refund_cents if row.kind == "refund" else row.data["amount_cents"]
        parts = [row.kind, when.date().isoformat() if when else "", str(amount),
                 raw.get("external_id", ""), row.email_key or "", row.phone or "",
                 row.name_key, row.postcode_key or "",
                 *(fold(raw.get(name, "")) for name in _IDENTIFYING)]  # fmt: skip
        return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=12).hexdigest()

    def money(self, cents: int) -> str:
        return format_money(cents, self.currency)

    def _outcome(self, row: GiftRow) -> Outcome | None:
        raw, outcome, kind = row.raw, None, None
        try:
            outcome = parse_status(raw.get("status", ""))
        except ValueProblem as exc:
            row.problems.append(str(exc))
        try:
            kind = parse_kind(raw.get("row_kind", ""))
        except ValueProblem as exc:
            row.problems.append(str(exc))
        if row.problems:
            return None
        if outcome is Outcome.FAILED:
            row.kind, row.skip = "skip", "failed"
            row.reason = (f"Not imported: the payment did not go through (“{raw['status']}”), "
                          "so no money was received.")  # fmt: skip
        elif outcome is Outcome.PENDING:
            row.kind, row.skip = "skip", "pending"
            row.reason = (f"Not imported yet: the payment is “{raw['status']}”, not received. "
                          "Import a newer export once it has gone through; gifts already "
                          "imported are not added twice.")  # fmt: skip
        elif kind is RowKind.PLEDGE:
            row.kind, row.skip = "skip", "pending"
            row.reason = (f"Not imported: “{raw['row_kind']}” is a promise to give, not money "
                          "received; its payments are imported as gifts.")  # fmt: skip
        elif kind is RowKind.REFUND:
            row.kind = "refund"
        if kind is RowKind.IN_KIND and parse_method(raw.get("method", "")) == (_OTHER, None):
            raw["method"] = "in kind"  # goods given: "Other" or no method is in kind
        return outcome

    def _money(self, row: GiftRow, outcome: Outcome | None) -> None:
        raw, data = row.raw, row.data
        if not raw.get("amount"):
            row.problems.append("No amount.")
            return
        try:
            amount = parse_money(raw["amount"])
        except ValueProblem as exc:
            row.problems.append(str(exc))
            return
        if self._other_currency(row):
            return
        if amount < 0 or row.kind == "refund":
            # A refund row: the money given back of an earlier gift, not a gift of its own.
            row.kind, row.refund_cents = "refund", abs(amount)
            if amount == 0:
                row.problems.append(f"“{raw['amount']}” is not more than zero.")
            return
        if amount == 0:
            row.problems.append(f"“{raw['amount']}” is not more than zero.")
            return
        data["amount_cents"] = amount
        row.refund_cents = self._refunded(row, amount, outcome)
        if raw.get("fee"):
            try:
                fee = abs(parse_money(raw["fee"]))
            except ValueProblem as exc:
                row.problems.append(str(exc))
            else:
                if fee > amount:
                    row.problems.append(f"The fee {raw['fee']} is more than the gift.")
                data["fee_cents"] = fee

    def _other_currency(self, row: GiftRow) -> bool:
        code = row.raw.get("currency", "").upper()
        if code and code != self.currency:
            row.problems.append(
                f"The gift is in {code}; this CRM keeps gifts in {self.currency}. Import "
                f"the {code} gifts converted, or record them by hand."
            )
            return True
        return False

    def _refunded(self, row: GiftRow, amount: int, outcome: Outcome | None) -> int:
        """How much of the gift was given back: the refunded-amount column (an amount, or
        yes/no), else the whole gift when the status says refunded."""
        text = row.raw.get("refunded_amount", "")
        refunded = 0
        if text:
            try:
                refunded = amount if parse_bool(text) else 0
            except ValueProblem:
                try:
                    refunded = abs(parse_money(text))
                except ValueProblem as exc:
                    row.problems.append(str(exc))
                    return 0
        if refunded > amount:
            row.problems.append(
                f"The amount refunded ({text}) is more than the gift ({row.raw['amount']})."
            )
            return 0
        if not refunded and outcome is Outcome.REFUNDED:
            return amount
        if not refunded and outcome is Outcome.PARTLY_REFUNDED:
            row.problems.append(
                f"The gift is “{row.raw['status']}” but the file does not say how much was "
                "given back: map the column with the amount refunded."
            )
        return refunded

    def _when_and_how(self, row: GiftRow) -> None:
        raw, data = row.raw, row.data
        if row.kind == "refund" and not raw.get("date"):
            return  # a refund without its day is recorded as of the import
        try:
            day = parse_date(raw.get("date", ""), self.date_order, self.zone, self.assume)
            local = datetime(day.year, day.month, day.day, 12, tzinfo=self.zone)
            data["received_at"] = local.astimezone(UTC)
        except ValueProblem as exc:
            row.problems.append(str(exc) if raw.get("date") else "No date.")
        if row.kind == "refund":
            return
        data["method"], data["method_detail"] = parse_method(raw.get("method", ""))
        if data["method_detail"] and len(data["method_detail"]) > METHOD_DETAIL_LIMIT:
            row.problems.append(f"The payment method “{data['method_detail'][:40]}…” is longer "
                                f"than {METHOD_DETAIL_LIMIT} characters.")  # fmt: skip
        for name in ("source", "cheque_number", "in_kind_description"):
            data[name] = raw.get(name) or None
        comment = raw.get("comment") or None
        if comment and len(comment) > COMMENT_LIMIT:
            row.note = comment
            comment = comment[: COMMENT_LIMIT - 40].rstrip() + " … (whole comment in the notes)"
        data["comment"] = comment
        if data.get("method") == PaymentMethod.IN_KIND and not data["in_kind_description"]:
            data["in_kind_description"] = "In kind (imported)"

    def _links(self, row: GiftRow, strict: bool = True) -> None:
        campaign = self._named(row, "campaign", self.campaigns, strict)
        fund = self._named(row, "fund", self.funds, strict)
        row.data["campaign_id"] = campaign or None
        row.data["fund_id"] = fund or (self.fund_of.get(campaign) if campaign else None)

    def _named(self, row: GiftRow, kind: str, known: dict, strict: bool) -> int | None:
        """The id of the campaign or fund the row names; an unknown name is a problem of a
        gift (a refund only uses it to tell the donor's gifts apart)."""
        name = row.raw.get(kind)
        if not name:
            return None
        found = known.get(fold(name))
        if found is None and strict:
            self._unknown(kind, name)
            row.problems.append(
                f"No {kind} is named “{name}”: map it to a {kind}, or have it created, on the "
                "mapping page."
            )
        return found

    def _unknown(self, kind: str, name: str) -> None:
        names = self.unknown.setdefault(kind, {})
        if len(names) < MAX_NAMES:
            names.setdefault(fold(name), name)
