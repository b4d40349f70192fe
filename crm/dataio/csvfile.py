"""Reading the CSV files people export from spreadsheets and other donor systems: the
encoding (UTF-8 with or without BOM, Windows-1252, Latin-1, Excel's UTF-16), the delimiter
(comma, semicolon or tab), and the rows, one at a time so that a file of any size is read in
constant memory. Every problem with the file as a whole is a `FileProblem` whose message is
for the person who uploaded it."""

import codecs
import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass

MAX_LINE_CHARS = 100_000  # a longer line is a broken file, not a contact
MAX_COLUMNS = 200
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}
ENCODINGS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with BOM",
    "utf-16": "UTF-16 (Excel Unicode text)",
    "cp1252": "Windows-1252",
    "latin-1": "Latin-1 (ISO-8859-1)",
}
_CHUNK = 1 << 20
_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
_CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")
_SIGNATURES = {
    b"PK\x03\x04": "an Excel workbook or a zip archive",
    b"\xd0\xcf\x11\xe0": "an old Excel (.xls) or Word file",
    b"%PDF": "a PDF",
    b"\x89PNG": "an image",
    b"\xff\xd8\xff": "an image",
    b"GIF8": "an image",
}


class FileProblem(ValueError):
    """The file cannot be imported; the message says why and what to do."""


@dataclass(frozen=True)
class CsvFormat:
    encoding: str
    delimiter: str


def detect_encoding(path: str) -> str:
    with open(path, "rb") as f:
        head = f.read(4096)
    if not head.strip():
        raise FileProblem("The file is empty.")
    if head.startswith(codecs.BOM_UTF8):
        _check_utf8(path, skip=3)
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for signature, what in _SIGNATURES.items():
        if head.startswith(signature):
            raise FileProblem(
                f"This is not a CSV file: it looks like {what}. Open it in your spreadsheet "
                "program and save it as CSV."
            )
    if b"\0" in head:
        raise FileProblem("This is not a CSV file: it holds binary data. Save it as CSV.")
    if _check_utf8(path, skip=0, strict=False):
        return "utf-8"
    with open(path, "rb") as f:
        undefined = any(
            _CP1252_UNDEFINED.search(chunk) for chunk in iter(lambda: f.read(_CHUNK), b"")
        )
    return "latin-1" if undefined else "cp1252"


def _check_utf8(path: str, skip: int, strict: bool = True) -> bool:
    """True when the whole file is UTF-8. A file that mixes UTF-8 with other bytes is
    damaged (not Windows-1252): that is refused with the line of the first bad byte."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines, utf8_seen = 1, False
    with open(path, "rb") as f:
        f.seek(skip)
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            utf8_seen = utf8_seen or bool(_UTF8_MULTIBYTE.search(chunk))
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                if strict or utf8_seen or _utf8_further_on(f):
                    line = lines + chunk[: exc.start].count(b"\n")
                    raise FileProblem(
                        f"The file is not valid UTF-8: line {line} has bytes that are not "
                        "UTF-8 text, while the rest of the file is. Save it again as "
                        "“CSV UTF-8”, or choose its encoding."
                    ) from exc
                return False
            lines += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            raise FileProblem(
                "The file is not valid UTF-8: it ends in the middle of a character."
            ) from exc
    return True


def _utf8_further_on(f) -> bool:
    return any(_UTF8_MULTIBYTE.search(chunk) for chunk in iter(lambda: f.read(_CHUNK), b""))


def check_encoding(path: str, encoding: str) -> None:
    """An encoding chosen by the user must fit the whole file."""
    if encoding in ("utf-8", "utf-8-sig"):
        with open(path, "rb") as f:
            skip = 3 if f.read(3) == codecs.BOM_UTF8 else 0
        _check_utf8(path, skip=skip)
        return
    decoder = codecs.getincrementaldecoder(encoding)()
    with open(path, "rb") as f:
        try:
            for chunk in iter(lambda: f.read(_CHUNK), b""):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            raise FileProblem(f"The file is not {ENCODINGS.get(encoding, encoding)} text.") from exc


def _lines(f, limit: int = MAX_LINE_CHARS) -> Iterator[str]:
    for number, line in enumerate(f, 1):
        if len(line) > limit:
            raise FileProblem(
                f"Line {number} is {len(line):,} characters long; lines of more than "
                f"{limit:,} characters are not contact or gift data. Is this really a CSV file?"
            )
        yield line


def _reader(f, delimiter: str):
    return csv.reader(_lines(f), delimiter=delimiter, strict=False)


def detect_delimiter(path: str, encoding: str) -> str:
    """The delimiter that splits the header into the most columns, consistently."""
    best, best_score = None, 0
    for delimiter in DELIMITERS:
        with open(path, encoding=encoding, newline="", errors="replace") as f:
            try:
                rows = []
                for row in _reader(f, delimiter):
                    rows.append(len(row))
                    if len(rows) == 20:
                        break
            except csv.Error:
                continue
        if not rows or rows[0] < 2:
            continue
        consistent = sum(1 for n in rows[1:] if n == rows[0])
        score = rows[0] * 10 + consistent
        if score > best_score:
            best, best_score = delimiter, score
    if best is None:
        raise FileProblem(
            "No commas, semicolons or tabs separate the columns of the first line: this does "
            "not look like a CSV file. A file needs a header row naming its columns."
        )
    return best


def sniff(path: str, encoding: str = "auto", delimiter: str = "auto") -> CsvFormat:
    if encoding == "auto":
        encoding = detect_encoding(path)
    else:
        check_encoding(path, encoding)
    if delimiter == "auto":
        delimiter = detect_delimiter(path, encoding)
    return CsvFormat(encoding, delimiter)


def read_header(path: str, fmt: CsvFormat) -> list[str]:
    for _, header in _records(path, fmt, header_only=True):
        return _unpadded(header, 0)
    raise FileProblem("The file is empty.")


def _unpadded(cells: list[str], width: int) -> list[str]:
    """The cells without the empty ones past `width` that only pad the row (spreadsheets
    add them when some other row or the header was longer)."""
    end = len(cells)
    while end > width and not cells[end - 1]:
        end -= 1
    return cells if end == len(cells) else cells[:end]


def records(path: str, fmt: CsvFormat) -> Iterator[tuple[int, list[str]]]:
    """(line, cells) of every data row, blank rows left out, cells stripped. A row comes with
    exactly as many cells as the header has columns: a short one (spreadsheets leave off the
    empty cells at the end of a row) is padded with empty cells, and empty cells past the
    header are left off. Only a row with a value past the header's last column comes as it
    is: `width_problem` says why it is refused. Raises FileProblem for an empty file, a file
    with a header only, or a broken line."""
    rows = _records(path, fmt)
    header = next(rows, None)
    width = len(_unpadded(header[1], 0)) if header else 0
    any_row = False
    for line, cells in rows:
        any_row = True
        cells = _unpadded(cells, width)
        if len(cells) < width:
            cells += [""] * (width - len(cells))
        yield line, cells
    if not any_row:
        raise FileProblem("The file has a header row but no rows of data.")


def width_problem(cells: list[str], width: int) -> str | None:
    """Why a row read by `records` cannot be trusted: a value past the header's last column
    means its values have moved to other columns (a stray delimiter or a missing quote), and
    taking them would put them in the wrong fields. A row with fewer cells is only short."""
    if len(cells) <= width:
        return None
    return (
        f"The row has {len(cells)} cells where the header has {width} columns: its values "
        "are shifted (a stray delimiter or quote?), so it is left out rather than read into "
        "the wrong fields."
    )


def _records(path: str, fmt: CsvFormat, header_only: bool = False):
    with open(path, encoding=fmt.encoding, newline="") as f:
        reader = _reader(f, fmt.delimiter)
        start = 1
        try:
            for row in reader:
                line, start = start, reader.line_num + 1
                cells = [c.strip() for c in row]
                if not any(cells):
                    continue
                if len(cells) > MAX_COLUMNS:
                    raise FileProblem(
                        f"Line {line} has {len(cells)} columns; at most {MAX_COLUMNS} are read."
                    )
                yield line, cells
                if header_only:
                    return
        except csv.Error as exc:
            raise FileProblem(f"Line {start} cannot be read as CSV ({exc}).") from exc
        except UnicodeDecodeError as exc:
            raise FileProblem(
                f"Line {start} is not {ENCODINGS.get(fmt.encoding, fmt.encoding)} text."
            ) from exc


def header_names(cells: list[str]) -> list[str]:
    names = []
    for i, cell in enumerate(cells, 1):
        name = cell or f"Column {i}"
        names.append(name if name not in names else f"{name} ({i})")
    return names


def count_rows(path: str, fmt: CsvFormat) -> int:
    """Read the whole file once, so that a broken line stops the import before it writes."""
    return sum(1 for _ in records(path, fmt))
