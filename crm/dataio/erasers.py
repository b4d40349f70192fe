"""What erasure does in the domains whose personal data no foreign key to contacts leads to,
or that need more than deleting or detaching rows: gifts keep their amounts and dates but
lose tributes and comments, giving-page intents and Stripe's event copies lose the donor's
details, and this package's own uploads, rejected rows and undo records that name the person
go."""

from sqlalchemy import func, select, update

from crm.contacts.models import Contact
from crm.dataio.models import (
    ImportBatch,
    ImportChange,
    ImportRejection,
    ImportStatus,
    UnmatchedRefund,
)
from crm.dataio.privacy import (
    ERASED,
    ERASED_EMAIL,
    Identity,
    eraser,
    erasure_check,
    mentions,
    scrub,
)
from crm.donations.models import (
    Donation,
    DonationIntent,
    PlanStatus,
    RecurringPlan,
    StripeEvent,
)
from crm.extensions import db


@erasure_check
def _no_running_plan(contact) -> str | None:
    running = db.session.scalar(
        select(func.count()).select_from(RecurringPlan).where(
            RecurringPlan.contact_id == contact.id,
            RecurringPlan.status.in_([PlanStatus.ACTIVE, PlanStatus.PAST_DUE]),
        )
    )  # fmt: skip
    if running:
        return "This person has a monthly gift that is still running: cancel it first."
    return None


@eraser
def _gifts(who: Identity) -> None:
    db.session.execute(
        update(Donation).where(Donation.contact_id == who.contact_id)
        .values(tribute_name=None, comment=None, anonymous=True)
    )  # fmt: skip
    db.session.execute(
        update(RecurringPlan).where(RecurringPlan.contact_id == who.contact_id)
        .values(stripe_customer_id=None)
    )  # fmt: skip


@eraser
def _household(who: Identity) -> None:
    """The anonymised record that keeps the gifts leaves the household it lived in."""
    db.session.execute(
        update(Contact).where(Contact.id == who.contact_id).values(household_id=None)
    )


@eraser
def _giving_intents(who: Identity) -> None:
    if not who.email_key:
        return
    db.session.execute(
        update(DonationIntent).where(func.lower(DonationIntent.email) == who.email_key)
        .values(first_name="Erased", last_name="contact", email=ERASED_EMAIL,
                tribute_name=None, tribute_notify_email=None, comment=None)
    )  # fmt: skip


@eraser
def _stripe_events(who: Identity) -> None:
    if not who.needles:
        return
    query = select(StripeEvent).where(mentions([StripeEvent.payload], who.needles))
    for event in db.session.scalars(query):
        event.payload = scrub(event.payload, who.needles)
    db.session.flush()


@eraser
def _import_leftovers(who: Identity) -> None:
    if not who.needles:
        return
    query = select(ImportRejection).where(mentions([ImportRejection.values], who.needles))
    for rejection in db.session.scalars(query):
        if scrub(rejection.values, who.needles) != rejection.values:
            db.session.delete(rejection)  # the row was about the person
    _undo_records(who)
    _uploads(who)
    db.session.flush()


@eraser
def _refunds_to_link(who: Identity) -> None:
    """A refund to link whose donor the CRM did not have keeps what the file said of them:
    that goes when it names the person (one linked to the contact is scrubbed with it)."""
    if not who.needles:
        return
    db.session.execute(
        update(UnmatchedRefund).where(mentions([UnmatchedRefund.donor], who.needles))
        .values(donor=ERASED)
    )  # fmt: skip


def _undo_records(who: Identity) -> None:
    """An import that changed the person kept their values from before, for its undo: those
    go (the undo then leaves the erased record as it is)."""
    key = str(who.contact_id)
    query = select(ImportChange).where(
        ImportChange.entity == "contact", ImportChange.action == "updated"
    )
    for change in db.session.scalars(query).yield_per(20):
        if key in (change.before or {}):
            change.before = {k: v for k, v in change.before.items() if k != key}
            change.after = {k: v for k, v in (change.after or {}).items() if k != key}
            change.entity_ids = [i for i in change.entity_ids if i != who.contact_id]


def _uploads(who: Identity) -> None:
    """A stored upload that was not imported yet and names the person is removed."""
    from crm.dataio.batches import delete_upload, file_path

    for batch in db.session.scalars(
        select(ImportBatch).where(ImportBatch.stored_name.is_not(None))
    ):
        with open(file_path(batch), "rb") as f:
            text = f.read().decode(batch.encoding, "replace").lower()
        if any(n.lower() in text for n in who.needles):
            delete_upload(batch)
            batch.status = ImportStatus.FAILED
            batch.error = "The file was removed: it named a person whose data was erased."
