from datetime import timedelta

import pytest
from sqlalchemy import select

from crm.contacts.models import Contact
from crm.modelbase import utcnow
from crm.volunteers.models import Application, ApplicationStatus
from tests.donations.conftest import make_donation  # noqa: F401,F811

pytestmark = pytest.mark.clock  # the outcome depends on today's date


def application(contact, status, decided_days_ago):
    return Application(
        contact=contact,
        status=status,
        emergency_name="E",
        emergency_phone="+12025550100",
        adult_confirmed=True,
        conduct_agreed_at=utcnow() - timedelta(days=decided_days_ago + 5),
        decided_at=utcnow() - timedelta(days=decided_days_ago),
    )


def test_old_declined_applicants_held_for_nothing_else_are_erased(
    runner,
    db,
    make_contact,
    make_donation,  # noqa: F811
):
    old = make_contact(first_name="Oldapplicant", email="old@example.org")
    recent = make_contact(first_name="Recent", email="recent@example.org")
    donor = make_contact(first_name="Donor", email="donor@example.org")
    reapplied = make_contact(first_name="Reapplied", email="again@example.org")
    make_donation(contact=donor)
    db.session.add_all(
        [
            application(old, ApplicationStatus.DECLINED, 400),
            application(recent, ApplicationStatus.DECLINED, 30),
            application(donor, ApplicationStatus.DECLINED, 400),
            application(reapplied, ApplicationStatus.DECLINED, 400),
            application(reapplied, ApplicationStatus.PENDING, 1),
        ]
    )
    db.session.commit()
    old_id = old.id
    dry = runner.invoke(args=["crm", "retention", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"would erase contact #{old_id}" in dry.output
    assert dry.output.count("would erase") == 1
    result = runner.invoke(args=["crm", "retention"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    remaining = {c.first_name for c in db.session.scalars(select(Contact))}
    assert "Oldapplicant" not in remaining
    assert {"Recent", "Donor", "Reapplied"} <= remaining
