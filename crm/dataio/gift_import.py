"""Gift import. Gifts find their donor like contact imports find people (the other system's
id, email, phone, then name and postcode; a name alone only within the file), and a donor
who is not here yet is created. Campaigns and funds are found by name, or by what staff
chose for the unknown names on the mapping page. A gift's transaction id in the other
system is kept, so importing the same file again adds nothing.

Only received money becomes a gift. Failed payments are left out and pending ones wait for a
later export; both are counted and listed with the reason. A refund (a refunded-amount
column, a "refunded" status, or a refund row naming the refunded gift's transaction id) is
recorded through the donations service on its gift, so after the import the totals are the
other system's net. Gifts are created through the ORM (one flush per chunk) so that
everything that listens to new donations and refunds sees them."""

from datetime import datetime
from itertools import islice

from sqlalchemy import delete, insert, select

from crm.contacts import services as contacts
from crm.contacts.models import Contact, Note
from crm.contacts.normalise import fold, normalise_email
from crm.dataio import gift_names
from crm.dataio.gift_rows import GiftRow, RowReader
from crm.dataio.models import ExternalId, ImportChange, ImportedGift, ImportedRefund
from crm.donations import services as donations
from crm.donations.models import Campaign, Donation, DonationStatus, Refund
from crm.extensions import db

LOOKUP = 1000  # keys per IN (...) query
COUNTED = (DonationStatus.SUCCEEDED, DonationStatus.PARTIALLY_REFUNDED, DonationStatus.REFUNDED)


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
                       "new_donors": 0, "refunds": 0, "failed": 0, "pending": 0,
                       "gross_cents": 0, "refunded_cents": 0, "net_cents": 0}  # fmt: skip
        self.rejections: list[tuple[int, str, list[str]]] = []
        self.refund_rows: list[GiftRow] = []  # refund rows wait for every gift of the file
        # Refunds a gift's own row told of (a "refunded" status or a refunded amount), by
        # transaction id: a refund row for the same money is the same refund told twice.
        self.told: dict[str, int] = {}
        self.refunded_since: list[GiftRow] = []  # gifts imported before, refunded since

    def preview(self, line: int, cells: list[str]) -> GiftRow:
        row = self.reader.read(line, cells)
        if row.skip:
            row.problems.append(row.reason)
        return row

    def close(self) -> None:
        pass

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
                self._reject(row, " ".join(row.problems))
            elif row.skip:
                self.counts[row.skip] += 1
                self.rejections.append((row.line, row.reason, row.cells))
            elif row.kind == "refund":
                self.refund_rows.append(row)
            else:
                rows.append(row)
        rows = self._drop_known_transactions(rows)
        donors = self._donors(rows)
        new_donors, gifts = [], []
        for row in rows:
            contact_id = self._donor_for(row, donors, new_donors)
            self.counts["new"] += 1
            self._count_money(row.data["amount_cents"], row.refund_cents)
            if row.refund_cents and row.raw.get("transaction_id"):
                self.told[row.raw["transaction_id"]] = row.refund_cents
            if not self.dry_run:
                gift = Donation(contact_id=contact_id, currency=self.reader.currency,
                                status=DonationStatus.SUCCEEDED, **row.data)  # fmt: skip
                gifts.append((gift, row))
        if not self.dry_run:
            self._write(gifts, new_donors)
        self._catch_up_refunds(self.refunded_since)

    def _count_money(self, gross: int, refunded: int) -> None:
        self.counts["gross_cents"] += gross
        self.counts["refunded_cents"] += refunded
        self.counts["refunds"] += bool(refunded)
        self.counts["net_cents"] = self.counts["gross_cents"] - self.counts["refunded_cents"]

    def _reject(self, row: GiftRow, reason: str) -> None:
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
                                 model=ImportedGift) -> list[GiftRow]:  # fmt: skip
        ids = {r.raw["transaction_id"] for r in rows if r.raw.get("transaction_id")}
        earlier = self.seen.lookup(kind, ids)
        stored = self._stored(model, ids - set(earlier))
        kept, local, since = [], {}, []
        for row in rows:
            txn = row.raw.get("transaction_id")
            if txn and txn in stored:
                self.counts["already_imported"] += 1
                if row.refund_cents and row.kind == "gift":
                    since.append(row)
            elif txn and (txn in earlier or txn in local):
                self.counts["duplicate"] += 1
            else:
                kept.append(row)
                if txn:
                    # what is left of the gift, for the dry run's check of later refunds
                    local[txn] = row.data.get("amount_cents", 0) - row.refund_cents
        self.seen.add([(kind, t, left) for t, left in local.items()])
        self.refunded_since = since
        return kept

    # --- donors -------------------------------------------------------------------------

    def _donors(self, rows: list[GiftRow]) -> dict:
        wanted: dict[str, set[str]] = {}
        for row in rows:
            for kind, key in row.donor_keys():
                wanted.setdefault(kind, set()).add(key)
        donors = {}
        for kind, keys in wanted.items():
            keys = list(keys)
            for start in range(0, len(keys), LOOKUP):
                for key, contact_id in self._query(kind, keys[start : start + LOOKUP]):
                    donors.setdefault((kind, key), contact_id)
        for kind, keys in wanted.items():
            for key, target in self.seen.lookup("donor-" + kind, keys).items():
                donors.setdefault((kind, key), target)
        return donors

    def _query(self, kind: str, keys: list[str]):
        if kind == "external":
            return db.session.execute(
                select(ExternalId.value, ExternalId.contact_id)
                .where(ExternalId.system == self.system, ExternalId.value.in_(keys))
                .order_by(ExternalId.id.desc())
            ).all()
        if kind in ("email", "phone"):
            column = Contact.email_key if kind == "email" else Contact.phone
            return db.session.execute(
                select(column, Contact.id).where(column.in_(keys)).order_by(Contact.id)
            ).all()
        if kind == "name":
            wanted = set(keys)
            result = db.session.execute(
                select(Contact.postcode_key, Contact.first_name, Contact.last_name, Contact.id)
                .where(Contact.postcode_key.in_({k.split("|", 1)[0] for k in keys}))
                .order_by(Contact.id)
            )
            return [(key, cid) for pc, first, last, cid in result
                    if (key := f"{pc}|{fold(f'{first} {last}')}") in wanted]  # fmt: skip
        return []  # a name without a postcode matches nobody already here

    def _donor_for(self, row: GiftRow, donors: dict, new_donors: list) -> int | None:
        keys = row.donor_keys()
        for key in keys:
            if key in donors:
                return donors[key]
        self.counts["new_donors"] += 1
        contact_id = None
        if not self.dry_run:
            contact = contacts.create_contact({
                "first_name": row.first_name or "Unknown",
                "last_name": row.last_name or "Donor",
                "email": normalise_email(row.raw["email"]) if row.email_key else None,
                "phone": row.phone,
                "postcode": row.raw["postcode"] if row.postcode_key else None,
            })  # fmt: skip
            contact_id = contact.id
            new_donors.append(contact_id)
            if row.raw.get("external_id"):
                db.session.add(ExternalId(contact_id=contact_id, system=self.system,
                                          value=row.raw["external_id"]))  # fmt: skip
        for key in keys:
            donors[key] = contact_id
        self.seen.add([("donor-" + kind, key, contact_id or 0) for kind, key in keys])
        return contact_id

    # --- writing ------------------------------------------------------------------------

    def _write(self, gifts: list[tuple[Donation, GiftRow]], new_donors: list[int]) -> None:
        db.session.add_all(gift for gift, _row in gifts)
        db.session.flush()
        db.session.add_all(
            ImportedGift(donation_id=gift.id, system=self.system,
                         transaction_id=row.raw["transaction_id"])
            for gift, row in gifts if row.raw.get("transaction_id")
        )  # fmt: skip
        refunds = [self._refund(gift, row.refund_cents).id
                   for gift, row in gifts if row.refund_cents]  # fmt: skip
        notes = [self._note(gift, row) for gift, row in gifts if row.note]
        db.session.flush()
        self._record(contact=new_donors, donation=[g.id for g, _ in gifts], note=notes)
        self._record(refund=refunds)
        for gift, _row in gifts:
            db.session.expunge(gift)  # memory stays flat across chunks

    def _refund(self, gift: Donation, cents: int) -> Refund:
        return donations.apply_refund(gift, cents, reason=f"Refunded in {self.system[:200]}",
                                      made_elsewhere=True)  # fmt: skip

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
        rows = self._drop_known_transactions(self.refund_rows, "refund", ImportedRefund)
        self.refund_rows = []
        left = self._gifts_left({r.original for r in rows})
        refunds, links, touched = [], [], {}
        for row in rows:
            gift = left.get(row.original)
            if self.told.get(row.original, 0) >= row.refund_cents:
                self.told[row.original] -= row.refund_cents
                self.counts["duplicate"] += 1
                continue
            if gift is None:
                self._reject(row, f"No gift with the transaction id “{row.original}” was "
                                  f"imported from {self.system}, nor is it in this file: "
                                  "import the gifts first.")  # fmt: skip
                continue
            remaining = gift if isinstance(gift, int) else gift.amount_cents - gift.refunded_cents
            if row.refund_cents > remaining:
                self._reject(row, f"The refund of {self.reader.money(row.refund_cents)} is more "
                                  f"than what is left of gift “{row.original}” "
                                  f"({self.reader.money(remaining)}).")  # fmt: skip
                continue
            self._count_money(0, row.refund_cents)
            if isinstance(gift, int):
                left[row.original] = gift - row.refund_cents
                continue
            touched.setdefault(str(gift.id), gift.updated_at.isoformat())
            refund = self._refund(gift, row.refund_cents)
            if row.data.get("received_at"):
                refund.created_at = row.data["received_at"]  # when it was refunded there
            refunds.append(refund.id)
            if row.raw.get("transaction_id"):
                links.append(ImportedRefund(refund_id=refund.id, system=self.system,
                                            transaction_id=row.raw["transaction_id"]))  # fmt: skip
        db.session.add_all(links)
        db.session.flush()
        # when each gift was last changed before its refunds: the undo puts that back too
        self._record(before=touched, refund=refunds)

    def _catch_up_refunds(self, rows: list[GiftRow]) -> None:
        """Gifts imported before whose row now tells of more refunded (a newer export of the
        same system): the difference is recorded, so the totals follow the other system."""
        gifts = self._imported({r.raw["transaction_id"] for r in rows})
        refunds, touched = [], {}
        for row in rows:
            gift = gifts.get(row.raw["transaction_id"])
            more = row.refund_cents - gift.refunded_cents if gift is not None else 0
            if more <= 0:
                continue
            self._count_money(0, more)
            if not self.dry_run:
                touched.setdefault(str(gift.id), gift.updated_at.isoformat())
                refunds.append(self._refund(gift, more).id)
        self._record(before=touched, refund=refunds)

    def _gifts_left(self, ids: set[str]) -> dict:
        """Transaction id -> the imported gift; on a dry run, the cents left of it (gifts of
        this file are not written then: what is left of them is what the run has seen)."""
        if not self.dry_run:
            return self._imported(ids)
        found = dict(self.seen.lookup("txn", ids))
        for txn, gift in self._imported(ids - set(found)).items():
            found[txn] = gift.amount_cents - gift.refunded_cents
        return found

    def _imported(self, ids: set[str]) -> dict[str, Donation]:
        """Transaction id -> the gift imported with it from this system, if it still counts
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
