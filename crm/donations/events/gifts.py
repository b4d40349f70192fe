"""What every gift recorded from Stripe shares, whichever event brings it: its donor, its
designation when the giving page did not choose one, the gift already recorded under another
of its Stripe ids, and Stripe's fee from the charge's balance transaction."""

from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, select

from crm.contacts.models import Contact
from crm.donations import services
from crm.donations.events import Context, NeedsAttention, NotYetKnown, locked
from crm.donations.models import Campaign, Donation
from crm.extensions import db
from crm.payments import lookups
from crm.payments.lookups import ChargeFacts
from crm.payments.payloads import timestamp


def split_name(name: str | None) -> tuple[str, str]:
    """ "Jenny Rosen" -> ("Jenny", "Rosen"); a single word is a first name."""
    words = (name or "").split()
    if not words:
        return "", ""
    return " ".join(words[:-1]) or words[0], words[-1] if len(words) > 1 else ""


def donor(ctx: Context, email: str | None, name: str | None, customer_id: str | None) -> Contact:
    """The donor of a payment made outside the giving page: the contact staff linked it to,
    or the one matched or created from the customer's email and name, as any other gift."""
    chosen = (ctx.resolution or {}).get("contact_id")
    if not chosen and not email and customer_id:
        email, name = _customer(customer_id, name)
    if chosen:
        contact = db.session.get(Contact, chosen)
        if contact is None:
            raise NeedsAttention(f"The contact #{chosen} chosen for this payment was deleted.")
    elif not email:
        raise NeedsAttention(
            "Stripe gave no email address for this payment, so no donor could be found or "
            "created. Link it to a contact."
        )
    else:
        first, last = split_name(name)
        contact = services.find_or_create_donor(email, first, last)
    keep_customer(contact, customer_id)
    return contact


def _customer(customer_id: str, name: str | None) -> tuple[str | None, str | None]:
    """The Stripe customer's email and name, when the payment itself carries no email."""
    found_email, found_name = lookups.customer_details(customer_id)
    return found_email, name or found_name


def keep_customer(contact: Contact, customer_id: str | None) -> None:
    """Remember the donor's Stripe customer, unless another contact already holds it."""
    if not customer_id or contact.stripe_customer_id:
        return
    holder = db.session.scalar(select(Contact.id).where(Contact.stripe_customer_id == customer_id))
    if holder is None:
        contact.stripe_customer_id = customer_id


def designation(metadata: dict | None) -> tuple[int | None, int | None]:
    """(campaign, fund) of a payment the giving page did not start: the campaign its metadata
    names by slug (`campaign`), else the giving page's default campaign; that campaign's
    default fund."""
    slug = (metadata or {}).get("campaign") or current_app.config["DEFAULT_CAMPAIGN_SLUG"]
    campaign = db.session.scalar(select(Campaign).where(Campaign.slug == slug))
    if campaign is None:
        return None, None
    return campaign.id, campaign.default_fund_id


def recorded(**ids: str | None) -> Donation | None:
    """The gift already recorded under any of these Stripe ids, locked."""
    columns = {
        "payment_intent": Donation.stripe_payment_intent_id,
        "charge": Donation.stripe_charge_id,
        "invoice": Donation.stripe_invoice_id,
        "session": Donation.stripe_checkout_session_id,
    }
    matches = [columns[kind] == ref for kind, ref in ids.items() if ref]
    return locked(select(Donation).where(or_(*matches))) if matches else None


def settle(donation: Donation, facts: ChargeFacts | None) -> None:
    """Keep the charge's ids and Stripe's processing fee on the gift."""
    if facts is None:
        return
    if facts.payment_intent_id and not donation.stripe_payment_intent_id:
        donation.stripe_payment_intent_id = facts.payment_intent_id
    if not donation.stripe_charge_id:
        donation.stripe_charge_id = facts.charge_id
    if facts.fee_cents is not None and facts.charge_id == donation.stripe_charge_id:
        services.set_processing_fee(donation, facts.fee_cents)


def hold(event: dict, ctx: Context, kind: str, ref: str) -> None:
    """A payment that may have been made outside the giving page waits a while
    (STRIPE_OUTSIDE_GRACE_MINUTES) for the checkout or invoice event that would record it;
    only after that is it recorded as a payment made elsewhere."""
    grace = timedelta(minutes=current_app.config["STRIPE_OUTSIDE_GRACE_MINUTES"])
    if ctx.age(event) < grace:
        start = timestamp(event.get("created")) or ctx.received_at
        raise NotYetKnown(kind, ref, until=start + grace)
