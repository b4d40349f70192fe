"""CSV downloads that are safe to open in a spreadsheet."""

import csv
import io
import re
from collections.abc import Iterable

from flask import Response, stream_with_context

# A cell starting with one of these is read as a formula by spreadsheet programs.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# ...except a phone number ("+1 202 555-0143") or a negative number ("-12.50"): with no
# letters there is no function, reference or DDE call, so nothing a spreadsheet could run,
# and an apostrophe in front would spoil the value for whoever imports the file elsewhere.
# "=" and "@" always start a formula, and an expression like "-2+3" is still neutralised.
_PHONE = re.compile(r"\+[\d ().-]*\d[\d ().-]*")
_NEGATIVE_NUMBER = re.compile(r"-\d+(?:[.,]\d+)?")
# The rows are sent in pieces of about this many characters.
PIECE = 64 * 1024


def neutralise(value) -> str:
    # Called for every cell of exports of a hundred thousand rows: the common case first.
    if type(value) is str:
        text = value
    elif value is None:
        return ""
    elif isinstance(value, bool):
        return "yes" if value else "no"
    else:
        text = str(value)
    if not text.startswith(FORMULA_PREFIXES):
        return text
    if _PHONE.fullmatch(text) or _NEGATIVE_NUMBER.fullmatch(text):
        return text
    return "'" + text


def csv_response(
    filename: str, header: list[str], rows: Iterable[Iterable], *, neutralised: bool = False
) -> Response:
    """A streamed download: the header goes at once, before the rows' query runs, then the
    rows in pieces, so a large export starts at once and its memory stays flat.
    `neutralised`: the caller has passed every cell that could hold text through
    `neutralise` already (and the rest are numbers, dates or codes of ours), which saves a
    large export most of its per-cell work."""

    def generate():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        buffer.write("\ufeff")  # lets Excel detect UTF-8
        writer.writerow(header)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        for row in rows:
            writer.writerow(row if neutralised else [neutralise(v) for v in row])
            if buffer.tell() >= PIECE:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    return Response(
        stream_with_context(generate()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
