"""Demonstration data for `make run`: a few staff, contacts and organisations."""

from crm.auth import services as accounts
from crm.auth.roles import Role
from crm.contacts import services as contacts
from crm.contacts.models import OrganisationType

ADMIN_EMAIL = "admin@example.org"
DEMO_PASSWORD = "demo-password-change-me"

STAFF = [
    ("fundraiser@example.org", "Farah Fundraiser", Role.FUNDRAISER),
    ("coordinator@example.org", "Cory Coordinator", Role.COORDINATOR),
    ("volunteer@example.org", "Val Volunteer", Role.VOLUNTEER),
]

ORGANISATIONS = [
    ("Lincoln High School", OrganisationType.SCHOOL, "Springfield"),
    ("Grace Community Church", OrganisationType.FAITH_GROUP, "Springfield"),
    ("Acme Logistics", OrganisationType.BUSINESS, "Shelbyville"),
    ("County Sheriff's Office", OrganisationType.AGENCY, "Springfield"),
    ("Safe Families Coalition", OrganisationType.PARTNER, "Capital City"),
]

PEOPLE = [
    (
        "María José",
        "Núñez",
        "maria.nunez@example.com",
        "+12025550143",
        "Lincoln High School",
        "Counsellor",
        ["parent", "educator"],
    ),
    (
        "James",
        "O'Connor",
        "james.oconnor@example.com",
        "+12025550178",
        "Acme Logistics",
        "HR manager",
        ["employer"],
    ),
    (
        "Aisha",
        "Rahman",
        "aisha.rahman@example.com",
        "+12025550112",
        "Grace Community Church",
        "Youth pastor",
        ["faith leader", "volunteer"],
    ),
    ("Chloé", "Dubois", "chloe.dubois@example.com", None, None, None, ["donor"]),
    ("Tom", "Nguyen", None, "+12025550199", "County Sheriff's Office", "Detective", ["partner"]),
    (
        "Sarah",
        "Miller",
        "sarah.miller@example.com",
        "+12025550155",
        None,
        None,
        ["donor", "monthly"],
    ),
]


def load_demo_data() -> tuple[str, str]:
    if accounts.get_user_by_email(ADMIN_EMAIL) is None:
        accounts.create_user(ADMIN_EMAIL, "Ada Admin", Role.ADMIN, DEMO_PASSWORD)
        for email, name, role in STAFF:
            accounts.create_user(email, name, role, DEMO_PASSWORD)
        _load_contacts()
        from crm.volunteers import demo as volunteers_demo

        volunteers_demo.load(ADMIN_EMAIL, "volunteer@example.org", "coordinator@example.org")
    return ADMIN_EMAIL, DEMO_PASSWORD


def _load_contacts() -> None:
    organisations = {
        name: contacts.create_organisation(
            {"name": name, "type": type_, "city": city, "country": "US"}
        )
        for name, type_, city in ORGANISATIONS
    }
    for first, last, email, phone, org, role, tags in PEOPLE:
        person = contacts.create_contact(
            {
                "first_name": first,
                "last_name": last,
                "email": email,
                "phone": phone,
                "city": "Springfield",
                "region": "IL",
                "postcode": "62701",
                "country": "US",
                "email_opt_in": email is not None,
            },
            tags,
        )
        if org:
            contacts.link_organisation(person, organisations[org], role)
    admin = accounts.get_user_by_email(ADMIN_EMAIL)
    first = contacts.find_duplicates(email="maria.nunez@example.com")[0]
    contacts.add_note(first, admin, "Asked about the 30-minute training for the parents' evening.")
