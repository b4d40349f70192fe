"""Gift import. Gifts find their donor like contact imports find people (the other system's
id, email, phone, then name and postcode; a name alone only within the file), and a donor
who is not here yet is created. Campaigns and funds are found by name, or by what staff
chose for the unknown names on the mapping page. A gift's transaction id in the other
system is kept, so importing the same file again adds nothing.

A row without a transaction id is kept by a key made of what it says (the donor, the day,
the amount, how and for what it was given, and how many such rows came before it in the
file), so re-importing any file adds nothing.

Only received money becomes a gift. Failed payments are left out and pending ones wait for a
later export; both are counted and listed with the reason. A refund (a refunded-amount
column, a "refunded" status, or a refund row: a negative amount or a row of the kind
"refund") is recorded through the donations service on its gift, or kept as money returned
for staff to link (gift_refunds.py), so after the import the totals are the other system's
net. Gifts are created through the ORM (one flush per chunk) so that everything that
listens to new donations and refunds sees them."""

from itertools import islice

from sqlalchemy import insert, select

from crm.contacts.models import Note
from crm.dataio import gift_names
from crm.dataio.gift_donors import DonorFinder, nameless
from crm.dataio.gift_refunds import COUNTED, LOOKUP, RefundMatcher
from crm.dataio.gift_rows import GiftRow, RowReader
from crm.dataio.models import (
    ImportChange,
    ImportedGift,
    ImportedRefund,
    UnmatchedRefund,
)
from crm.donations import services as donations
from crm.donations.models import Campaign, Donation, DonationStatus, Refund
from crm.extensions import db


class GiftImporter:
    entity = "donation"
    threaded = False  # gifts are written as each chunk is processed

    def __init__(self, batch, seen, dry_run: bool):
        self.batch, self.seen, self.dry_run = batch, seen, dry_run
        self.system = batch.options.get("system") or "import"
        # Campaigns and funds to be created stand for id 0 until the first chunk creates them:
        # a file that turns out unreadable before then leaves none behind.
        campaigns = gift_names.resolve(batch, "campaign", dry_run=True)
        funds = gift_names.resolve(batch, "fund", dry_run=True)
        self.names_to_create = not dry_run and 0 in (*campaigns.values(), *funds.values())
        fund_of = dict(db.session.execute(select(Campaign.id, Campaign.default_fund_id)).all())
        self.reader = RowReader(batch, campaigns, funds, fund_of)
        self.counts = {"new": 0, "already_imported": 0, "duplicate": 0, "invalid": 0,
                       "new_donors": 0, "refunds": 0, "refunds_to_link": 0, "failed": 0,
                       "pending": 0, "gross_cents": 0, "refunded_cents": 0,
                       "net_cents": 0}  # fmt: skip
        self.rejections: list[tuple[int, str, list[str]]] = []
        self.refund_rows: list[GiftRow] = []  # refund rows wait for every gift of the file
        self.refunded_since: list[GiftRow] = []  # gifts imported before, refunded since
        self.matcher = RefundMatcher(self)
        self.donors = DonorFinder(self)
        self._stand_in = 0  # a dry run's new donors and gifts get ids below zero

    def preview(self, line: int, cells: list[str]) -> GiftRow:
        row = self.reader.read(line, cells)
        if row.skip:
            row.problems.append(row.reason)
        return row

    def close(self) -> None:
        self.matcher.close()

    def chunks(self, records, size: int, parallel: bool):
        """The file's rows, `size` at a time, then one empty chunk: the refund rows, kept until
        then, are applied when every gift they may refund (later in the file, as in exports
        listed newest first) has been imported."""
        rows = records()
        while chunk := list(islice(rows, size)):
            yield chunk
        yield []

    def process(self, chunk: list[tuple[int, list[str]]]) -> None:
        if self.names_to_create:
            self.names_to_create = False
            self.reader.campaigns = gift_names.resolve(self.batch, "campaign", dry_run=False)
            self.reader.funds = gift_names.resolve(self.batch, "fund", dry_run=False)
        if not chunk:
            self._apply_refund_rows()
            if self.dry_run and self.reader.unknown:
                # the mapping page lists them, also those past the rows it reads itself
                found = {kind: list(names.values()) for kind, names in self.reader.unknown.items()}
                self.batch.options = {**self.batch.options, "found_names": found}
            return
        rows = []
        for line, cells in chunk:
            row = self.reader.read(line, cells)
            if row.problems:
                self.reject(row, " ".join(row.problems))
            elif row.skip:
                self.counts[row.skip] += 1
                self.rejections.append((row.line, row.reason, row.cells))
            elif row.kind == "refund":
                self.refund_rows.append(row)
            else:
                rows.append(row)
        rows = self._drop_known_transactions(rows)
        donors = self.donors.lookup(rows)
        new_donors, gifts, accepted = [], [], []
        for row in rows:
            contact_id = self.donors.donor_for(row, donors, new_donors)
            if contact_id is None:
                self.reject(row, nameless(row))
                continue
            accepted.append((contact_id, row))
            self.counts["new"] += 1
            self.count_money(row.data["amount_cents"], row.refund_cents)
            self.counts["refunds"] += bool(row.refund_cents)
            if not self.dry_run:
                gift = Donation(contact_id=contact_id, currency=self.reader.currency,
                                status=DonationStatus.SUCCEEDED, **row.data)  # fmt: skip
                gifts.append((gift, row))
        self._remember(row for _donor, row in accepted)
        if not self.dry_run:
            self._write(gifts, new_donors)
            refs = [gift.id for gift, _row in gifts]
        else:
            refs = [self.next_stand_in() for _ in accepted]
        self.matcher.remember([(d, ref, row) for (d, row), ref in zip(accepted, refs, strict=True)])
        self._catch_up_refunds(self.refunded_since)

    def count_money(self, gross: int, refunded: int) -> None:
        self.counts["gross_cents"] += gross
        self.counts["refunded_cents"] += refunded
        self.counts["net_cents"] = self.counts["gross_cents"] - self.counts["refunded_cents"]

    def next_stand_in(self) -> int:
        self._stand_in -= 1
        return self._stand_in

    def reject(self, row: GiftRow, reason: str) -> None:
        self.counts["invalid"] += 1
        self.rejections.append((row.line, reason, row.cells))

    # --- transactions -------------------------------------------------------------------

    def _stored(self, model, ids: set[str]) -> set[str]:
        found, keys = set(), list(ids)
        for start in range(0, len(keys), LOOKUP):
            found.update(db.session.scalars(
                select(model.transaction_id).where(
                    model.system == self.system,
                    model.transaction_id.in_(keys[start : start + LOOKUP]),
                )
            ))  # fmt: skip
        return found

    def _drop_known_transactions(self, rows: list[GiftRow], kind: str = "txn",
                                 models=(ImportedGift,)) -> list[GiftRow]:  # fmt: skip
        """The rows not imported before and not repeated in the file; each gets its key."""
        self._assign_keys(rows, kind)
        ids = {r.key for r in rows}
        earlier = self.seen.lookup(kind, ids)
        rest = ids - set(earlier)
        stored = set().union(*(self._stored(model, rest) for model in models))
        kept, local, since = [], set(), []
        for row in rows:
            if row.key in stored:
                self.counts["already_imported"] += 1
                if row.refund_cents and row.kind == "gift":
                    since.append(row)
            elif row.key in earlier or row.key in local:
                self.counts["duplicate"] += 1
            else:
                kept.append(row)
                local.add(row.key)
        self.refunded_since = since
        return kept

    def _assign_keys(self, rows: list[GiftRow], kind: str) -> None:
        """A row's transaction id, or for a row without one a key made of what it says and
        how many rows saying the same came before it in the file (two gifts of $20 on one
        day from one donor are two gifts, and the same two again in a later file)."""
        prefix, counted, entries = f"count-{kind}:", {}, []
        bare = {row.fingerprint for row in rows if not row.raw.get("transaction_id")}
        earlier = self.seen.lookup(prefix + "1", bare)
        for row in rows:
            if row.raw.get("transaction_id"):
                row.key = row.raw["transaction_id"]
                continue
            number = counted.get(row.fingerprint, 0) + 1
            if number == 1 and row.fingerprint in earlier:
                number = 2
                while self.seen.lookup(f"{prefix}{number}", [row.fingerprint]):
                    number += 1
            counted[row.fingerprint] = number
            entries.append((f"{prefix}{number}", row.fingerprint, 1))
            row.key = f"row:{row.fingerprint}:{number}"
        self.seen.add(entries)

    def _remember(self, rows) -> None:
        """The gifts' keys, so that a repeat later in the file is a duplicate."""
        self.seen.add(("txn", row.key, 1) for row in rows)

    # --- writing ------------------------------------------------------------------------

    def _write(self, gifts: list[tuple[Donation, GiftRow]], new_donors: list[int]) -> None:
        db.session.add_all(gift for gift, _row in gifts)
        db.session.flush()
        db.session.add_all(
            ImportedGift(donation_id=gift.id, system=self.system, transaction_id=row.key)
            for gift, row in gifts
        )  # fmt: skip
        refunds = [refund_gift(gift, row.refund_cents, self.system).id
                   for gift, row in gifts if row.refund_cents]  # fmt: skip
        notes = [self._note(gift, row) for gift, row in gifts if row.note]
        db.session.flush()
        self._record(contact=new_donors, donation=[g.id for g, _ in gifts], note=notes)
        self._record(refund=refunds)
        for gift, _row in gifts:
            db.session.expunge(gift)  # memory stays flat across chunks

    def _note(self, gift: Donation, row: GiftRow) -> int:
        note = Note(contact_id=gift.contact_id, body=(
            f"Comment on the gift of {self.reader.money(gift.amount_cents)} imported from "
            f"{self.system} (line {row.line}):\n\n{row.note}"
        ))  # fmt: skip
        db.session.add(note)
        db.session.flush()
        return note.id

    def _record(self, before: dict | None = None, **created: list[int]) -> None:
        changes = [{"batch_id": self.batch.id, "entity": entity, "action": "created",
                    "entity_ids": ids, "before": before, "after": None}
                   for entity, ids in created.items() if ids]  # fmt: skip
        if changes:
            db.session.execute(insert(ImportChange), changes)

    # --- refund rows --------------------------------------------------------------------

    def _apply_refund_rows(self) -> None:
        models = (ImportedRefund, UnmatchedRefund)
        rows = self._drop_known_transactions(self.refund_rows, "refund", models)
        self.refund_rows = []
        self.matcher.match(rows, self.donors.lookup(rows))
        db.session.flush()
        # when each gift was last changed before its refunds: the undo puts that back too
        self._record(before=self.matcher.touched, refund=self.matcher.refunds)
        self._record(unmatched_refund=self.matcher.unmatched)

    def _catch_up_refunds(self, rows: list[GiftRow]) -> None:
        """Gifts imported before whose row now tells of more refunded (a newer export of the
        same system): the difference is recorded, so the totals follow the other system."""
        gifts = self._imported({r.key for r in rows})
        refunds, touched = [], {}
        for row in rows:
            gift = gifts.get(row.key)
            more = row.refund_cents - gift.refunded_cents if gift is not None else 0
            if more <= 0:
                continue
            self.count_money(0, more)
            self.counts["refunds"] += 1
            self.matcher.caught_up[gift.id] = self.matcher.caught_up.get(gift.id, 0) + more
            if not self.dry_run:
                touched.setdefault(str(gift.id), gift.updated_at.isoformat())
                refunds.append(refund_gift(gift, more, self.system).id)
        self._record(before=touched, refund=refunds)

    def _imported(self, ids: set[str]) -> dict[str, Donation]:
        """Transaction key -> the gift imported with it from this system, if it still counts
        as money (a gift marked failed since cannot be refunded)."""
        found, keys = {}, list(ids)
        for start in range(0, len(keys), LOOKUP):
            for txn, gift in db.session.execute(
                select(ImportedGift.transaction_id, Donation)
                .join(Donation, Donation.id == ImportedGift.donation_id)
                .where(ImportedGift.system == self.system,
                       ImportedGift.transaction_id.in_(keys[start : start + LOOKUP]),
                       Donation.status.in_(COUNTED))
            ):  # fmt: skip
                found[txn] = gift
        return found


def refund_gift(gift: Donation, cents: int, system: str) -> Refund:
    """A refund the other system made, recorded on the imported gift."""
    return donations.apply_refund(gift, cents, reason=f"Refunded in {system[:200]}",
                                  made_elsewhere=True)  # fmt: skip
