"""The mailings of the period (and campaign) beside the money they brought: for
fundraisers and admins with the money, for coordinators without it."""

from crm.dashboard.tiles import PROGRAMME, View, tile
from crm.outreach import results


@tile("mailings", "Mailings", PROGRAMME, 80, wide=True)
def mailings(view: View) -> dict:
    rows = results.of_campaign(
        view.campaign_id, view.period.start_moment(), view.period.end_moment()
    )
    return {"rows": rows[:10], "more": len(rows) > 10}
