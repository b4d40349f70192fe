"""Running a gift export of the corpus (corpus/gifts/) through the import as the wizard
runs it: the suggested mapping, the dry run, the import, the same file again and the undo.
Beside each file, `<name>.totals.toml` states the source system's own figures for it: the
gifts received, their gross, the money refunded and the net. After the import the CRM must
show the same: its gifts, their amounts, the refunds recorded on them plus the refunds
waiting to be linked."""

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

from crm.dashboard.rebuild import rebuild_summaries
from crm.dataio import batches
from crm.dataio.models import ImportedGift, ImportStatus, UnmatchedRefund
from crm.donations.models import Donation, Refund
from tests.dashboard.conftest import summaries
from tests.dataio.conftest import dump

CORPUS = Path(__file__).parent / "corpus" / "gifts"


@dataclass
class Case:
    file: str
    mapping: dict[str, str]  # header -> field, every column the suggestion maps
    counts: dict[str, int]  # what the dry run and the import count besides the money
    options: dict = field(default_factory=dict)  # what staff chose: date order, system
    names: Callable[[dict], dict] = lambda ids: {}  # noqa: E731  (campaigns and funds chosen)
    checks: Callable = lambda db, ids: None  # noqa: E731


def cents(text: str) -> int:
    """The test's own reading of an amount in a totals file: "1,295.00"."""
    return int(Decimal(re.sub(r"[^\d.-]", "", text)) * 100)


def source_totals(file: str) -> dict[str, int]:
    stated = tomllib.loads((CORPUS / f"{file.rsplit('.', 1)[0]}.totals.toml").read_text())
    return {"gifts": stated["gifts"], **{k: cents(stated[k]) for k in ("gross", "refunded", "net")}}


def crm_figures(db) -> dict[str, int]:
    """What the CRM holds: its gifts, their total, and the money refunded (on gifts, and
    waiting to be linked to one)."""
    gifts, gross = db.session.execute(
        select(func.count(Donation.id), func.coalesce(func.sum(Donation.amount_cents), 0))
    ).one()
    on_gifts = db.session.scalar(select(func.coalesce(func.sum(Refund.amount_cents), 0)))
    waiting = db.session.scalar(
        select(func.coalesce(func.sum(UnmatchedRefund.amount_cents), 0)).where(
            UnmatchedRefund.refund_id.is_(None)
        )
    )
    refunded = on_gifts + waiting
    return {"gifts": gifts, "gross": gross, "refunded": refunded, "net": gross - refunded}


def gift(db, txn: str) -> Donation:
    return db.session.scalar(
        select(Donation)
        .join(ImportedGift, ImportedGift.donation_id == Donation.id)
        .where(ImportedGift.transaction_id == txn)
    )


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def run_case(case: Case, db, upload, run_import, known) -> None:
    before = dump()
    source = source_totals(case.file)
    content = (CORPUS / case.file).read_bytes()
    batch = upload(content, kind="gifts", **case.options, **case.names(known))
    assert {batch.headers[int(i)]: f for i, f in batch.mapping.items()} == case.mapping

    checked = run_import(batch, dry_run=True)
    assert checked.status == ImportStatus.CHECKED, checked.error
    counts = checked.dry_run_counts
    assert {k: counts[k] for k in case.counts} == case.counts, list(batches.rejections(checked))
    assert dump() == before  # a dry run writes nothing, not even the campaigns it would create
    said = {"gifts": counts["new"], "gross": counts["gross_cents"],
            "refunded": counts["refunded_cents"], "net": counts["net_cents"]}  # fmt: skip
    assert said == source  # the dry run already tells the source's figures

    done = run_import(checked)
    assert done.status == ImportStatus.DONE, done.error
    assert done.counts == counts  # the import did what the dry run said
    shown = crm_figures(db)
    print(f"\nCORPUS {case.file}: source {_line(source)} | CRM {_line(shown)}")
    assert shown == source
    assert count(db, Refund) == counts["refunds"]  # every refund is a Refund of its gift,
    assert count(db, UnmatchedRefund) == counts["refunds_to_link"]  # or listed to link
    case.checks(db, known)
    kept = summaries(db)  # the dashboard's summaries saw every gift and refund
    rebuild_summaries(db.session.connection())
    assert summaries(db) == kept
    db.session.rollback()

    imported = dump(skip=REIMPORT_LOGS)
    again = run_import(upload(content, kind="gifts", **case.options, **case.names(known)))
    assert (again.counts["new"], again.counts["refunds"], again.counts["refunds_to_link"],
            again.counts["refunded_cents"]) == (0, 0, 0, 0)  # fmt: skip
    assert dump(skip=REIMPORT_LOGS) == imported  # the same file again adds nothing

    batches.start_undo(done)
    db.session.commit()
    batches.undo(done.id)
    db.session.expire_all()
    assert dump() == before


REIMPORT_LOGS = {"import_batches", "import_changes", "import_rejections", "audit_events",
                 "user_sessions"}  # fmt: skip


def _line(figures: dict[str, int]) -> str:
    return (f"{figures['gifts']} gifts, gross {figures['gross'] / 100:,.2f}, refunded "
            f"{figures['refunded'] / 100:,.2f}, net {figures['net'] / 100:,.2f}")  # fmt: skip
