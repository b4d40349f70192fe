"""What a contact row brings besides the person: the organisation it names (a row about an
organisation makes or finds one; a person's employer becomes an affiliation), tags and a
note. These are few next to the people, so they are written with plain inserts, after the
chunk's contacts, each noted in the batch for the undo."""

import re
from datetime import date

from sqlalchemy import delete, exists, insert, select, tuple_

from crm.contacts.models import Affiliation, Note, Organisation, OrganisationType, Tag
from crm.contacts.models import contact_tags as contact_tags_table
from crm.dataio.fastnorm import fold
from crm.dataio.values import ValueProblem, parse_date
from crm.extensions import db
from crm.modelbase import utcnow

ORGANISATION_FIELDS = ("email", "phone", "address_line1", "address_line2", "city", "region",
                       "postcode", "country")  # fmt: skip
# The values of a "type" column that say the row is an organisation, as Bloomerang,
# CiviCRM, Little Green Light and Salesforce write them.
_ORGANISATION_TYPES = {"organization", "organisation", "org", "company", "business",
                       "corporation", "foundation", "church", "school", "institution",
                       "nonprofit", "non profit", "group", "organizational"}  # fmt: skip
_PERSON_TYPES = {"individual", "person", "people", "donor", "contact", "household"}
# Salesforce NPSP gives every person an "Account Name" like "Lee Household": not an employer.
_HOUSEHOLD = re.compile(r"\b(household|family)$")
_TYPE_WORDS = (
    (OrganisationType.SCHOOL, r"school|academy|college|university|district|isd"),
    (OrganisationType.FAITH_GROUP,
     r"church|mosque|synagogue|temple|parish|ministr(y|ies)|chapel|congregation|fellowship"
     r"|eglise|iglesia|kirche|masjid|gurdwara|cathedral|diocese"),
    (OrganisationType.AGENCY, r"police|sheriff|department|county|city of|state of|agency"),
    (OrganisationType.BUSINESS, r"inc|llc|ltd|corp|corporation|company|co|gmbh|plc|bank"),
    (OrganisationType.COMMUNITY, r"club|association|rotary|lions|league|society"),
)  # fmt: skip
TAG_LENGTH = 60


def type_says(value: str | None) -> str | None:
    """ "organisation", "person" or None (blank or a value we do not know)."""
    text = fold(value or "")
    if text in _ORGANISATION_TYPES or text in ("true", "yes", "y", "1"):
        return "organisation"
    if text in _PERSON_TYPES or text in ("false", "no", "n", "0"):
        return "person"
    return None


def employer_name(value: str | None) -> str | None:
    if not value or _HOUSEHOLD.search(fold(value)):
        return None
    return value


def organisation_type(name: str) -> OrganisationType:
    text = fold(name)
    for kind, words in _TYPE_WORDS:
        if re.search(rf"\b({words})\b\.?", text):
            return kind
    return OrganisationType.OTHER


def split_tags(value: str) -> list[str]:
    separator = ";" if ";" in value else ","
    # Mailchimp quotes each tag: "Newsletter","Gala 2023"
    names = (name.strip().strip('"').strip() for name in value.split(separator))
    return list(dict.fromkeys(name for name in names if name))


def organisation_of(raw: dict) -> tuple[str | None, bool]:
    """The organisation a row names, and whether the row is about it rather than a person
    there. A row whose type says organisation, or that names one and no person, is about
    the organisation: its name may stand in the name columns (Bloomerang's "Name", a
    CiviCRM "Display Name"), which then name no person."""
    says = type_says(raw.get("contact_type"))
    named = employer_name(raw.get("organisation"))
    if says == "organisation":
        person = " ".join(p for p in (raw.get("first_name"), raw.get("last_name")) if p)
        named = named or raw.get("full_name") or person or None
        for name in ("first_name", "last_name", "full_name", "preferred_name"):
            raw.pop(name, None)
        return named, True
    if (
        says is None
        and named
        and not (raw.get("first_name") or raw.get("last_name") or raw.get("full_name"))
    ):
        return named, True
    return named, False


def read_extras(row, raw: dict, options: dict, organisation, org_row: bool) -> None:
    """The birth date, tags, the note and the organisation."""
    extra = {}
    if raw.get("birth_date"):
        try:
            born = parse_date(raw["birth_date"], options.get("date_order", ""))
        except ValueProblem as exc:
            if not _YEARLESS.match(raw["birth_date"]):
                row.problems.append(f"Date of birth: {exc}")
        else:
            if born > date.today():
                row.problems.append(f"Date of birth: “{raw['birth_date']}” is in the future.")
            row.data["birth_date"] = born
    if raw.get("tags"):
        extra["tags"] = tags = split_tags(raw["tags"])
        long = [t for t in tags if len(t) > TAG_LENGTH]
        if long:
            row.problems.append(f"The tag “{long[0][:80]}” is longer than 60 characters.")
    if raw.get("notes"):
        extra["note"] = raw["notes"]  # kept whole, however long
    if organisation:
        if len(organisation) > 200:
            row.problems.append("The organisation's name is longer than 200 characters.")
        extra["organisation"] = organisation
        if org_row:
            extra["org_row"] = {f: row.data[f] for f in ORGANISATION_FIELDS
                                if row.data.get(f)}  # fmt: skip
            if "note" in extra:
                extra["org_row"]["note"] = extra["note"]
            row.data = {}
    row.extra = extra or None


# Mailchimp's birthday merge field has no year ("04/17"); there is no date to keep.
_YEARLESS = re.compile(r"^\s*\d{1,2}[-/.]\d{1,2}\s*$")


class PendingOrganisation:
    """An organisation the import makes; `id` once written."""

    __slots__ = ("data", "id")

    def __init__(self, data: dict):
        self.data, self.id = data, None


class PendingTag:
    __slots__ = ("name", "id")

    def __init__(self, name: str):
        self.name, self.id = name, None


def ident(target) -> int:
    return target if isinstance(target, int) else target.id


class Extras:
    """The organisations, tags, notes and links of one import, gathered chunk by chunk."""

    def __init__(self, reads):
        self.reads = reads
        self.organisations: dict[str, object] = {}  # name key -> id or PendingOrganisation
        self.tags = {t.name.lower(): t.id for t in db.session.scalars(select(Tag))}

    def find_organisations(self, names) -> None:
        """Look up the chunk's organisation names not met before, in one query."""
        wanted = list({fold(n)[:200] for n in names} - self.organisations.keys())
        if wanted:
            from crm.dataio.contact_import import any_of  # one place for the IN-list rules

            query = (
                select(Organisation.name_key, Organisation.id)
                .where(any_of(Organisation.name_key, wanted))
                .order_by(Organisation.id.desc())
            )
            for key, org_id in self.reads.execute(query):
                self.organisations[key] = org_id  # the oldest, last, stays

    def organisation(self, name: str, data: dict | None = None):
        """(the organisation by that name, whether the import makes it)."""
        key = fold(name)[:200]
        found = self.organisations.get(key)
        if found is not None:
            if isinstance(found, PendingOrganisation) and data:
                for field, value in data.items():
                    found.data.setdefault(field, value)
            return found, False
        made = PendingOrganisation({**(data or {}), "name": name})
        self.organisations[key] = made
        return made, True

    def tag(self, name: str):
        found = self.tags.get(name.lower())
        if found is None:
            found = self.tags[name.lower()] = PendingTag(name)
            return found, True
        return found, False


class ExtrasWrite:
    """One chunk's organisations, tags, notes and links, written after its contacts."""

    def __init__(self, organisations, tags, links, notes, affiliations, conflicts, author_id):
        self.organisations, self.tags, self.links = organisations, tags, links
        self.notes, self.affiliations, self.conflicts = notes, affiliations, conflicts
        self.author_id = author_id

    def __call__(self, write) -> None:
        from crm.dataio.contact_import import insert_rows

        now = utcnow()
        if self.organisations:
            rows = [{"name": o.data["name"][:200], "name_key": fold(o.data["name"])[:200],
                     "type": organisation_type(o.data["name"]).value,
                     "notes": o.data.get("note"), "created_at": now, "updated_at": now,
                     **{f: o.data.get(f) for f in ORGANISATION_FIELDS}}
                    for o in self.organisations]  # fmt: skip
            ids = insert_rows(Organisation.__table__, rows)
            for organisation, new_id in zip(self.organisations, ids, strict=True):
                organisation.id = new_id
            write.record("organisation", "created", ids)
        if self.tags:
            ids = insert_rows(Tag.__table__, [{"name": t.name} for t in self.tags])
            for tag, new_id in zip(self.tags, ids, strict=True):
                tag.id = new_id
            write.record("tag", "created", ids)
        if self.links:
            pairs = {(ident(c), ident(t)) for c, t in self.links}
            added = _insert_new(contact_tags_table, ("contact_id", "tag_id"), pairs)
            if added:
                write.record("contact_tag", "created", [i for pair in added for i in pair])
        if self.affiliations:
            pairs = {(ident(c), ident(o)) for c, o in self.affiliations}
            added = _insert_new(Affiliation.__table__, ("contact_id", "organisation_id"), pairs)
            if added:
                table = Affiliation.__table__
                ids = db.session.scalars(
                    select(table.c.id).where(
                        tuple_(table.c.contact_id, table.c.organisation_id).in_(added)
                    )
                ).all()
                write.record("affiliation", "created", ids)
        if self.notes:
            self._write_notes(write, now)
        if self.conflicts:
            from crm.dataio.models import ImportConflict

            rows = [{"batch_id": write.batch_id, "contact_id": ident(c), "line": line,
                     "field": field, "kept": _text(kept), "in_file": _text(in_file)}
                    for c, line, field, kept, in_file in self.conflicts]  # fmt: skip
            db.session.execute(insert(ImportConflict.__table__), rows)

    def _write_notes(self, write, now) -> None:
        """A note the contact already has (the same file imported again) is not added twice."""
        wanted = {(ident(c), body) for c, body in self.notes}
        ids = list({contact_id for contact_id, _ in wanted})
        table = Note.__table__
        for start in range(0, len(ids), 1000):
            query = select(table.c.contact_id, table.c.body).where(
                table.c.contact_id.in_(ids[start : start + 1000])
            )
            wanted -= set(db.session.execute(query).tuples())
        if wanted:
            from crm.dataio.contact_import import insert_rows

            rows = [{"contact_id": contact_id, "body": body, "author_id": self.author_id,
                     "created_at": now} for contact_id, body in sorted(wanted)]  # fmt: skip
            write.record("note", "created", insert_rows(table, rows))


def _insert_new(table, names: tuple[str, str], pairs: set[tuple[int, int]]) -> list:
    """Insert the link pairs that are not there yet; returns those inserted."""
    columns = [table.c[n] for n in names]
    pairs = sorted(pairs)
    present = set()
    for start in range(0, len(pairs), 500):
        part = pairs[start : start + 500]
        present.update(
            db.session.execute(select(*columns).where(tuple_(*columns).in_(part))).tuples()
        )
    new = [pair for pair in pairs if pair not in present]
    if new:
        db.session.execute(insert(table), [dict(zip(names, pair, strict=True)) for pair in new])
    return new


def _text(value) -> str:
    if value is None:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def undo_links(entity: str, ids: list[int]) -> None:
    """Take back links and tags an import added: tags only while nobody else uses them."""
    if entity == "contact_tag":
        pairs = list(zip(ids[::2], ids[1::2], strict=True))
        table, columns = contact_tags_table, contact_tags_table.c
        for start in range(0, len(pairs), 500):
            db.session.execute(
                delete(table).where(
                    tuple_(columns.contact_id, columns.tag_id).in_(pairs[start : start + 500])
                )
            )
    elif entity == "tag":
        used = exists().where(contact_tags_table.c.tag_id == Tag.id)
        db.session.execute(delete(Tag).where(Tag.id.in_(ids), ~used))
