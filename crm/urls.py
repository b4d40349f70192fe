"""URL pieces shared by every blueprint."""

from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # the largest value of the database's integer columns


def record_id(value) -> int | None:
    """A record's id sent by the client, or None when it cannot be one (not a whole number,
    or beyond the database's integers)."""
    text = str(value) if value is not None else ""
    if not (text.isascii() and text.isdigit() and len(text) <= 10):
        return None
    return int(text) if 0 < int(text) <= MAX_ID else None


class DatabaseId(IntegerConverter):
    """`<int:...>` in every route: a number beyond the database's integers is no record
    here (404), instead of an overflow in the query."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)
