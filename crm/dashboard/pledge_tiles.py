"""Pledges per campaign: pledged, received, written off and outstanding. Pledges are promises,
not money: no other tile counts them, and received here is the part of gifts (already
counted as raised) that was applied to pledges."""

from crm.dashboard.tiles import MONEY, View, tile
from crm.donations.pledge_queries import totals_by_campaign


@tile("pledges", "Pledges", MONEY, 55, wide=True)
def pledges(view: View) -> dict:
    rows = totals_by_campaign(view.campaign_id)
    return {
        "rows": rows,
        "pledged": sum(r.pledged_cents for r in rows),
        "received": sum(r.received_cents for r in rows),
        "outstanding": sum(r.outstanding_cents for r in rows),
    }
