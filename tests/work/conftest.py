from tests.donations.conftest import make_campaign, make_donation, make_fund  # noqa: F401
