"""Gift import. Gifts find their donor by the other system's id or by email (a donor who is
not here yet is created from the row's name and email), their campaign and fund by name.
A gift's transaction id in the other system is kept, so importing the same file again adds
nothing. Gifts are created through the ORM (one flush per chunk) so that everything that
listens to new donations sees them."""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import insert, select

from crm.contacts import services as contacts
from crm.contacts.models import Contact
from crm.contacts.normalise import fold, normalise_email
from crm.dataio import fastnorm
from crm.dataio.csvfile import width_problem
from crm.dataio.models import ExternalId, ImportChange, ImportedGift
from crm.dataio.values import ValueProblem, parse_amount_cents, parse_date, parse_method
from crm.donations.models import Campaign, Donation, DonationStatus, Fund, PaymentMethod
from crm.extensions import db

LIMITS = {
    "source": 60,
    "cheque_number": 40,
    "in_kind_description": 500,
    "comment": 1000,
    "transaction_id": 120,
    "external_id": 120,
    "first_name": 100,
    "last_name": 100,
}


@dataclass
class GiftRow:
    line: int
    cells: list[str]
    raw: dict
    data: dict = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    email_key: str | None = None


class GiftImporter:
    entity = "donation"

    def __init__(self, batch, seen, dry_run: bool):
        self.batch, self.seen, self.dry_run = batch, seen, dry_run
        self.columns = [(int(i), f) for i, f in batch.mapping.items() if f]
        self.width = len(batch.headers)
        self.system = batch.options.get("system") or "import"
        self.date_order = batch.options.get("date_order", "")
        self.zone = ZoneInfo(current_app.config["ORG_TIMEZONE"])
        self.currency = current_app.config["CURRENCY"]
        self.campaigns = {fold(c.name): c for c in db.session.scalars(select(Campaign))}
        self.funds = {fold(f.name): f for f in db.session.scalars(select(Fund))}
        self.counts = {"new": 0, "already_imported": 0, "duplicate": 0, "invalid": 0,
                       "new_donors": 0}  # fmt: skip
        self.rejections: list[tuple[int, str, list[str]]] = []

    def preview(self, line: int, cells: list[str]) -> GiftRow:
        return self._prepare(line, cells)

    def _prepare(self, line: int, cells: list[str]) -> GiftRow:
        raw = {name: (cells[i] if i < len(cells) else "") for i, name in self.columns}
        row = GiftRow(line, cells, raw)
        shifted = width_problem(cells, self.width)
        if shifted:
            row.problems.append(shifted)
            return row
        for name, limit in LIMITS.items():
            if len(raw.get(name, "")) > limit:
                row.problems.append(
                    f"The {name.replace('_', ' ')} is longer than {limit} characters."
                )
        self._read_money(row)
        self._read_links(row)
        if raw.get("email"):
            try:
                row.email_key = fastnorm.email(raw["email"]).lower()
            except ValueError:
                row.problems.append(f"“{raw['email']}” is not an email address.")
        if not (raw.get("email") or raw.get("external_id")):
            row.problems.append("No donor: the row has neither an email nor a donor id.")
        return row

    def _read_money(self, row: GiftRow) -> None:
        raw, data = row.raw, row.data
        try:
            data["amount_cents"] = parse_amount_cents(raw.get("amount", ""))
        except ValueProblem as exc:
            row.problems.append(str(exc) if raw.get("amount") else "No amount.")
        try:
            day = parse_date(raw.get("date", ""), self.date_order)
            local = datetime(day.year, day.month, day.day, 12, tzinfo=self.zone)
            data["received_at"] = local.astimezone(UTC)
        except ValueProblem as exc:
            row.problems.append(str(exc) if raw.get("date") else "No date.")
        try:
            data["method"] = parse_method(raw.get("method", ""))
        except ValueProblem as exc:
            row.problems.append(str(exc))
        for name in ("source", "cheque_number", "in_kind_description", "comment"):
            data[name] = raw.get(name) or None
        if data.get("method") == PaymentMethod.IN_KIND and not data["in_kind_description"]:
            data["in_kind_description"] = "In kind (imported)"

    def _read_links(self, row: GiftRow) -> None:
        raw = row.raw
        campaign = fund = None
        if raw.get("campaign"):
            campaign = self.campaigns.get(fold(raw["campaign"]))
            if campaign is None:
                row.problems.append(f"No campaign is named “{raw['campaign']}”.")
        if raw.get("fund"):
            fund = self.funds.get(fold(raw["fund"]))
            if fund is None:
                row.problems.append(f"No fund is named “{raw['fund']}”.")
        row.data["campaign_id"] = campaign.id if campaign else None
        row.data["fund_id"] = fund.id if fund else (campaign.default_fund_id if campaign else None)

    threaded = False  # gifts are written as each chunk is processed

    def close(self) -> None:
        pass

    def chunks(self, records, size: int, parallel: bool):
        """The file's rows, `size` at a time (gift files are read here: their rows are
        prepared against the campaigns and funds this process has loaded)."""
        rows = records()
        while chunk := list(islice(rows, size)):
            yield chunk

    def process(self, chunk: list[tuple[int, list[str]]]) -> None:
        rows = []
        for line, cells in chunk:
            row = self._prepare(line, cells)
            if row.problems:
                self._reject(row, " ".join(row.problems))
            else:
                rows.append(row)
        rows = self._drop_known_transactions(rows)
        donors = self._donors(rows)
        gifts, links, new_donors = [], [], []
        for row in rows:
            contact_id = self._donor_for(row, donors, new_donors)
            self.counts["new"] += 1
            if self.dry_run:
                continue
            gift = Donation(contact_id=contact_id, currency=self.currency,
                            status=DonationStatus.SUCCEEDED, **row.data)  # fmt: skip
            gifts.append(gift)
            if row.raw.get("transaction_id"):
                links.append((gift, row.raw["transaction_id"]))
        if not self.dry_run:
            self._write(gifts, links, new_donors)

    def _reject(self, row: GiftRow, reason: str) -> None:
        self.counts["invalid"] += 1
        self.rejections.append((row.line, reason, row.cells))

    def _drop_known_transactions(self, rows: list[GiftRow]) -> list[GiftRow]:
        ids = {r.raw["transaction_id"] for r in rows if r.raw.get("transaction_id")}
        earlier = self.seen.lookup("txn", ids)
        stored = set()
        keys = list(ids - set(earlier))
        for start in range(0, len(keys), 1000):
            stored.update(db.session.scalars(
                select(ImportedGift.transaction_id).where(
                    ImportedGift.system == self.system,
                    ImportedGift.transaction_id.in_(keys[start : start + 1000]),
                )
            ))  # fmt: skip
        kept, local = [], set()
        for row in rows:
            txn = row.raw.get("transaction_id")
            if txn and txn in stored:
                self.counts["already_imported"] += 1
            elif txn and (txn in earlier or txn in local):
                self.counts["duplicate"] += 1
            else:
                kept.append(row)
                if txn:
                    local.add(txn)
        self.seen.add([("txn", t, 0) for t in local])
        return kept

    def _donors(self, rows: list[GiftRow]) -> dict:
        externals = list({r.raw["external_id"] for r in rows if r.raw.get("external_id")})
        emails = list({r.email_key for r in rows if r.email_key})
        donors = {}
        for start in range(0, len(externals), 1000):
            for value, contact_id in db.session.execute(
                select(ExternalId.value, ExternalId.contact_id)
                .where(ExternalId.system == self.system,
                       ExternalId.value.in_(externals[start : start + 1000]))
                .order_by(ExternalId.id.desc())
            ):  # fmt: skip
                donors[("external", value)] = contact_id
        for start in range(0, len(emails), 1000):
            for key, contact_id in db.session.execute(
                select(Contact.email_key, Contact.id)
                .where(Contact.email_key.in_(emails[start : start + 1000]))
                .order_by(Contact.id.desc())
            ):
                donors[("email", key)] = contact_id
        for key, target in self.seen.lookup("donor", emails).items():
            donors.setdefault(("email", key), target)
        return donors

    def _donor_for(self, row: GiftRow, donors: dict, new_donors: list) -> int | None:
        external = row.raw.get("external_id")
        if external and ("external", external) in donors:
            return donors[("external", external)]
        if row.email_key and ("email", row.email_key) in donors:
            return donors[("email", row.email_key)]
        self.counts["new_donors"] += 1
        contact_id = None
        if not self.dry_run:
            contact = contacts.create_contact({
                "first_name": row.raw.get("first_name") or "Unknown",
                "last_name": row.raw.get("last_name") or "Donor",
                "email": normalise_email(row.raw["email"]) if row.email_key else None,
            })  # fmt: skip
            contact_id = contact.id
            new_donors.append(contact_id)
            if external:
                db.session.add(
                    ExternalId(contact_id=contact_id, system=self.system, value=external)
                )
        if row.email_key:
            donors[("email", row.email_key)] = contact_id
            self.seen.add([("donor", row.email_key, contact_id or 0)])
        if external:
            donors[("external", external)] = contact_id
        return contact_id

    def _write(self, gifts: list[Donation], links, new_donors: list[int]) -> None:
        db.session.add_all(gifts)
        db.session.flush()
        db.session.add_all(
            ImportedGift(donation_id=gift.id, system=self.system, transaction_id=txn)
            for gift, txn in links
        )
        db.session.flush()
        changes = []
        if new_donors:
            changes.append({"entity": "contact", "entity_ids": new_donors})
        if gifts:
            changes.append({"entity": "donation", "entity_ids": [g.id for g in gifts]})
        if changes:
            db.session.execute(
                insert(ImportChange),
                [{"batch_id": self.batch.id, "action": "created", "before": None,
                  "after": None, **c} for c in changes],
            )  # fmt: skip
        for gift in gifts:
            db.session.expunge(gift)  # memory stays flat across chunks
