"""Contact import. Each chunk of rows is validated and normalised (in a second process for a
large file: pipeline.py), matched against the rows before it in the file (seen.py) and
against the database (one query per kind of key), then written with a few statements: new
people and consent records by COPY on PostgreSQL (by one multi-row insert elsewhere),
changes by one executemany. Matching goes external id, email, phone, then name and postcode;
a matched row fills in and updates the contact, the others create one. Every write is
recorded in the batch so that the import can be undone. On PostgreSQL a chunk is written in
a second thread while the next one is matched (writer.py)."""

import zlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from flask import current_app
from sqlalchemy import JSON, any_, column, func, insert, select, text, update
from sqlalchemy.sql.expression import bindparam

from crm.contacts.models import Contact
from crm.dataio import contact_extras, fastnorm
from crm.dataio.contact_extras import Extras, ExtrasWrite
from crm.dataio.copytext import copy_lines, row_text
from crm.dataio.csvfile import width_problem
from crm.dataio.fastnorm import fold, fold_join, postcode_key
from crm.dataio.models import ConsentMethod, ConsentRecord, ExternalId, ImportChange
from crm.dataio.pipeline import PreparedChunks
from crm.dataio.values import ValueProblem, country_code, parse_bool, parse_date
from crm.extensions import db
from crm.modelbase import utcnow

TEXT_FIELDS = (
    "first_name",
    "last_name",
    "preferred_name",
    "email",
    "phone",
    "address_line1",
    "address_line2",
    "city",
    "region",
    "postcode",
    "country",
)
MUTABLE = (*TEXT_FIELDS, "birth_date", "email_opt_in", "do_not_contact")
STATE = (*MUTABLE, "email_key", "postcode_key", "search_key", "updated_at")
LENGTHS = {
    "first_name": 100,
    "last_name": 100,
    "preferred_name": 100,
    "address_line1": 200,
    "address_line2": 200,
    "city": 100,
    "region": 100,
    "postcode": 20,
}
KEY_ORDER = ("external", "email", "phone", "name")
# A person the file gives no name (an email list's subscriber) is called this, as a gift
# import calls a new donor it knows only by email "Unknown Donor". A contact with one of
# these names counts as nameless: a later file that has the name fills it in.
NAMELESS = ("Unknown", "Contact")
PLACEHOLDER_NAMES = {NAMELESS, ("Unknown", "Donor")}
# A match fills the fields the contact has empty; a different value in one it has filled is
# not written over but listed as a conflict. Opt-in changes are consent, recorded as such.
FILLED_ONLY = (*TEXT_FIELDS, "birth_date")
CONSENT_TOPIC = "email_updates"
LOOKUP_BATCH = (1000, 10_000)  # keys per query: an IN list elsewhere, one array on PostgreSQL


@dataclass(slots=True)
class Prepared:
    line: int
    cells: list[str]
    data: dict = field(default_factory=dict)
    keys: list[tuple[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    external_id: str | None = None
    consent_at: datetime | None = None
    copy: str | None = None  # the new contact this row would make, as COPY text
    extra: dict | None = None  # "organisation", "tags", "note"; "org_row" for an organisation

    def __reduce__(self):
        """Sent between processes as a plain tuple; the cells only matter for a rejection."""
        cells = self.cells if self.problems else None
        fields = (self.data, self.keys, self.problems, self.external_id, self.consent_at)
        return Prepared, (self.line, cells, *fields, self.copy, self.extra)


def _split_name(full: str) -> tuple[str, str]:
    if "," in full:
        last, _, first = full.partition(",")
        return first.strip(), last.strip()
    parts = full.split()
    if len(parts) == 1:
        return "", parts[0]
    return " ".join(parts[:-1]), parts[-1]


def prepare(line: int, cells: list[str], columns, options: dict, copy=False) -> Prepared:
    """Read one row through the mapping: normalised values and the row's problems; with
    `copy`, also the new contact it would make, as COPY text."""
    row = Prepared(line, cells)
    shifted = width_problem(cells, options["width"]) if "width" in options else None
    if shifted:
        row.problems.append(shifted)
        return row
    width = len(cells)
    raw = {name: cells[i] for i, name in columns if i < width and cells[i]}
    organisation, org_row = None, False
    if "organisation" in raw or "contact_type" in raw:
        organisation, org_row = contact_extras.organisation_of(raw)
        if org_row and not organisation:
            row.problems.append("The row is about an organisation but gives no name for it.")
            return row
    if raw.get("full_name") and not (raw.get("first_name") or raw.get("last_name")):
        raw["first_name"], raw["last_name"] = _split_name(raw["full_name"])
    row.data = data = {name: raw[name] for name in TEXT_FIELDS if raw.get(name)}
    _normalise(row, raw, options)
    for name, value in data.items():
        limit = LENGTHS.get(name)
        if limit and len(value) > limit:
            row.problems.append(f"The {name.replace('_', ' ')} is longer than {limit} characters.")
    if organisation or "birth_date" in raw or "tags" in raw or "notes" in raw:
        contact_extras.read_extras(row, raw, options, organisation, org_row)
        if org_row:
            return row
    if not (data.get("first_name") or data.get("last_name") or data.get("email")):
        row.problems.append(_NAMELESS if any(data.values()) else "No name, email or organisation.")
    row.keys = _keys(row)
    if copy and not row.problems:
        row.copy = new_contact_text(row.data)
    return row


_NAMELESS = (
    "No name (first, last or organisation) and no email: a contact with only a phone "
    "or an address could not be found again. Add the name or the email."
)


def _normalise(row: Prepared, raw: dict, options: dict) -> None:
    data = row.data
    if data.get("email"):
        try:
            data["email"] = fastnorm.email(data["email"])
        except ValueError:
            row.problems.append(f"“{data['email']}” is not an email address.")
    if data.get("phone"):
        try:
            data["phone"] = fastnorm.phone(data["phone"], options["region"])
        except ValueError:
            row.problems.append(f"“{data['phone']}” is not a phone number.")
    if data.get("country"):
        country = data["country"]
        code = country_code(country)
        if code is None:
            row.problems.append(f"“{country}” is not a country we know; use its 2-letter code.")
        data["country"] = code
    for name in ("email_opt_in", "do_not_contact"):
        if raw.get(name):
            try:
                data[name] = parse_bool(raw[name])
            except ValueProblem as exc:
                row.problems.append(str(exc))
    if raw.get("consent_date"):
        try:
            day = parse_date(raw["consent_date"], options.get("date_order", ""))
            row.consent_at = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
        except ValueProblem as exc:
            row.problems.append(str(exc))
    row.external_id = raw.get("external_id") or None
    if row.external_id and len(row.external_id) > 120:
        row.problems.append("The id is longer than 120 characters.")


def _keys(row: Prepared) -> list[tuple[str, str]]:
    data, keys = row.data, []
    if row.external_id:
        keys.append(("external", row.external_id))
    email = data.get("email")
    if email:
        keys.append(("email", email.strip().lower()[:254]))
    if data.get("phone"):
        keys.append(("phone", data["phone"]))
    pc = postcode_key(data.get("postcode"))
    if pc:
        name = fold_join(data.get("first_name"), data.get("last_name"))
        if name:
            keys.append(("name", f"{pc[:20]}|{name}"))
    return keys


def derive(state: dict) -> None:
    """The normal forms the Contact model keeps, computed the same way."""
    email = state.get("email")
    state["email_key"] = (email.strip().lower() if email else "")[:254] or None
    state["postcode_key"] = (postcode_key(state.get("postcode")) or "")[:20] or None
    state["search_key"] = fold_join(
        state.get("first_name"), state.get("last_name"), state.get("preferred_name"), email
    )[:600]


NEW_COLUMNS = (*MUTABLE, "email_key", "postcode_key", "search_key")


_NEW_DEFAULTS = {**dict.fromkeys((*TEXT_FIELDS, "birth_date")), "email_opt_in": False,
                 "do_not_contact": False}  # fmt: skip


def new_contact(data: dict) -> dict:
    """A new contact's columns (but its id and times) from a row's values."""
    state = {**_NEW_DEFAULTS, **data}
    if not (state["first_name"] or state["last_name"]):
        state["first_name"], state["last_name"] = NAMELESS
    state["first_name"] = state["first_name"] or ""
    state["last_name"] = state["last_name"] or ""
    derive(state)
    return state


def _same(field_name: str, a, b) -> bool:
    """Whether two values of a field say the same (José and JOSE do)."""
    if isinstance(a, str) and isinstance(b, str):
        if field_name == "postcode":
            return postcode_key(a) == postcode_key(b)
        return fold(a) == fold(b)
    return a == b


def fill(state: dict, data: dict, conflicts: list | None) -> dict:
    """What of a row's values goes into a contact `state`: the fields it has empty (its
    names too when it has a stand-in name), and do-not-contact when the file says so. A
    different value for a field it has filled goes to `conflicts` as (field, kept, file's)."""
    changes = {}
    nameless = (state.get("first_name"), state.get("last_name")) in PLACEHOLDER_NAMES
    if nameless and (data.get("first_name") or data.get("last_name")):
        changes["first_name"] = data.get("first_name") or ""
        changes["last_name"] = data.get("last_name") or ""
    for name in FILLED_ONLY:
        value = data.get(name)
        if value is None or name in changes:
            continue
        current = state.get(name)
        if current is None or current == "":
            changes[name] = value
        elif not _same(name, current, value) and conflicts is not None:
            conflicts.append((name, current, value))
    if "email_opt_in" in data and data["email_opt_in"] != state.get("email_opt_in"):
        changes["email_opt_in"] = data["email_opt_in"]
    if data.get("do_not_contact") and not state.get("do_not_contact"):
        changes["do_not_contact"] = True  # a file never lifts a do-not-contact
    return changes


def new_contact_text(data: dict) -> str:
    state = new_contact(data)
    return row_text([state[name] for name in NEW_COLUMNS])


class _Pending:
    """A new contact made from one row, and from later rows of the same chunk that match it."""

    __slots__ = ("data", "copy", "id", "external_ids", "consent")

    def __init__(self, row: Prepared):
        self.data = row.data
        self.copy = row.copy
        self.id: int | None = None
        self.external_ids: list[str] = []
        self.consent: tuple[bool, datetime | None] | None = None

    def update(self, data: dict, conflicts: list) -> None:
        state = new_contact(self.data) if "first_name" not in self.data else self.data
        changes = fill(state, data, conflicts)
        if changes:
            self.data.update(changes)
            self.copy = None


class ContactImporter:
    entity = "contact"

    def __init__(self, batch, seen, dry_run: bool):
        self.batch, self.seen, self.dry_run = batch, seen, dry_run
        self.columns = [(int(i), f) for i, f in batch.mapping.items() if f]
        self.options = {"region": current_app.config["DEFAULT_PHONE_REGION"], **batch.options}
        self.system = batch.options.get("system") or "import"
        self.batch_id, self.created_by_id = batch.id, batch.created_by_id
        self.options["width"] = len(batch.headers)
        self.counts = {"new": 0, "matched": 0, "duplicate": 0, "invalid": 0}
        self.rejections: list[tuple[int, str, list[str]]] = []
        self._fake_ids = 0
        # On PostgreSQL the chunks are written in a second thread (see writer.py) while the
        # next one is matched here, reading through a connection of its own. What the write
        # in flight holds is not visible there yet: `recent` has it, and the keys are seen.
        self.postgresql = db.session.get_bind().dialect.name == "postgresql"
        self.threaded = self.postgresql
        self.reads = db.engine.connect() if self.threaded else db.session
        self.recent = _RecentStates([], None, [])
        self.copy = self.postgresql and not dry_run  # new contacts go in as COPY text
        self.extras = Extras(self.reads)

    def close(self) -> None:
        if self.reads is not db.session:
            self.reads.close()

    def preview(self, line: int, cells: list[str]) -> Prepared:
        return prepare(line, cells, self.columns, self.options)

    def chunks(self, records, size: int, parallel: bool):
        """The file's rows, read and prepared (in a second process when `parallel`)."""
        columns, options, copy = self.columns, self.options, self.copy
        return PreparedChunks(
            records, lambda line, cells: prepare(line, cells, columns, options, copy), size,
            parallel,
        )  # fmt: skip

    def process(self, chunk: list[Prepared]):
        """Match a chunk against the rows before it and the database; returns the chunk's
        write (None for a dry run), to be run before the next chunk's write."""
        self.new_externals, self.new_consents = [], []
        self.made = {"organisations": [], "tags": [], "links": [], "notes": [],
                     "affiliations": [], "conflicts": []}  # fmt: skip
        rows = []
        for row in chunk:
            if row.problems:
                self.counts["invalid"] += 1
                self.rejections.append((row.line, " ".join(row.problems), row.cells))
            else:
                rows.append(row)
        with_extras = [row for row in rows if row.extra]
        if with_extras:
            self.extras.find_organisations(
                row.extra["organisation"] for row in with_extras if "organisation" in row.extra
            )
            for row in with_extras:
                if "org_row" in row.extra:
                    self._organisation_row(row)
            rows = [row for row in rows if not (row.extra and "org_row" in row.extra)]
        known = self._known(rows)
        self.states = states = self._states(known)
        opt_in_before = {cid: state["email_opt_in"] for cid, state in states.items()}
        local: dict[tuple[str, str], object] = {}
        updates: dict[int, tuple[dict, dict]] = {}
        pending: list[_Pending] = []
        targets_seen = self.seen.lookup("target", [str(t) for t in known["db"].values()])
        for row in rows:
            target, kind = self._match(row, local, known, targets_seen)
            if target is None:
                target = _Pending(row)
                pending.append(target)
                self.counts["new"] += 1
            else:
                self.counts[kind] += 1
            if "email_opt_in" in row.data:
                self._consent(target, row, opt_in_before)
            if kind is not None:
                self._update(target, row, states, updates)
            if row.extra:
                self._extras(target, row)
            if row.external_id:
                self._add_external(target, row.external_id)
            for key in row.keys:
                local.setdefault(key, target)
            if isinstance(target, int):
                targets_seen[str(target)] = target
        write = None if self.dry_run else self._prepare_write(pending, updates)
        if self.reads is not db.session:
            self.reads.commit()  # it wrote nothing; this ends its transaction
        self._remember(local)
        return write

    # --- matching ----------------------------------------------------------------------

    def _known(self, rows: list[Prepared]) -> dict:
        """Targets of the chunk's keys: earlier in the file ("seen") or in the database."""
        by_kind: dict[str, set[str]] = {kind: set() for kind in KEY_ORDER}
        for row in rows:
            for kind, key in row.keys:
                by_kind[kind].add(key)
        seen = {}
        for kind, keys in by_kind.items():
            for key, target in self.seen.lookup(kind, keys).items():
                seen[(kind, key)] = target
        found = {}
        rest = {kind: [k for k in keys if (kind, k) not in seen] for kind, keys in by_kind.items()}
        step = LOOKUP_BATCH[self.postgresql]
        for kind, keys in rest.items():
            for start in range(0, len(keys), step):
                for key, contact_id in self._query(kind, keys[start : start + step]):
                    found.setdefault((kind, key), contact_id)
        self.existing_external = {k for (kind, k) in {**seen, **found} if kind == "external"}
        return {"seen": seen, "db": found, "hit": set()}

    def _query(self, kind: str, keys: list[str]):
        if not keys:
            return []
        if kind == "external":
            return self.reads.execute(
                select(ExternalId.value, ExternalId.contact_id)
                .where(ExternalId.system == self.system, any_of(ExternalId.value, keys))
                .order_by(ExternalId.id)
            ).all()
        if kind in ("email", "phone"):
            column = Contact.email_key if kind == "email" else Contact.phone
            return self.reads.execute(
                select(column, Contact.id).where(any_of(column, keys)).order_by(Contact.id)
            ).all()
        postcodes = list({k.split("|", 1)[0] for k in keys})
        wanted = set(keys)
        result = self.reads.execute(
            select(Contact.postcode_key, Contact.first_name, Contact.last_name, Contact.id)
            .where(any_of(Contact.postcode_key, postcodes))
            .order_by(Contact.id)
        )
        return [(key, cid) for pc, first, last, cid in result
                if (key := f"{pc}|{fold(f'{first} {last}')}") in wanted]  # fmt: skip

    def _match(self, row: Prepared, local, known, targets_seen):
        for key in row.keys:
            if key in local:
                target, kind = local[key], "duplicate"
            elif key in known["seen"]:
                target, kind = known["seen"][key], "duplicate"
            elif key in known["db"]:
                target = known["db"][key]
                kind = "duplicate" if str(target) in targets_seen else "matched"
            else:
                continue
            if key[0] in ("phone", "name") and not self._same_person(row, target, key[0]):
                continue
            if key not in local:
                known["hit"].add(key)
            return target, kind
        return None, None

    def _same_person(self, row: Prepared, target, kind: str) -> bool:
        """A shared phone or the same name at the same postcode is the same person only if
        the emails (and, for the name, the phones) do not differ: two people of one name
        live in one town, and a household shares its landline."""
        email, phone, checksums = self._ident(target)
        row_email = (row.data.get("email") or "").lower() or None
        row_phone = row.data.get("phone")
        if checksums:
            row_email = row_email and zlib.crc32(row_email.encode())
            row_phone = row_phone and zlib.crc32(row_phone.encode())
        if row_email and email and row_email != email:
            return False
        return not (kind == "name" and row_phone and phone and row_phone != phone)

    def _ident(self, target) -> tuple:
        if isinstance(target, _Pending):
            return (target.data.get("email") or "").lower(), target.data.get("phone"), False
        state = self.states.get(target)
        if state is not None:
            return state["email_key"], state["phone"], False
        if target < 0:  # a new contact of the dry run, in an earlier chunk: checksums
            found = {kind: self.seen.lookup(kind, [str(target)]).get(str(target))
                     for kind in ("email_of", "phone_of")}  # fmt: skip
            return found["email_of"], found["phone_of"], True
        return None, None, False

    def _states(self, known: dict) -> dict[int, dict]:
        ids = {t for t in {*known["seen"].values(), *known["db"].values()} if t > 0}
        states = {}
        for contact_id in ids:
            if contact_id in self.recent:
                state = self.recent[contact_id]
                states[contact_id] = {name: state[name] for name in STATE}
        ids = [i for i in ids if i not in states]
        columns = [Contact.__table__.c[name] for name in STATE]
        for start in range(0, len(ids), 1000):
            query = select(Contact.id, *columns).where(Contact.id.in_(ids[start : start + 1000]))
            for row in self.reads.execute(query):
                states[row[0]] = dict(zip(STATE, row[1:], strict=True))
        return states

    def _update(self, target, row: Prepared, states, updates) -> None:
        conflicts = []
        if isinstance(target, _Pending):
            target.update(row.data, conflicts)
            self._conflicts(target, row, conflicts)
            return
        state = states.get(target)
        if state is None:  # a new contact of the dry run, or one deleted since
            if target < 0:  # what the row fills in tells its namesakes apart (_same_person)
                self.seen.add(_checksums(target, row.data))
            return
        changes = fill(state, row.data, conflicts)
        self._conflicts(target, row, conflicts)
        if not changes:
            return
        if target not in updates:
            updates[target] = (dict(state), state)
        state.update(changes)
        derive(state)

    def _conflicts(self, target, row: Prepared, conflicts: list) -> None:
        # Not counted with the rows: a dry run knows too little of the people it would make
        # to find the conflicts with them.
        self.made["conflicts"] += [(target, row.line, *c) for c in conflicts]

    def _organisation_row(self, row: Prepared) -> None:
        organisation, made = self.extras.organisation(row.extra["organisation"],
                                                      row.extra["org_row"])  # fmt: skip
        count = "organisations" if made else "organisations_matched"
        self.counts[count] = self.counts.get(count, 0) + 1
        if made:
            self.made["organisations"].append(organisation)

    def _extras(self, target, row: Prepared) -> None:
        """The person's tags, note and employer."""
        extra, made = row.extra, self.made
        for name in extra.get("tags", ()):
            tag, new = self.extras.tag(name)
            if new:
                made["tags"].append(tag)
            made["links"].append((target, tag))
        if "note" in extra:
            made["notes"].append((target, extra["note"]))
        if "organisation" in extra:
            organisation, new = self.extras.organisation(extra["organisation"])
            if new:
                made["organisations"].append(organisation)
                self.counts["organisations"] = self.counts.get("organisations", 0) + 1
            made["affiliations"].append((target, organisation))

    def _add_external(self, target, value: str) -> None:
        if value in self.existing_external:
            return
        self.existing_external.add(value)
        if isinstance(target, _Pending):
            target.external_ids.append(value)
        else:
            self.new_externals.append((target, value))

    def _consent(self, target, row: Prepared, opt_in_before: dict) -> None:
        """A consent record for a new person's opt-in, or for a change of an existing one's."""
        granted = row.data["email_opt_in"]
        if isinstance(target, _Pending):
            target.consent = (granted, row.consent_at)
        elif target in opt_in_before and opt_in_before[target] != granted:
            opt_in_before[target] = granted
            self.new_consents.append((target, granted, row.consent_at))

    def _remember(self, local) -> None:
        """Keep the chunk's keys for the rows after it. An existing contact is also kept by its
        id, so that a later row reaching it through a key of its own counts as a duplicate."""
        entries = []
        for (kind, key), target in local.items():
            if isinstance(target, _Pending):
                if target.id is None:  # dry run: a new contact gets a stand-in id
                    self._fake_ids -= 1
                    target.id = self._fake_ids
                    entries += _checksums(target.id, target.data)
                entries.append((kind, key, target.id))
            else:
                entries.append((kind, key, target))
                entries.append(("target", str(target), target))
        self.seen.add(entries)

    # --- writing -------------------------------------------------------------------------

    def _prepare_write(self, pending: list[_Pending], updates: dict):
        """Everything the chunk writes, with the new contacts' ids taken now (on SQLite the
        write runs at once and gives them). Returns the write if it is left to run later."""
        now = utcnow()
        if self.postgresql:
            ids = next_ids(self.reads, Contact.__table__, len(pending))
            for p, new_id in zip(pending, ids, strict=True):
                p.id = new_id
            stamp = now.isoformat()
            created = [f"{p.id}\t{p.copy or new_contact_text(p.data)}\t{stamp}\t{stamp}\n"
                       for p in pending]  # fmt: skip
        else:
            created = [{**new_contact(p.data), "created_at": now, "updated_at": now}
                       for p in pending]  # fmt: skip
        changed = []
        for contact_id, (before, after) in updates.items():
            after["updated_at"] = now
            changed.append((contact_id, _json(before), after))
        externals = [(p, v) for p in pending for v in p.external_ids]
        consents = [(p, *p.consent) for p in pending if p.consent]
        write = _Write(self, pending, created, changed, externals + self.new_externals,
                       consents + self.new_consents, now)  # fmt: skip
        if any(self.made.values()):
            write.extras = ExtrasWrite(**self.made, author_id=self.created_by_id)
        if not self.threaded:
            write()
        # What the next chunk must see of this one before it is committed (see __init__).
        self.recent = _RecentStates(pending, now, changed)
        return write if self.threaded else None


def _checksums(contact_id: int, data: dict) -> list[tuple[str, str, int]]:
    """A dry run's new contact's email and phone, as numbers that fit the seen keys, for
    telling later rows of its name and postcode apart (see _same_person). The first of each
    stays, as a row fills only what the contact has empty."""
    email, phone = (data.get("email") or "").lower(), data.get("phone")
    return [(kind, str(contact_id), zlib.crc32(value.encode()))
            for kind, value in (("email_of", email), ("phone_of", phone)) if value]  # fmt: skip


class _RecentStates:
    """The states the last chunk's write leaves (new contacts are worked out when asked)."""

    def __init__(self, pending, now, changed):
        self.pending = {p.id: p for p in pending}
        self.changed = {contact_id: after for contact_id, _, after in changed}
        self.now = now

    def __contains__(self, contact_id) -> bool:
        return contact_id in self.pending or contact_id in self.changed

    def __getitem__(self, contact_id) -> dict:
        if contact_id in self.changed:
            return self.changed[contact_id]
        return {**new_contact(self.pending[contact_id].data), "updated_at": self.now}


class _Write:
    """One chunk's writes: new contacts (COPY on PostgreSQL), changes, other systems' ids and
    consent records, each noted in the batch for the undo."""

    def __init__(self, importer, pending, created, changed, externals, consents, now):
        self.batch_id, self.system, self.copy = importer.batch_id, importer.system, importer.copy
        self.created_by_id = importer.created_by_id
        self.pending, self.created, self.changed = pending, created, changed
        self.externals, self.consents, self.now = externals, consents, now
        self.extras = None
        self.records: list[dict] = []

    def __call__(self) -> None:
        table = Contact.__table__
        if self.created and self.copy:
            columns = ("id", *NEW_COLUMNS, "created_at", "updated_at")
            copy_lines(db.session.connection(), table.name, columns, self.created)
            self.record("contact", "created", [p.id for p in self.pending])
        elif self.created:
            ids = insert_rows(table, self.created)
            for p, new_id in zip(self.pending, ids, strict=True):
                p.id = new_id
            self.record("contact", "created", ids)
        if self.changed:
            # One note for the chunk: each contact's values before, and the time it was
            # written (by which the undo tells whether someone edited it since).
            self.record(
                "contact", "updated", [contact_id for contact_id, _, _ in self.changed],
                {str(contact_id): before for contact_id, before, _ in self.changed},
                {str(contact_id): after["updated_at"].isoformat()
                 for contact_id, _, after in self.changed},
            )  # fmt: skip
            update_contacts({contact_id: after for contact_id, _, after in self.changed})
        if self.externals:
            rows = [{"contact_id": _id(c), "system": self.system, "value": v}
                    for c, v in self.externals]  # fmt: skip
            self.record("external_id", "created", insert_rows(ExternalId.__table__, rows))
        if self.consents:
            note = f"Import #{self.batch_id}"
            rows = [{"contact_id": _id(c), "topic": CONSENT_TOPIC, "granted": granted,
                     "given_at": at or self.now, "method": ConsentMethod.IMPORT.value,
                     "recorded_at": self.now, "note": note,
                     "recorded_by_id": self.created_by_id}
                    for c, granted, at in self.consents]  # fmt: skip
            self.record("consent", "created", insert_rows(ConsentRecord.__table__, rows))
        if self.extras is not None:
            self.extras(self)
        if self.records:
            db.session.execute(insert(ImportChange.__table__), self.records)

    def record(self, entity, action, ids, before=None, after=None) -> None:
        self.records.append(
            {"batch_id": self.batch_id, "entity": entity, "action": action,
             "entity_ids": list(ids), "before": before, "after": after}
        )  # fmt: skip


def update_contacts(states: dict[int, dict]) -> None:
    """Write contacts' stored columns (STATE) by id: one statement on PostgreSQL, which
    reads the rows from one JSON parameter."""
    table = Contact.__table__
    if not states:
        return
    if db.session.get_bind().dialect.name != "postgresql":
        db.session.execute(
            update(table).where(table.c.id == bindparam("b_id")),
            [{"b_id": contact_id, **state} for contact_id, state in states.items()],
        )
        return
    names = ("id", *STATE)
    payload = [{"id": contact_id, **_json(state)} for contact_id, state in states.items()]
    rows = (
        func.json_to_recordset(bindparam(None, payload, JSON))
        .table_valued(*(column(name, table.c[name].type) for name in names))
        .render_derived("changed", with_types=True)
    )
    db.session.execute(
        update(table).where(table.c.id == rows.c.id).values({n: rows.c[n] for n in STATE})
    )


def _id(target) -> int:
    return target.id if isinstance(target, _Pending) else target


def next_ids(connection, table, count: int) -> list[int]:
    """`count` ids from a PostgreSQL table's sequence."""
    if not count:
        return []
    sequence = connection.execute(
        text("SELECT pg_get_serial_sequence(:table, 'id')"), {"table": table.name}
    ).scalar_one()
    # The name is the database's own; as a literal it is resolved once, not once per row.
    literal = sequence.replace("'", "''")
    query = text(f"SELECT array_agg(nextval('{literal}')) FROM generate_series(1, :n)")
    return connection.execute(query, {"n": count}).scalar_one()


def any_of(column, values: list[str]):
    """`column IN values`. On PostgreSQL the values go as one JSON array: a single parameter
    that is parsed and planned the same way however many values there are, and that costs
    far less to send than a thousand parameters or an array of them."""
    if db.session.get_bind().dialect.name == "postgresql":
        array = func.array(
            select(func.json_array_elements_text(bindparam(None, values, JSON))).scalar_subquery()
        )
        return column == any_(array)
    return column.in_(values)


def insert_rows(table, rows: list[dict]) -> list[int]:
    """Insert rows and return their ids in order. On PostgreSQL the ids are taken from the
    sequence first and the rows sent with COPY, many times faster than INSERT."""
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        return (
            connection.execute(
                insert(table).returning(table.c.id, sort_by_parameter_order=True), rows
            )
            .scalars()
            .all()
        )
    ids = next_ids(connection, table, len(rows))
    # Columns that no row sets are left to their defaults.
    columns = [name for name in rows[0] if any(row[name] is not None for row in rows)]
    lines = [f"{new_id}\t{row_text([row[name] for name in columns])}\n"
             for new_id, row in zip(ids, rows, strict=True)]  # fmt: skip
    copy_lines(connection, table.name, ["id", *columns], lines)
    return ids


def _json(state: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in state.items()}
