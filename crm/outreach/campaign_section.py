"""The mailings of a campaign, with what each brought, on the campaign's page."""

from crm.donations.campaign_page import Section, campaign_section
from crm.outreach import results


@campaign_section
def mailings(campaign) -> Section:
    return Section("outreach/_campaign_mailings.html", {"rows": results.of_campaign(campaign.id)})
