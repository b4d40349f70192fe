"""Refund rows of a gift file. A refund names the gift it refunds by the gift's transaction id
when the file has that column; most exports do not, and then the refund is the donor's: it
is applied to the latest of the donor's gifts from the same system, on or before the day of
the refund, with at least that much not yet refunded, preferring a gift of the same amount,
then one of the same campaign or fund. A refund that finds no gift either way still counts:
it is kept as money returned (UnmatchedRefund) and listed for staff to link to its gift. So
after any import the gross less the refunded is the file's net.

The file's own gifts are kept in a scratch ledger as they are imported (or, on a dry run,
would be), so that the dry run and the import match refunds the same way."""

import sqlite3
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import delete, select

from crm.dataio.models import ImportedGift, ImportedRefund, UnmatchedRefund
from crm.dataio.seen import drop_scratch, scratch_database
from crm.donations.models import Donation, DonationStatus, Refund
from crm.extensions import db
from crm.modelbase import utcnow

LOOKUP = 1000  # keys per IN (...) query
COUNTED = (DonationStatus.SUCCEEDED, DonationStatus.PARTIALLY_REFUNDED, DonationStatus.REFUNDED)
FAR_FUTURE = date.max.toordinal()


@dataclass(slots=True)
class Candidate:
    """A gift a refund row may refund."""

    ref: int  # the gift's id, or a dry run's stand-in for it (below zero)
    day: int  # the ordinal of its day in the organisation's zone
    amount: int
    left: int  # not refunded yet
    told: int  # refunded by its own row ("Refunded"), not yet matched by a refund row
    campaign: int | None
    fund: int | None


class GiftLedger:
    """This file's gifts, in a scratch SQLite file: memory stays flat however many gifts the
    file has, and only those of the refunds' donors are read back."""

    COLUMNS = "key, donor, ref, day, amount, left, told, campaign, fund"

    def __init__(self):
        self.db: sqlite3.Connection | None = None
        self.path: str | None = None

    def add(self, entries: list[tuple]) -> None:
        """(key, donor, ref, day, amount, left, told, campaign, fund) of each gift."""
        if not entries:
            return
        if self.db is None:
            self.db, self.path = scratch_database(
                f"CREATE TABLE gifts ({self.COLUMNS})",
                "CREATE INDEX gifts_donor ON gifts (donor)",
                "CREATE INDEX gifts_key ON gifts (key)",
            )
        self.db.executemany("INSERT INTO gifts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", entries)

    def _select(self, column: str, values) -> list[tuple]:
        if self.db is None:
            return []
        wanted, found = list(values), []
        for start in range(0, len(wanted), 500):
            part = wanted[start : start + 500]
            marks = ",".join("?" * len(part))
            query = f"SELECT {self.COLUMNS} FROM gifts WHERE {column} IN ({marks})"
            found += self.db.execute(query, part).fetchall()
        return found

    def donors_of(self, keys: set[str]) -> dict[str, tuple[int, int]]:
        """Transaction key -> (donor, gift) of the file's gifts."""
        return {key: (donor, ref) for key, donor, ref, *_ in self._select("key", keys)}

    def gifts_of(self, donors: set[int]) -> dict[int, list[Candidate]]:
        found: dict[int, list[Candidate]] = {}
        for _key, donor, *fields in self._select("donor", donors):
            found.setdefault(donor, []).append(Candidate(*fields))
        return found

    def close(self) -> None:
        self.db = drop_scratch(self.db, self.path)


def day_number(when: datetime, zone) -> int:
    return when.astimezone(zone).date().toordinal()


class RefundMatcher:
    """Matches the refund rows of one import to gifts, once every gift of the file is in:
    the gift a row names by its transaction id, else the donor's (see the module)."""

    def __init__(self, importer):
        self.importer = importer
        self.system, self.dry_run = importer.system, importer.dry_run
        self.zone = ZoneInfo(current_app.config["ORG_TIMEZONE"])
        self.ledger = GiftLedger()
        self.refunds: list[int] = []
        self.unmatched: list[int] = []
        self.touched: dict[str, str] = {}  # gift id -> when it was last changed before
        # Refunds this import added to gifts imported before (a newer export's): a dry run
        # has not written them, so what is left of those gifts is less than stored.
        self.caught_up: dict[int, int] = {}

    def remember(self, gifts: list[tuple[int, int, object]]) -> None:
        """(donor, ref, row) of the gifts of a chunk, as imported."""
        entries = []
        for donor, ref, row in gifts:
            data, cents = row.data, row.data["amount_cents"]
            entries.append((row.key, donor, ref, day_number(data["received_at"], self.zone),
                            cents, cents - row.refund_cents, row.refund_cents,
                            data.get("campaign_id"), data.get("fund_id")))  # fmt: skip
        self.ledger.add(entries)

    def match(self, rows: list, donors: dict) -> None:
        """Apply each refund row to its gift, or keep it as money returned to link."""
        named = self._named({row.original for row in rows if row.original})
        targets = {}
        for row in rows:
            donor, ref = named.get(row.original, (_target(row, donors), None))
            targets[row.line] = (donor, ref)
        wanted = {donor for donor, _ in targets.values() if donor is not None}
        gifts = self.ledger.gifts_of(wanted)
        self._add_stored(gifts, {donor for donor in wanted if donor > 0})
        by_ref = {c.ref: c for candidates in gifts.values() for c in candidates}
        # The rows that name their gift first, then the others from the oldest refund.
        order = sorted(rows, key=lambda r: (targets[r.line][1] is None, _day(r, self.zone), r.line))
        for row in order:
            donor, ref = targets[row.line]
            if ref is not None:
                self._named_gift(row, by_ref[ref])
                continue
            choices = gifts.get(donor, []) if donor is not None else []
            if _told_already(row, choices):
                self.importer.counts["duplicate"] += 1
                continue
            gift = _best(row, choices, _day(row, self.zone))
            if gift is None:
                self._unmatched(row, donor)
            else:
                self._apply(gift, row)

    def _named_gift(self, row, gift: Candidate) -> None:
        if gift.told >= row.refund_cents:
            gift.told -= row.refund_cents  # the gift's own row told of this refund already
            self.importer.counts["duplicate"] += 1
        elif row.refund_cents > gift.left:
            money = self.importer.reader.money
            self.importer.reject(row, f"The refund of {money(row.refund_cents)} is more than "
                                      f"what is left of gift “{row.original}” "
                                      f"({money(gift.left)}).")  # fmt: skip
        else:
            self._apply(gift, row)

    def _named(self, keys: set[str]) -> dict[str, tuple[int, int]]:
        """Transaction id -> (donor, gift) of the gifts the rows name: of this file, or
        imported before from the same system (if the gift still counts as money)."""
        found = self.ledger.donors_of(keys)
        rest = list(keys - found.keys())
        for start in range(0, len(rest), LOOKUP):
            query = (
                select(ImportedGift.transaction_id, Donation.contact_id, Donation.id)
                .join(Donation, Donation.id == ImportedGift.donation_id)
                .where(ImportedGift.system == self.system, Donation.status.in_(COUNTED),
                       ImportedGift.transaction_id.in_(rest[start : start + LOOKUP]))
            )  # fmt: skip
            for key, donor, ref in db.session.execute(query):
                found[key] = (donor, ref)
        return found

    def _add_stored(self, gifts: dict[int, list[Candidate]], donors: set[int]) -> None:
        """The donors' gifts imported before from the same system (the file's own gifts
        are in the ledger, written or not)."""
        mine = {c.ref for candidates in gifts.values() for c in candidates}
        keys = list(donors)
        for start in range(0, len(keys), LOOKUP):
            query = (
                select(Donation.id, Donation.contact_id, Donation.received_at,
                       Donation.amount_cents, Donation.refunded_cents, Donation.campaign_id,
                       Donation.fund_id)
                .join(ImportedGift, ImportedGift.donation_id == Donation.id)
                .where(ImportedGift.system == self.system, Donation.status.in_(COUNTED),
                       Donation.contact_id.in_(keys[start : start + LOOKUP]))
            )  # fmt: skip
            for ref, donor, when, amount, refunded, campaign, fund in db.session.execute(query):
                if ref not in mine:
                    day = day_number(when, self.zone)
                    told = self.caught_up.get(ref, 0)  # the gift's row told of it
                    refunded += told if self.dry_run else 0
                    left = amount - refunded
                    candidate = Candidate(ref, day, amount, left, told, campaign, fund)
                    gifts.setdefault(donor, []).append(candidate)

    def _apply(self, gift: Candidate, row) -> None:
        """Record the refund row on the gift (on a dry run, only count it)."""
        gift.left -= row.refund_cents
        self.importer.count_money(0, row.refund_cents)
        self.importer.counts["refunds"] += 1
        if self.dry_run:
            return
        from crm.dataio.gift_import import refund_gift

        donation = db.session.get(Donation, gift.ref)
        self.touched.setdefault(str(donation.id), donation.updated_at.isoformat())
        refund = refund_gift(donation, row.refund_cents, self.system)
        if row.data.get("received_at"):
            refund.created_at = row.data["received_at"]  # when it was refunded there
        db.session.add(ImportedRefund(refund_id=refund.id, system=self.system,
                                      transaction_id=row.key))  # fmt: skip
        self.refunds.append(refund.id)

    def _unmatched(self, row, donor: int | None) -> None:
        self.importer.count_money(0, row.refund_cents)
        self.importer.counts["refunds_to_link"] += 1
        if self.dry_run:
            return
        known = donor is not None and donor > 0
        record = UnmatchedRefund(
            batch_id=self.importer.batch.id, system=self.system, transaction_id=row.key,
            contact_id=donor if known else None, donor=None if known else _described(row),
            original_transaction_id=row.original, amount_cents=row.refund_cents,
            currency=self.importer.reader.currency, line=row.line,
            refunded_at=row.data.get("received_at") or utcnow(),
        )  # fmt: skip
        db.session.add(record)
        db.session.flush()
        self.unmatched.append(record.id)

    def close(self) -> None:
        self.ledger.close()


def _target(row, donors: dict) -> int | None:
    return next((donors[key] for key in row.donor_keys() if key in donors), None)


def _day(row, zone) -> int:
    when = row.data.get("received_at")
    return day_number(when, zone) if when else FAR_FUTURE


def _told_already(row, gifts: list[Candidate]) -> bool:
    """The donor's gift in this file whose own row said it was refunded by as much: the
    refund row tells the same refund again."""
    told = [g for g in gifts if g.told >= row.refund_cents]
    if not told:
        return False
    gift = max(told, key=lambda g: (g.told == row.refund_cents, g.day, g.ref))
    gift.told -= row.refund_cents
    return True


def _best(row, gifts: list[Candidate], day: int) -> Candidate | None:
    """The latest gift on or before the refund's day with enough left, preferring the same
    amount, then the same campaign or fund."""
    cents, data = row.refund_cents, row.data
    campaign, fund = data.get("campaign_id"), data.get("fund_id")
    fitting = [g for g in gifts if g.left >= cents and g.day <= day]
    if not fitting:
        return None

    def preference(gift: Candidate):
        same_designation = (campaign is not None and gift.campaign == campaign) or (
            fund is not None and gift.fund == fund
        )
        return gift.amount == cents, same_designation, gift.day, gift.ref

    return max(fitting, key=preference)


def _described(row) -> str | None:
    """What the file says of a donor the CRM does not have, for staff to find them."""
    raw = row.raw
    name = " ".join(p for p in (row.first_name, row.last_name) if p) or raw.get("full_name")
    parts = [name, raw.get("email"), raw.get("phone"), raw.get("external_id")]
    return " · ".join(p for p in parts if p) or None


def undo_refunds(ids: list[int], before: dict[str, str] | None) -> None:
    """Take back refunds an import recorded: each gift gets its money, its status and (from
    `before`, gift id -> when it was last changed) its time of last change back."""
    db.session.execute(delete(ImportedRefund).where(ImportedRefund.refund_id.in_(ids)))
    for refund in db.session.scalars(select(Refund).where(Refund.id.in_(ids))):
        gift = refund.donation
        gift.refunded_cents -= refund.amount_cents
        gift.status = (
            DonationStatus.PARTIALLY_REFUNDED if gift.refunded_cents else DonationStatus.SUCCEEDED
        )
        if before and str(gift.id) in before:
            gift.updated_at = datetime.fromisoformat(before[str(gift.id)])
        db.session.delete(refund)  # through the ORM: the summaries see the gift change
    db.session.flush()
