"""The gifts chart shows its scale, labels every month (phones too), and marks the period
still running, so that a few days of December never read as a bad December."""

import re

import pytest
import time_machine

from crm.auth.roles import Role
from crm.dashboard.charts import grouped_bars, nice_step
from tests.dashboard.conftest import local

pytestmark = pytest.mark.clock


@pytest.mark.parametrize(
    "peak, step", [(0, 1), (9, 5), (38_000, 10_000), (52_500_00, 2_000_000), (1, 1)]
)
def test_the_value_axis_goes_up_in_round_steps(peak, step):
    assert nice_step(peak) == step


def test_the_axis_covers_the_tallest_bar_and_labels_each_step():
    chart = grouped_bars(
        [("Jan", [(1200, "a"), (3000, "b")]), ("Feb", [(4100, "c"), (0, "d")])],
        ["bar-now", "bar-before"],
        lambda v: f"${v:g}",
        partial=1,
    )
    assert [t.label for t in chart.ticks] == ["$0", "$2000", "$4000", "$6000"]
    assert chart.ticks[0].y == chart.baseline
    tallest = min(bar.y for bar in chart.bars)
    assert chart.ticks[-1].y <= tallest  # the top step is above every bar
    assert [b.css for b in chart.bars] == [
        "bar-now",
        "bar-before",
        "bar-now bar-partial",
        "bar-before bar-partial",
    ]


def test_the_fiscal_year_chart_by_month(client, make_user, gift):
    with time_machine.travel(local(2026, 12, 4, 12, 0), tick=False):
        gift(amount_cents=2_000_000, when=local(2026, 7, 10, 12))
        gift(amount_cents=600_000, when=local(2026, 12, 2, 12))
        client.login_as(make_user(Role.FUNDRAISER))
        page = client.get("/dashboard?period=fy&by=month").text
    svg = page.split('<figure class="dashboard-chart gifts-chart', 1)[1].split("</svg>", 1)[0]
    months = re.findall(r'class="chart-label( chart-label-minor)?" text-anchor="middle">(\w+\*?)<',
                        svg)  # fmt: skip
    assert [m for _, m in months] == ["Jul", "Aug", "Sep", "Oct", "Nov", "Dec*", "Jan", "Feb",
                                      "Mar", "Apr", "May", "Jun"]  # fmt: skip
    assert not any(minor for minor, _ in months)  # none hidden on a phone
    ticks = re.findall(r'chart-tick" text-anchor="end">([^<]+)<', svg)
    assert ticks[0] == "$0" and ticks[-1] in ("$20K", "$25K") and len(ticks) >= 3
    assert "* so far: Dec 1 to Dec 4" in page
    assert 'Dec 1, 2026 <span class="fw-normal">(so far, to Dec 4)</span>' in page
