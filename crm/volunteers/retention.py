"""Retention: a declined applicant's data is not kept for ever. Only people the CRM holds for
nothing else (no gifts, no volunteer profile, no other application, no event registration)
are erased; anyone else keeps their record."""

from collections.abc import Iterable

from sqlalchemy import exists, select

from crm.dataio.retention import cutoff, retention_rule
from crm.donations.models import Donation
from crm.events.models import Registration
from crm.extensions import db
from crm.volunteers.models import Application, ApplicationStatus, Volunteer


@retention_rule(
    "declined-applications",
    "People whose volunteer application was declined that many months ago, and whom we hold "
    "for nothing else",
    months=12,
)
def declined_applicants(months: int) -> Iterable[int]:
    contact_id = Application.contact_id
    query = select(contact_id).where(
        Application.status == ApplicationStatus.DECLINED,
        Application.decided_at < cutoff(months),
        ~exists().where(Donation.contact_id == contact_id),
        ~exists().where(Volunteer.contact_id == contact_id),
        ~exists().where(Registration.contact_id == contact_id),
    )
    ids = set(db.session.scalars(query.distinct()))
    still_applying = set(
        db.session.scalars(
            select(Application.contact_id).where(
                Application.contact_id.in_(ids), Application.status != ApplicationStatus.DECLINED
            )
        )
    )
    return sorted(ids - still_applying)
