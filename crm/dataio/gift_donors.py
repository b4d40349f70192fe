"""Who gave a gift: the donor a row of a gift file names (read_donor), and finding them
(DonorFinder) as contact imports find people: the other system's id, the email, the phone,
then the name and postcode; a name alone only within the file. A donor who is not here yet
is created, if the row gives a name or an email to find them by again."""

from sqlalchemy import select

from crm.contacts import services as contacts
from crm.contacts.models import Contact
from crm.contacts.normalise import fold, normalise_email
from crm.dataio import fastnorm
from crm.dataio.models import ExternalId
from crm.extensions import db

LOOKUP = 1000  # keys per IN (...) query
NAME_LIMIT = 100  # of a first or a last name


def split_name(full: str) -> tuple[str, str]:
    """ "Okafor, Nia" and "Nia Okafor" -> ("Nia", "Okafor"); one word is a first name."""
    if "," in full:
        last, _, first = full.partition(",")
        return first.strip(), last.strip()
    words = full.split()
    if len(words) < 2:
        return full.strip(), ""
    return " ".join(words[:-1]), words[-1]


def read_donor(row, region: str, needed: bool = True) -> None:
    """The donor's email, phone, names and postcode, read into the row's keys."""
    raw = row.raw
    if raw.get("email"):
        try:
            row.email_key = fastnorm.email(raw["email"]).lower()
        except ValueError:
            row.problems.append(f"“{raw['email']}” is not an email address.")
    if raw.get("phone"):
        try:
            row.phone = fastnorm.phone(raw["phone"], region)
        except ValueError:
            # only a reason to refuse when the phone was all there was to find the donor
            if not (raw.get("email") or raw.get("external_id")):
                row.problems.append(f"“{raw['phone']}” is not a phone number.")
    row.first_name, row.last_name = raw.get("first_name") or None, raw.get("last_name") or None
    if raw.get("full_name") and not (row.first_name or row.last_name):
        first, last = split_name(raw["full_name"])
        row.first_name, row.last_name = first or None, last or None
        if len(first) > NAME_LIMIT or len(last) > NAME_LIMIT:
            row.problems.append("A part of the full name is longer than 100 characters.")
    row.postcode_key = (fastnorm.postcode_key(raw.get("postcode")) or "")[:20] or None
    if needed and not row.donor_keys():
        row.problems.append("No donor: the row has no email, phone, name or donor id.")


def nameless(row) -> str:
    """Why a row whose donor is not here, and who could not be found again, is refused."""
    found_by = " or ".join(
        {"external": "id", "phone": "phone"}[kind] for kind, _ in row.donor_keys()
    )
    return (f"No contact here has this {found_by}, and the row gives no name or email "
            "to make the donor from: add the donor first, or map the column with the "
            "name or the email.")  # fmt: skip


class DonorFinder:
    def __init__(self, importer):
        self.importer, self.seen = importer, importer.seen
        self.system, self.dry_run = importer.system, importer.dry_run

    def lookup(self, rows: list) -> dict:
        """(kind, key) -> contact of every way the rows' donors are found: in the
        database, then among the donors earlier rows of the file found or made."""
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

    def donor_for(self, row, donors: dict, new_donors: list) -> int | None:
        """The row's donor: found, or made (a stand-in id on a dry run); None for one
        who could not be found again (no name and no email)."""
        keys = row.donor_keys()
        for key in keys:
            if key in donors:
                return donors[key]
        if not (row.first_name or row.last_name or row.email_key):
            return None  # a donor nobody could find again: see _nameless
        self.importer.counts["new_donors"] += 1
        if self.dry_run:
            contact_id = self.importer.next_stand_in()
        else:
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
        self.seen.add([("donor-" + kind, key, contact_id) for kind, key in keys])
        return contact_id
