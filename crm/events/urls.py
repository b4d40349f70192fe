"""Absolute links for emails and calendars, built without a request (the reminder command
runs from cron)."""

from flask import current_app


def url_path(endpoint: str, **values) -> str:
    return current_app.url_map.bind("localhost").build(endpoint, values)


def absolute_url(endpoint: str, **values) -> str:
    return current_app.config["BASE_URL"].rstrip("/") + url_path(endpoint, **values)


def giving_url(campaign) -> str | None:
    if campaign is None:
        return None
    return current_app.config["BASE_URL"].rstrip("/") + f"/give/{campaign.slug}"
