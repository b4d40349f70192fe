"""The safeguarding rule: every required credential valid through the END of the shift, with
the reason in words; youth-facing shifts always need a background check and safeguarding."""

from datetime import timedelta

import pytest

from crm.modelbase import utcnow
from crm.volunteers import eligibility, services
from crm.volunteers.models import CredentialStatus, CredentialType, SignupStatus
from tests.volunteers.conftest import local, today

pytestmark = pytest.mark.clock  # the outcome depends on today's date


def spoken(day) -> str:
    return eligibility.spoken_date(day, today())


def test_credential_expiring_the_day_of_the_shift_is_not_enough(
    db, make_volunteer, give, make_shift
):
    day = today() + timedelta(days=20)
    ann = make_volunteer("ann")
    give(ann, "background_check")
    give(ann, "safeguarding_training", expires_on=day)
    shift = make_shift(starts_at=local(day, 10), youth_facing=True)

    assert eligibility.problems(ann, shift, now=utcnow()) == [
        f"Your safeguarding training expires on {spoken(day)}, before this shift."
    ]
    with pytest.raises(services.VolunteerError, match="safeguarding training expires on"):
        services.sign_up(shift.id, ann)
    db.session.rollback()
    assert shift.signups == []


def test_credential_expiring_during_the_shift_is_not_enough(db, make_volunteer, give, make_shift):
    day = today() + timedelta(days=20)
    ann = make_volunteer("ann")
    give(ann, "safeguarding_training")
    give(ann, "background_check", expires_on=day + timedelta(days=1))
    # an overnight shift: it is still going on when the check stops counting at midnight
    shift = make_shift(starts_at=local(day, 22), hours=3, youth_facing=True)

    assert eligibility.problems(ann, shift, now=utcnow()) == [
        f"Your background check expires on {spoken(day + timedelta(days=1))}, "
        "before this shift ends."
    ]


def test_credential_expiring_after_the_shift_is_enough(db, make_volunteer, give, make_shift):
    day = today() + timedelta(days=20)
    ann = make_volunteer("ann")
    give(ann, "safeguarding_training", expires_on=day + timedelta(days=1))
    give(ann, "background_check", expires_on=day + timedelta(days=1))
    shift = make_shift(starts_at=local(day, 21), hours=3)  # ends at midnight exactly
    shift.youth_facing = True
    db.session.commit()

    assert eligibility.problems(ann, shift, now=utcnow()) == []
    signup = services.sign_up(shift.id, ann)
    db.session.commit()
    assert signup.status == SignupStatus.CONFIRMED


def test_missing_pending_and_failed_credentials_are_named(db, make_volunteer, give, make_shift):
    ann = make_volunteer("ann")
    give(ann, "background_check", status=CredentialStatus.PENDING)
    shift = make_shift(youth_facing=True)
    assert eligibility.problems(ann, shift, now=utcnow()) == [
        "Your background check is still pending.",
        "Your safeguarding training is not on record yet.",
    ]
    give(ann, "safeguarding_training", status=CredentialStatus.FAILED)
    assert "Your safeguarding training was not passed." in eligibility.problems(
        ann, shift, now=utcnow()
    )


def test_required_types_of_a_shift_that_is_not_youth_facing(
    db, make_volunteer, give, make_shift, types
):
    ann = make_volunteer("ann")
    shift = make_shift(type_ids=[types["certified_presenter"].id])
    assert eligibility.problems(ann, shift, now=utcnow()) == [
        "Your presenter certification (30-minute training) is not on record yet."
    ]
    give(ann, "certified_presenter")
    assert eligibility.problems(ann, shift, now=utcnow()) == []


def test_coordinators_read_the_reason_with_the_volunteers_name(
    db, make_volunteer, make_shift, coordinator, types
):
    ann = make_volunteer("ann")
    shift = make_shift(youth_facing=True)
    with pytest.raises(services.VolunteerError, match="Ann Helper’s background check is not on"):
        services.sign_up(shift.id, ann, assigned_by=coordinator)


def test_without_the_safeguarding_types_nobody_is_placed(db, make_volunteer, make_shift):
    """No credential types configured at all: the rule fails closed."""
    assert db.session.query(CredentialType).count() == 0
    ann = make_volunteer("ann")
    shift = make_shift(youth_facing=True)
    reasons = eligibility.problems(ann, shift, now=utcnow())
    assert len(reasons) == 2 and "no background check type is set up" in reasons[0]
