"""Factories for the outreach tests: settings with a postal address, segments, mailings."""

import pytest

from crm.outreach import mailings, preparing, segments
from crm.outreach.models import Audience, Topic
from tests.donations.conftest import make_campaign, make_donation, make_fund  # noqa: F401
from tests.events.conftest import make_event, make_event_type, register  # noqa: F401

ADDRESS = "Protect Our Children, 100 Main Street, Springfield, IL 62701"


@pytest.fixture
def email_settings(db):
    settings = preparing.settings()
    settings.postal_address = ADDRESS
    settings.footer = "You make this work possible."
    db.session.commit()
    return settings


def tree(*conditions, match="all") -> dict:
    """A one-group segment: tree({"kind": "tag", "value": "3"}, ...)."""
    return {"match": "all", "groups": [{"match": match, "conditions": list(conditions)}]}


@pytest.fixture
def make_segment(db, make_user):
    def factory(*conditions, name="Segment", user=None, match="all"):
        user = user or make_user("fundraiser")
        segment = segments.save(None, name, None, tree(*conditions, match=match), user)
        db.session.commit()
        return segment

    return factory


@pytest.fixture
def make_mailing(db, make_user, make_campaign, email_settings):  # noqa: F811
    counter = iter(range(1, 10_000))

    def factory(segment=None, user=None, **fields):
        user = user or make_user("fundraiser")
        n = next(counter)
        data = {
            "subject": f"Spring appeal {n}",
            "preview_text": None,
            "from_name": "Protect Our Children",
            "reply_to": None,
            "body": "Dear {{ first_name | friend }},\n\nPlease [give](/give/spring).",
            "audience": Audience.SEGMENT,
            "topic": Topic.APPEALS,
            "segment_id": segment.id if segment else None,
            "event_id": None,
            "event_audience": None,
            "shift_id": None,
            "campaign_id": fields.pop("campaign", None) or make_campaign().id,
            "source_code": f"spring-email-{n}",
        }
        data.update(fields)
        mailing = mailings.save(None, data, user)
        db.session.commit()
        return mailing

    return factory


def subscribe(contact, *topics, granted=True):
    from crm.dataio.models import ConsentMethod
    from crm.extensions import db
    from crm.outreach import consent

    consent.change_topics(contact, dict.fromkeys(topics, granted), ConsentMethod.WEB_FORM)
    db.session.commit()
