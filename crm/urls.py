"""URL pieces shared by every blueprint."""

from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # the largest value of the database's integer columns


class DatabaseId(IntegerConverter):
    """`<int:...>` in every route: a number beyond the database's integers is no record
    here (404), instead of an overflow in the query."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)
