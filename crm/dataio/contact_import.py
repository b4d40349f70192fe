"""Contact import. Each chunk of rows is validated and normalised, matched against the rows
before it in the file (a scratch store on disk) and against the database (one query per
kind of key), then written with a few statements: new people by one multi-row insert,
changes by one executemany. Matching goes external id, email, phone, then name and postcode;
a matched row fills in and updates the contact, the others create one. Every write is
recorded in the batch so that the import can be undone."""

from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import insert, select, update
from sqlalchemy.sql.expression import bindparam

from crm.contacts.models import Contact
from crm.contacts.normalise import postcode_key
from crm.dataio import fastnorm
from crm.dataio.fastnorm import fold
from crm.dataio.models import ConsentMethod, ConsentRecord, ExternalId, ImportChange
from crm.dataio.values import ValueProblem, parse_bool, parse_date
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
MUTABLE = (*TEXT_FIELDS, "email_opt_in", "do_not_contact")
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
COUNTRIES = {"usa": "US", "united states": "US", "united states of america": "US", "us": "US",
             "canada": "CA", "united kingdom": "GB", "uk": "GB", "great britain": "GB",
             "england": "GB", "scotland": "GB", "wales": "GB", "ireland": "IE",
             "mexico": "MX", "france": "FR", "germany": "DE", "spain": "ES",
             "australia": "AU", "new zealand": "NZ", "india": "IN"}  # fmt: skip
KEY_ORDER = ("external", "email", "phone", "name")
CONSENT_TOPIC = "email_updates"


@dataclass
class Prepared:
    line: int
    cells: list[str]
    data: dict = field(default_factory=dict)
    keys: list[tuple[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    external_id: str | None = None
    consent_at: datetime | None = None


def _split_name(full: str) -> tuple[str, str]:
    if "," in full:
        last, _, first = full.partition(",")
        return first.strip(), last.strip()
    parts = full.split()
    if len(parts) == 1:
        return "", parts[0]
    return " ".join(parts[:-1]), parts[-1]


def prepare(line: int, cells: list[str], columns, options: dict) -> Prepared:
    """Read one row through the mapping: normalised values and the row's problems."""
    row = Prepared(line, cells)
    raw = {name: (cells[i] if i < len(cells) else "") for i, name in columns}
    if raw.get("full_name") and not (raw.get("first_name") or raw.get("last_name")):
        raw["first_name"], raw["last_name"] = _split_name(raw["full_name"])
    for name in TEXT_FIELDS:
        value = raw.get(name, "")
        if value:
            row.data[name] = value
    _normalise(row, raw, options)
    if not (row.data.get("first_name") or row.data.get("last_name")):
        row.problems.append("No name.")
    for name, limit in LENGTHS.items():
        if len(row.data.get(name) or "") > limit:
            row.problems.append(f"The {name.replace('_', ' ')} is longer than {limit} characters.")
    row.keys = _keys(row)
    return row


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
        code = country.upper() if len(country) == 2 else COUNTRIES.get(fold(country))
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
    if data.get("email"):
        keys.append(("email", data["email"].strip().lower()[:254]))
    if data.get("phone"):
        keys.append(("phone", data["phone"]))
    pc = postcode_key(data.get("postcode"))
    name = fold(f"{data.get('first_name', '')} {data.get('last_name', '')}")
    if pc and name:
        keys.append(("name", f"{pc[:20]}|{name}"))
    return keys


def derive(state: dict) -> None:
    """The normal forms the Contact model keeps, computed the same way."""
    email = state.get("email")
    state["email_key"] = (email.strip().lower() if email else "")[:254] or None
    state["postcode_key"] = (postcode_key(state.get("postcode")) or "")[:20] or None
    parts = [state.get(f) for f in ("first_name", "last_name", "preferred_name", "email")]
    state["search_key"] = fold(" ".join(p for p in parts if p))[:600]


class _Pending:
    """A new contact made from one row, and from later rows of the same chunk that match it."""

    def __init__(self, data: dict):
        self.data = {name: None for name in TEXT_FIELDS}
        self.data.update(email_opt_in=False, do_not_contact=False)
        self.data.update(data)
        self.id: int | None = None
        self.external_ids: list[str] = []
        self.consent: tuple[bool, datetime | None] | None = None


class ContactImporter:
    entity = "contact"

    def __init__(self, batch, seen, dry_run: bool):
        self.batch, self.seen, self.dry_run = batch, seen, dry_run
        self.columns = [(int(i), f) for i, f in batch.mapping.items() if f]
        self.options = {"region": current_app.config["DEFAULT_PHONE_REGION"], **batch.options}
        self.system = batch.options.get("system") or "import"
        self.counts = {"new": 0, "matched": 0, "duplicate": 0, "invalid": 0}
        self.rejections: list[tuple[int, str, list[str]]] = []
        self._fake_ids = 0

    def preview(self, line: int, cells: list[str]) -> Prepared:
        return prepare(line, cells, self.columns, self.options)

    def process(self, chunk: list[tuple[int, list[str]]]) -> None:
        self.new_externals, self.new_consents = [], []
        rows = []
        for line, cells in chunk:
            row = prepare(line, cells, self.columns, self.options)
            if row.problems:
                self.counts["invalid"] += 1
                self.rejections.append((line, " ".join(row.problems), cells))
            else:
                rows.append(row)
        known = self._known(rows)
        states = self._states(known)
        opt_in_before = {cid: state["email_opt_in"] for cid, state in states.items()}
        local: dict[tuple[str, str], object] = {}
        updates: dict[int, tuple[dict, dict]] = {}
        pending: list[_Pending] = []
        targets_seen = self.seen.lookup("target", [str(t) for t in known["db"].values()])
        for row in rows:
            target, kind = self._match(row, local, known, targets_seen)
            if target is None:
                target = _Pending(row.data)
                pending.append(target)
                self.counts["new"] += 1
            else:
                self.counts[kind] += 1
            if "email_opt_in" in row.data:
                self._consent(target, row, opt_in_before)
            if kind is not None:
                self._update(target, row, states, updates)
            if row.external_id:
                self._add_external(target, row.external_id)
            for key in row.keys:
                local.setdefault(key, target)
            if isinstance(target, int):
                targets_seen[str(target)] = target
        if not self.dry_run:
            self._write(pending, updates)
        self._remember(local)

    # --- matching ----------------------------------------------------------------------

    def _known(self, rows: list[Prepared]) -> dict:
        """Targets of the chunk's keys: earlier in the file ("seen") or in the database."""
        by_kind = {kind: {k for r in rows for kd, k in r.keys if kd == kind} for kind in KEY_ORDER}
        seen = {}
        for kind, keys in by_kind.items():
            for key, target in self.seen.lookup(kind, keys).items():
                seen[(kind, key)] = target
        found = {}
        rest = {kind: [k for k in keys if (kind, k) not in seen] for kind, keys in by_kind.items()}
        for kind, keys in rest.items():
            for start in range(0, len(keys), 1000):
                for key, contact_id in self._query(kind, keys[start : start + 1000]):
                    found.setdefault((kind, key), contact_id)
        self.existing_external = {k for (kind, k) in {**seen, **found} if kind == "external"}
        return {"seen": seen, "db": found, "hit": set()}

    def _query(self, kind: str, keys: list[str]):
        if not keys:
            return []
        if kind == "external":
            return db.session.execute(
                select(ExternalId.value, ExternalId.contact_id)
                .where(ExternalId.system == self.system, ExternalId.value.in_(keys))
                .order_by(ExternalId.id)
            ).all()
        if kind in ("email", "phone"):
            column = Contact.email_key if kind == "email" else Contact.phone
            return db.session.execute(
                select(column, Contact.id).where(column.in_(keys)).order_by(Contact.id)
            ).all()
        postcodes = {k.split("|", 1)[0] for k in keys}
        wanted = set(keys)
        result = db.session.execute(
            select(Contact.postcode_key, Contact.first_name, Contact.last_name, Contact.id)
            .where(Contact.postcode_key.in_(postcodes))
            .order_by(Contact.id)
        )
        return [(key, cid) for pc, first, last, cid in result
                if (key := f"{pc}|{fold(f'{first} {last}')}") in wanted]  # fmt: skip

    def _match(self, row: Prepared, local, known, targets_seen):
        for key in row.keys:
            if key in local:
                return local[key], "duplicate"
            if key in known["seen"]:
                known["hit"].add(key)
                return known["seen"][key], "duplicate"
            if key in known["db"]:
                known["hit"].add(key)
                target = known["db"][key]
                return target, "duplicate" if str(target) in targets_seen else "matched"
        return None, None

    def _states(self, known: dict) -> dict[int, dict]:
        ids = [t for t in {*known["seen"].values(), *known["db"].values()} if t > 0]
        states = {}
        columns = [Contact.__table__.c[name] for name in STATE]
        for start in range(0, len(ids), 1000):
            query = select(Contact.id, *columns).where(Contact.id.in_(ids[start : start + 1000]))
            for row in db.session.execute(query):
                states[row[0]] = dict(zip(STATE, row[1:], strict=True))
        return states

    def _update(self, target, row: Prepared, states, updates) -> None:
        if isinstance(target, _Pending):
            target.data.update(row.data)
            return
        state = states.get(target)
        if state is None:
            return  # a new contact of the dry run, or one deleted since
        changes = {k: v for k, v in row.data.items() if v is not None and state.get(k) != v}
        if not changes:
            return
        if target not in updates:
            updates[target] = (dict(state), state)
        state.update(changes)
        derive(state)

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
        entries = []
        for (kind, key), target in local.items():
            target_id = target.id if isinstance(target, _Pending) else target
            if target_id is None:  # dry run: a new contact gets a stand-in id
                self._fake_ids -= 1
                target.id = target_id = self._fake_ids
            entries.append((kind, key, target_id))
            entries.append(("target", str(target_id), target_id))
        self.seen.add(entries)

    # --- writing -------------------------------------------------------------------------

    def _write(self, pending: list[_Pending], updates: dict) -> None:
        now = utcnow()
        table = Contact.__table__
        if pending:
            rows = []
            for p in pending:
                state = dict(p.data)
                for name in ("first_name", "last_name"):
                    state[name] = state.get(name) or ""
                derive(state)
                rows.append({**state, "created_at": now, "updated_at": now,
                             "stripe_customer_id": None})  # fmt: skip
            ids = insert_rows(table, rows)
            for p, new_id in zip(pending, ids, strict=True):
                p.id = new_id
            self._record("contact", "created", ids)
        if updates:
            params = []
            for contact_id, (before, after) in updates.items():
                after["updated_at"] = now
                params.append({"b_id": contact_id, **after})
                self._record("contact", "updated", [contact_id], _json(before), _json(after))
            db.session.execute(update(table).where(table.c.id == bindparam("b_id")), params)
        self._write_externals(pending)
        self._write_consents(pending, now)

    def _write_externals(self, pending) -> None:
        rows = [(p.id, v) for p in pending for v in p.external_ids] + self.new_externals
        if rows:
            ids = insert_rows(
                ExternalId.__table__,
                [{"contact_id": c, "system": self.system, "value": v} for c, v in rows],
            )
            self._record("external_id", "created", ids)

    def _write_consents(self, pending, now) -> None:
        rows = [(p.id, *p.consent) for p in pending if p.consent] + self.new_consents
        if rows:
            note = f"Import #{self.batch.id}"
            ids = insert_rows(
                ConsentRecord.__table__,
                [{"contact_id": c, "topic": CONSENT_TOPIC, "granted": g, "given_at": at or now,
                  "method": ConsentMethod.IMPORT.value, "recorded_at": now, "note": note,
                  "recorded_by_id": self.batch.created_by_id} for c, g, at in rows],
            )  # fmt: skip
            self._record("consent", "created", ids)

    def _record(self, entity, action, ids, before=None, after=None) -> None:
        db.session.execute(
            insert(ImportChange).values(batch_id=self.batch.id, entity=entity, action=action,
                                        entity_ids=list(ids), before=before, after=after)
        )  # fmt: skip


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
    sequence = connection.exec_driver_sql(
        f"SELECT pg_get_serial_sequence('{table.name}', 'id')"
    ).scalar_one()
    ids = (
        connection.exec_driver_sql(
            f"SELECT nextval('{sequence}') FROM generate_series(1, {len(rows)})"
        )
        .scalars()
        .all()
    )
    columns = ["id", *rows[0]]
    cursor = connection.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for new_id, row in zip(ids, rows, strict=True):
            copy.write_row([new_id, *row.values()])
    return ids


def _json(state: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in state.items()}
