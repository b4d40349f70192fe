"""Checks every request passes before any view reads it."""

from flask import abort, request
from werkzeug.datastructures import ImmutableMultiDict


def refuse_nul_in_url() -> None:
    """PostgreSQL can neither store nor compare text holding NUL, and no link or browser
    sends one. A path with a NUL byte names nothing here (404); NUL bytes in the query string
    are dropped before a view or a filter passes them on to a query. Form fields refuse
    them with an error (crm.forms.BaseForm)."""
    if "\x00" in request.path:
        abort(404)
    if b"%00" in request.query_string or b"\x00" in request.query_string:
        request.args = ImmutableMultiDict(
            (key.replace("\x00", ""), value.replace("\x00", ""))
            for key, value in request.args.items(multi=True)
        )
