"""Campaign and fund names in a gift file that this CRM does not know yet. The mapping step
lists them; staff map each to an existing campaign or fund, have it created by the import,
or leave its rows out. The choices are kept in the batch's options and applied when the
import runs (a dry run creates nothing)."""

import re
from itertools import islice

from flask import current_app
from sqlalchemy import insert, select

from crm.contacts.normalise import fold
from crm.dataio import csvfile
from crm.dataio.models import ImportBatch, ImportChange
from crm.donations.models import Campaign, CampaignStatus, Fund
from crm.extensions import db

KINDS = {"campaign": Campaign, "fund": Fund}
NAME_LIMITS = {"campaign": 160, "fund": 120}
MAX_NAMES = 100  # a column with more distinct unknown names is mapped wrongly, not a list
SCAN_ROWS = 100_000  # rows the mapping page reads for names; a dry run reads them all
NEW = "new"


def known(kind: str) -> dict[str, int]:
    """Folded name -> id of every campaign or fund."""
    model = KINDS[kind]
    return {fold(name): id_ for id_, name in db.session.execute(select(model.id, model.name))}


def targets() -> dict[str, list[tuple[int, str]]]:
    """The campaigns and funds an unknown name can be mapped to, by name."""
    return {
        kind: db.session.execute(select(model.id, model.name).order_by(model.name)).all()
        for kind, model in KINDS.items()
    }


def unknown_names(batch: ImportBatch, path: str, fmt: csvfile.CsvFormat) -> dict[str, list[str]]:
    """The names in the campaign and fund columns that match no campaign or fund, first
    spelling of each, in the order met (at most MAX_NAMES of each): from the first SCAN_ROWS
    rows, and from the whole file once a dry run has been through it."""
    columns = {f: int(i) for i, f in batch.mapping.items() if f in KINDS}
    if not columns:
        return {}
    names = {kind: known(kind) for kind in columns}
    found: dict[str, dict[str, str]] = {kind: {} for kind in columns}
    for _line, cells in islice(csvfile.records(path, fmt), SCAN_ROWS):
        for kind, index in columns.items():
            value = cells[index].strip() if index < len(cells) else ""
            if value:
                _add(found[kind], names[kind], value)
    for kind, values in batch.options.get("found_names", {}).items():
        for value in values if kind in found else ():
            _add(found[kind], names[kind], value)
    return {kind: list(values.values()) for kind, values in found.items() if values}


def _add(found: dict[str, str], known_names: dict[str, int], value: str) -> None:
    key = fold(value)
    if key not in known_names and len(found) < MAX_NAMES:
        found.setdefault(key, value)


def read_choices(form, unknown: dict[str, list[str]]) -> tuple[dict, list[str]]:
    """The choices posted for the unknown names (each name is posted beside its choice, as
    the page listed it): "" (leave its rows out), "new" or the id of an existing campaign or
    fund. Names the file no longer has are dropped. Returns (choices by kind, problems)."""
    choices, problems = {}, []
    for kind, names in unknown.items():
        wanted = {fold(name): name for name in names}
        ids = {str(i) for i in known(kind).values()}
        chosen = {}
        for number in range(MAX_NAMES):
            label = form.get(f"{kind}-label-{number}")
            if label is None:
                break
            name = wanted.get(fold(label))
            value = form.get(f"{kind}-name-{number}", "")
            if name is None:
                continue
            if value == NEW and len(name) > NAME_LIMITS[kind]:
                problems.append(f"“{name[:40]}…” is too long for a {kind} name "
                                f"({NAME_LIMITS[kind]} characters at most).")  # fmt: skip
            elif value not in ("", NEW) and value not in ids:
                problems.append(f"Choose what “{name}” is from the list.")
            else:
                chosen[name] = value
        choices[kind] = chosen
    return choices, problems


def resolve(batch: ImportBatch, kind: str, dry_run: bool) -> dict[str, int]:
    """Folded name -> id, with the staff's choices for unknown names applied; names to be
    created are created now (or, on a dry run, stand for a campaign or fund id 0)."""
    names = known(kind)
    created = []
    for name, choice in batch.options.get(f"{kind}_names", {}).items():
        key = fold(name)
        if key in names or not choice:
            continue
        if choice != NEW:
            names[key] = int(choice)
        elif dry_run:
            names[key] = 0
        else:
            names[key] = _create(kind, name).id
            created.append(names[key])
    if created:
        db.session.execute(insert(ImportChange), [{
            "batch_id": batch.id, "entity": kind, "action": "created", "entity_ids": created,
            "before": None, "after": None,
        }])  # fmt: skip
    return names


def _create(kind: str, name: str):
    if kind == "fund":
        record = Fund(name=name)
    else:
        # Created as a draft: its giving page stays closed until someone opens it.
        record = Campaign(name=name, slug=_free_slug(name), status=CampaignStatus.DRAFT,
                          currency=current_app.config["CURRENCY"], goal_cents=0)  # fmt: skip
    db.session.add(record)
    db.session.flush()
    return record


def _free_slug(name: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", fold(name)).strip("-")[:70] or "imported-campaign"
    taken = set(db.session.scalars(select(Campaign.slug).where(Campaign.slug.like(f"{base}%"))))
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug
