"""Outreach in the demo data: email settings, three segments, an appeal sent (really: through
the outbox's transport, as `.eml` files under `make run`) with some clicks, unsubscribes and
gifts since, and a newsletter waiting as a draft. Runs once; it commits as it sends."""

import random
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from crm.auth import services as accounts
from crm.dataio.models import ConsentMethod
from crm.donations.models import (
    Campaign,
    CampaignStatus,
    Donation,
    DonationStatus,
    PaymentMethod,
)
from crm.extensions import db
from crm.modelbase import utcnow
from crm.outreach import consent, mailings, preparing, responses, segments, sending
from crm.outreach.models import Audience, Mailing, MailingRecipient, RecipientStatus, Topic

APPEAL = """Dear {{ first_name | friend }},

Last year you helped us train **parents, teachers and students** to recognise the signs of
trafficking. This year we want to reach every school in the county.

[Give again today](/give)

With thanks,
The team"""
NEWSLETTER = """Hello {{ first_name | there }},

- 12 trainings this term, 3 of them in Springfield schools
- A new guide for parents: *talking to children about online safety*

Your next event: {{ next_event | none yet }}. [See what is coming](/events)."""


DEMO_ADDRESS = "PO Box 1042, Springfield, IL 62705"


def load(fundraiser_email: str, coordinator_email: str) -> None:
    if db.session.scalar(select(Mailing.id).limit(1)) is not None:
        return
    fundraiser = accounts.get_user_by_email(fundraiser_email)
    coordinator = accounts.get_user_by_email(coordinator_email)
    campaign = db.session.scalar(
        select(Campaign).where(Campaign.status == CampaignStatus.ACTIVE).order_by(Campaign.id)
    )
    if fundraiser is None or coordinator is None or campaign is None:
        return
    settings = preparing.settings()
    # the organisation's own address when it is configured; else the demo's made-up one
    settings.postal_address = current_app.config["ORG_ADDRESS"] or DEMO_ADDRESS
    settings.footer = "Thank you for standing with children. Reply to this email to reach us."
    lapsed, springfield = _segments(fundraiser, coordinator)
    appeal = _mailing(fundraiser, lapsed, campaign, Topic.APPEALS, "Will you stand with "
                      "children again this year?", APPEAL, "demo-appeal-email")  # fmt: skip
    _mailing(coordinator, springfield, campaign, Topic.NEWSLETTER, "News from our trainings",
             NEWSLETTER, "demo-newsletter")  # fmt: skip
    mailings.send_now(appeal, fundraiser)
    db.session.commit()
    sending.run(appeal.id)
    _responses(appeal.id)


def _segments(fundraiser, coordinator):
    def tree(*conditions):
        return {"match": "all", "groups": [{"match": "all", "conditions": list(conditions)}]}

    lapsed = segments.save(None, "Gave last year, not yet this year", "LYBUNT donors.",
                           tree({"kind": "lybunt"}), fundraiser)  # fmt: skip
    springfield = segments.save(None, "Springfield", "Everyone who lives in Springfield.",
                                tree({"kind": "city", "value": "Springfield"}),
                                coordinator)  # fmt: skip
    segments.save(None, "Active volunteers", None, tree({"kind": "volunteer_active"}),
                  coordinator)  # fmt: skip
    return lapsed, springfield


def _mailing(user, segment, campaign, topic, subject, body, code) -> Mailing:
    data = {"subject": subject, "preview_text": None, "from_name": current_app.config["ORG_NAME"],
            "reply_to": None, "body": body, "audience": Audience.SEGMENT, "topic": topic,
            "segment_id": segment.id, "event_id": None, "event_audience": None,
            "shift_id": None, "campaign_id": campaign.id, "source_code": code}  # fmt: skip
    return mailings.save(None, data, user)


def _responses(mailing_id: int) -> None:
    """Some people clicked, two left the topic, some gave through the message's link."""
    rng = random.Random(2026)
    rows = db.session.scalars(
        select(MailingRecipient).where(MailingRecipient.mailing_id == mailing_id,
                                       MailingRecipient.status == RecipientStatus.SENT)
    ).all()  # fmt: skip
    mailing = db.session.get(Mailing, mailing_id)
    for n, row in enumerate(rows):
        if rng.random() < 0.3:
            responses.click(row, 0)
        if n in (3, 11):
            responses.unsubscribe(row, "Unsubscribe link")
        if rng.random() < 0.12 and row.contact_id:
            db.session.add(Donation(
                contact_id=row.contact_id, amount_cents=rng.choice([2500, 5000, 10000, 25000]),
                currency=current_app.config["CURRENCY"], status=DonationStatus.SUCCEEDED,
                method=PaymentMethod.CARD, campaign_id=mailing.campaign_id,
                source=mailing.source_code, received_at=utcnow() + timedelta(seconds=n),
            ))  # fmt: skip
    contact = rows[0].contact if rows else None
    if contact is not None:  # one more chose their topics on the preference page
        consent.change_topics(contact, {Topic.VOLUNTEERING: False}, ConsentMethod.PREFERENCE_PAGE)
    db.session.commit()
