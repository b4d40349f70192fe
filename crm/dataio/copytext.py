"""Rows in PostgreSQL's COPY text format, built as plain strings: a chunk of rows then goes
to the server in one piece, and the reading process can format a row before it is sent."""

from datetime import date

_ESCAPES = str.maketrans({"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"})


def value_text(value) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    if isinstance(value, date):  # and datetime
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    raise TypeError(f"no COPY text for {type(value).__name__}")


def row_text(values) -> str:
    """One row, without its line end."""
    values = list(values)
    texts = [
        value if value.__class__ is str else "\\N" if value is None else value_text(value)
        for value in values
    ]
    line = "\t".join(texts)
    # Nearly every row has nothing to escape: that is checked on the whole line at once (the
    # only backslashes then are those of the NULLs).
    if (
        line.count("\t") == len(texts) - 1
        and line.count("\\") == values.count(None)
        and "\n" not in line
        and "\r" not in line
    ):
        return line
    return "\t".join(text.translate(_ESCAPES) if value.__class__ is str else text
                     for value, text in zip(values, texts, strict=True))  # fmt: skip


def copy_lines(connection, table: str, columns, lines) -> None:
    """COPY rows already in text form (each ending in a newline) into `table`."""
    cursor = connection.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        copy.write("".join(lines).encode())
