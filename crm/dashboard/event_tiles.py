"""Events and trainings tiles: for coordinators, fundraisers and admins."""

from flask import g

from crm.dashboard import metrics
from crm.dashboard.charts import horizontal_bars
from crm.dashboard.tiles import PROGRAMME, View, tile
from crm.events.models import Audience

AUDIENCE_LABELS = {a.value: a.label for a in Audience} | {"registrants": "Registrants"}


def period_events(view: View) -> dict:
    """Computed once per request: two tiles read it."""
    if getattr(g, "dashboard_events_view", None) != view:
        g.dashboard_events = metrics.event_figures(view.period, view.campaign_id)
        g.dashboard_events_view = view
    return g.dashboard_events


@tile("events", "Events and trainings", PROGRAMME, 80)
def events(view: View) -> dict:
    figures = period_events(view)
    return {
        "figures": figures,
        "upcoming": metrics.upcoming_events(view.campaign_id),
        "requests": metrics.open_training_requests(),
    }


@tile("reach", "People reached", PROGRAMME, 90)
def reach(view: View) -> dict:
    figures = period_events(view)
    rows = [(AUDIENCE_LABELS.get(k, k), n) for k, n in figures["by_audience"].items()]
    return {"total": figures["reached"], "rows": rows, "chart": horizontal_bars(rows)}
