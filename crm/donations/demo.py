"""The demo's named donors get a household, a link, an employer's match, a soft credit and a
pledge, so that each part of the donor record has something to show on `make run`."""

from datetime import timedelta

from sqlalchemy import select

from crm.auth import services as accounts
from crm.contacts import relations
from crm.contacts.models import Affiliation, AffiliationKind, Contact, RelationshipKind
from crm.contacts.services import find_duplicates, find_organisation_by_name
from crm.donations import credits, pledges
from crm.donations.credit_models import SoftCreditRole
from crm.donations.models import Donation, PaymentMethod
from crm.donations.pledge_models import PledgeFrequency
from crm.donations.services import org_today
from crm.extensions import db
from crm.work import services as work


def load_donor_record(fundraiser_email: str) -> None:
    chloe, sarah, james, tom = (
        find_duplicates(email=email)[0] if "@" in email else _by_phone(email)
        for email in ("chloe.dubois@example.com", "sarah.miller@example.com",
                      "james.oconnor@example.com", "+12025550199")
    )  # fmt: skip
    household = relations.start_household(chloe)
    relations.add_member(household, tom, take_address=True)
    household.salutation = "Chloé Dubois and Tom Nguyen"
    relations.relate(chloe, tom, RelationshipKind.SPOUSE, None)
    relations.relate(
        sarah, chloe, RelationshipKind.INTRODUCED, "Brought her to the spring breakfast"
    )
    acme = find_organisation_by_name("Acme Logistics")
    for link in db.session.scalars(select(Affiliation).where(Affiliation.contact_id == james.id)):
        link.kind = AffiliationKind.EMPLOYEE
    gift = db.session.scalar(select(Donation).where(Donation.contact_id == james.id))
    match = credits.MatchDetails(acme, gift.amount_cents, gift.received_at + timedelta(days=2),
                                 PaymentMethod.CHEQUE, "5521")  # fmt: skip
    credits.record_match(gift, match)
    chloes = db.session.scalar(select(Donation).where(Donation.contact_id == chloe.id))
    fundraiser = accounts.get_user_by_email(fundraiser_email)
    credits.add_soft_credit(chloes, tom, SoftCreditRole.HOUSEHOLD, None, fundraiser)
    credits.add_soft_credit(chloes, sarah, SoftCreditRole.SOLICITOR, None, fundraiser)
    started = org_today() - timedelta(days=75)
    promise = pledges.PledgeData(120_000, started, started, PledgeFrequency.MONTHLY, 12,
                                 campaign_id=chloes.campaign_id)  # fmt: skip
    pledge = pledges.create_pledge(chloe, promise)
    pledges.apply_payment(pledge, chloes, 10_000, fundraiser)
    soon = org_today() + timedelta(days=3)
    title = "Invite Chloé and Tom to the volunteer evening"
    invite = work.TaskData(title, None, soon, fundraiser.id, fundraiser.role)
    work.create_task(invite, {"contact_id": chloe.id}, fundraiser)


def _by_phone(phone: str) -> Contact:
    return db.session.scalar(select(Contact).where(Contact.phone == phone))
