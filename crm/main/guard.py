"""Checks every request passes before any view reads it."""

from flask import abort, request


def refuse_nul_in_url() -> None:
    """PostgreSQL can neither store nor compare text holding NUL, and no link or browser
    sends one: a URL with a NUL byte (only a tool makes it) is refused before a view passes
    it to a query. Form fields refuse it themselves, with an error (crm.forms.BaseForm)."""
    if "\x00" in request.path:
        abort(404)
    if any("\x00" in key or "\x00" in value for key, value in request.args.items(multi=True)):
        abort(400)
