"""Suggesting the field of each column of an uploaded file, from its header and from the
values in its first rows. A column is suggested for a field its header names, never when it
is empty or its values cannot be that field (dates that are not dates, amounts that are not
amounts). Where two columns fit one field, the header that names it more exactly wins,
wherever it stands in the file; for the transaction id, a column with a value in every row
wins first, as that is what identifies each payment."""

import re
from collections.abc import Callable
from itertools import islice

from crm.dataio import csvfile
from crm.dataio.fields import FIELDS, candidates_of_contact, is_mailchimp_geo
from crm.dataio.gift_headers import gift_candidates
from crm.dataio.models import ImportKind
from crm.dataio.values import AmbiguousDate, ValueProblem, parse_bool, parse_date, parse_money

SAMPLE_ROWS = 1000  # rows read for the values of each column
FIT_SHARE = 0.5  # of a column's values that must read as its field's values (at least)


def sample_columns(path: str, fmt: csvfile.CsvFormat, width: int) -> list[list[str]]:
    """The cells of each column in the first SAMPLE_ROWS rows (empty cells included). A
    broken line ends the rows read; the dry run says what is wrong with it. A file whose
    first row cannot be read, or that has none, is refused here (FileProblem)."""
    columns: list[list[str]] = [[] for _ in range(width)]
    read = 0
    try:
        for _line, cells in islice(csvfile.records(path, fmt), SAMPLE_ROWS):
            read += 1
            for values, cell in zip(columns, cells, strict=False):
                values.append(cell)
    except csvfile.FileProblem:
        if not read:
            raise
    return columns


def _reads(parse: Callable[[str], object]) -> Callable[[str], bool]:
    def reads(value: str) -> bool:
        try:
            parse(value)
        except AmbiguousDate:
            return True  # a date, whichever way round; the import asks which
        except ValueProblem:
            return False
        return True

    return reads


_is_date = _reads(parse_date)
_is_money = _reads(parse_money)
_is_flag = _reads(parse_bool)


def _is_birth_date(value: str) -> bool:
    # Mailchimp's birthdays have no year ("04/17"): a birthday column all the same.
    return _is_date(value) or _is_date(f"{value.strip()}/2000")


_VALUE_CHECKS: dict[str, Callable[[str], bool]] = {
    "date": _is_date,
    "consent_date": _is_date,
    "birth_date": _is_birth_date,
    "amount": _is_money,
    "fee": _is_money,
    "refunded_amount": lambda v: _is_money(v) or _is_flag(v),
    "email": lambda v: "@" in v,
    "email_opt_in": _is_flag,
    "do_not_contact": _is_flag,
}


def fits(field: str, values: list[str]) -> bool:
    """Whether a column with these (non-empty) values can be the field."""
    check = _VALUE_CHECKS.get(field)
    if check is not None and sum(map(check, values)) < FIT_SHARE * len(values):
        return False
    if field == "transaction_id":
        # An id that repeats in most rows is the donor's or the campaign's, not the payment's.
        return len(set(values)) * 2 >= len(values)
    return True


_AFTERWORD = re.compile(r"\s*\([^()]*\)\s*$")


def candidates(kind: ImportKind, header: str) -> list[tuple[str, int]]:
    """The fields a column's header may name, each with how exactly it names it. A header
    none names is read again without the words in brackets at its end, which say in what
    unit or zone it is ("Payment Date (America/New_York)", "Amount (USD)")."""
    of = gift_candidates if kind is ImportKind.GIFTS else candidates_of_contact
    found = of(header)
    if not found and _AFTERWORD.search(header) and _AFTERWORD.sub("", header):
        found = of(_AFTERWORD.sub("", header))
    return found


def suggest(kind: ImportKind, headers: list[str],
            columns: list[list[str]] | None = None) -> dict[str, str]:  # fmt: skip
    """Column index (as a string) -> field, each field and each column used once. Without
    `columns` (each column's cells in the first rows), from the headers alone."""
    allowed = FIELDS[kind]
    offers = []
    for index, (header, geo) in enumerate(zip(headers, is_mailchimp_geo(headers), strict=True)):
        cells = columns[index] if columns is not None else None
        values = [cell for cell in cells if cell] if cells is not None else None
        if geo or values == []:
            continue  # an empty column is never suggested
        for field, exactness in candidates(kind, header):
            if field not in allowed or (values is not None and not fits(field, values)):
                continue
            complete = field == "transaction_id" and values is not None
            complete = complete and len(values) == len(cells)
            offers.append((-complete, -exactness, index, field))
    mapping, used = {}, set()
    for *_rank, index, field in sorted(offers):
        if str(index) not in mapping and field not in used:
            mapping[str(index)] = field
            used.add(field)
    return dict(sorted(mapping.items(), key=lambda item: int(item[0])))
