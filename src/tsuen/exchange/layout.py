"""The exchange file's layout (docs/exchange-files.md): its columns, code lists, cell escaping
and character encodings. Pure functions, no database: the services fill and read the rows.

One row per certification. Columns have fixed ASCII names (the layout does not follow the
reader's language: a machine reads it). The household and the child of a row are named by
keys local to the file (``H00001``, ``C00001``): rows with the same key are the same person
or household and repeat the same values.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

BOM = "\ufeff"
UTF8, CP932 = "utf-8", "cp932"
ENCODINGS = (UTF8, CP932)

#: Fee-class groups per row (the household's three latest classes by start, oldest first).
FEE_CLASS_GROUPS = 3
#: Guardian groups per row (the primary guardian first).
GUARDIAN_GROUPS = 2

CERTIFICATION_COLUMNS = (
    "municipality_code",
    "certificate_number",
    "valid_from",
    "valid_to",
    "status",
    "ended_on",
    "end_reason",
    "certified_on",
)
CHILD_COLUMNS = (
    "child_key",
    "child_family_name",
    "child_given_name",
    "child_family_name_kana",
    "child_given_name_kana",
    "child_birth_date",
    "child_sex",
    "child_disability",
    "child_medical_care",
)
HOUSEHOLD_COLUMNS = (
    "household_key",
    "postal_code",
    "prefecture",
    "city",
    "address_line",
    "support_needed",
)
GUARDIAN_FIELDS = (
    "family_name",
    "given_name",
    "family_name_kana",
    "given_name_kana",
    "birth_date",
    "sex",
    "relation",
    "phone",
    "email",
    "workplace",
)
FEE_CLASS_FIELDS = ("", "_from", "_to")


def guardian_columns(n: int) -> tuple[str, ...]:
    return tuple(f"guardian{n}_{name}" for name in GUARDIAN_FIELDS)


def fee_class_columns(n: int) -> tuple[str, ...]:
    return tuple(f"fee_class_{n}{suffix}" for suffix in FEE_CLASS_FIELDS)


COLUMNS: tuple[str, ...] = (
    CERTIFICATION_COLUMNS
    + CHILD_COLUMNS
    + HOUSEHOLD_COLUMNS
    + sum((guardian_columns(n) for n in range(1, GUARDIAN_GROUPS + 1)), ())
    + sum((fee_class_columns(n) for n in range(1, FEE_CLASS_GROUPS + 1)), ())
)
#: Columns that describe the household: rows with the same household key repeat them.
HOUSEHOLD_WIDE = tuple(
    c for c in COLUMNS if c in HOUSEHOLD_COLUMNS or c.startswith(("guardian", "fee_class_"))
)

#: Sex as ISO/IEC 5218 writes it (and the resident register's systems read it).
SEX_CODES = {"male": "1", "female": "2", "other": "9"}
SEX_FROM_CODE = {code: sex for sex, code in SEX_CODES.items()}
FLAG_CODES = {False: "0", True: "1"}
STATUSES = ("active", "ended")
END_REASONS = ("aged_out", "moved_out", "excluded_enrolment", "requested")
FEE_CLASSES = ("none", "public_assistance", "tax_exempt", "low_income", "support_needed")

#: Characters that have one JIS X 0208 code but two Unicode spellings: the Shift_JIS file
#: writes the CP932 spelling (U+2014 EM DASH is JIS 1-01-29, which CP932 reads as U+2015).
#: Python's cp932 codec already writes 〜 − ‖ ¢ £ ¬ (U+301C, U+2212, U+2016, U+00A2, U+00A3,
#: U+00AC) as the bytes of ～ － ∥ ￠ ￡ ￢, which read back as those.
CP932_SPELLING = str.maketrans({"\u2014": "\u2015"})
#: Cells a spreadsheet would run as a formula, and cells that begin with the escape itself,
#: are written with a leading apostrophe, which the import removes again (one, reversibly).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")


def escape(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_START) else text


def unescape(text: str) -> str:
    return text[1:] if text.startswith("'") else text


def cell(text: str) -> str:
    text = escape(text)
    if any(c in text for c in ',"\r\n') or text != text.strip():
        text = '"' + text.replace('"', '""') + '"'
    return text


def line(values) -> str:
    return ",".join(cell(v) for v in values) + "\r\n"


@dataclass(frozen=True)
class Unencodable:
    """A cell the Shift_JIS file cannot hold: its row (the header is row 1), column and the
    characters."""

    row: int
    column: str
    characters: str


class EncodingRefused(ValueError):
    def __init__(self, problems: list[Unencodable]):
        super().__init__(f"{len(problems)} cells cannot be written in Shift_JIS")
        self.problems = problems


def cp932_problem(text: str) -> str:
    """The characters of ``text`` that Shift_JIS (CP932) cannot hold, in order, once."""
    bad = []
    for ch in text.translate(CP932_SPELLING):
        try:
            ch.encode(CP932)
        except UnicodeEncodeError:
            if ch not in bad:
                bad.append(ch)
    return "".join(bad)


def write(rows: list[dict[str, str]], encoding: str) -> bytes:
    """The file: a header line and one line per row, CRLF; UTF-8 with a BOM, or Shift_JIS
    (CP932) refusing (:class:`EncodingRefused`, every cell named) what CP932 cannot hold."""
    if encoding not in ENCODINGS:
        raise ValueError(encoding)
    text = line(COLUMNS) + "".join(line(row[c] for c in COLUMNS) for row in rows)
    if encoding == UTF8:
        return (BOM + text).encode(UTF8)
    problems = [
        Unencodable(number, column, bad)
        for number, row in enumerate(rows, start=2)
        for column in COLUMNS
        if (bad := cp932_problem(row[column]))
    ]
    if problems:
        raise EncodingRefused(problems)
    return text.translate(CP932_SPELLING).encode(CP932)


class Unreadable(ValueError):
    """The bytes are not a CSV file in either encoding; ``code`` says why."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(code)
        self.code = code
        self.detail = detail


def decode(data: bytes, encoding: str = "") -> tuple[str, str]:
    """The text of the file and the encoding it was read in. A UTF-8 byte-order mark decides;
    else the ``encoding`` chosen; else UTF-8 if the bytes are valid UTF-8, else CP932."""
    if data.startswith(BOM.encode(UTF8)):
        encoding, data = UTF8, data[3:]
    candidates = (encoding,) if encoding else (UTF8, CP932)
    for candidate in candidates:
        try:
            text = data.decode(candidate)
        except UnicodeDecodeError as exc:
            last = exc
            continue
        if "\x00" in text:
            raise Unreadable("nul")
        return text, candidate
    raise Unreadable("encoding", str(last.start))


@dataclass(frozen=True)
class Record:
    number: int  # the row in the file, the header being row 1
    values: dict[str, str]


def read(text: str) -> tuple[list[str], list[Record]]:
    """The header and the records (cells unescaped and stripped). Blank lines are skipped.
    Raises :class:`Unreadable` for broken quoting."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[Record] = []
    header: list[str] | None = None
    row_number = 0
    try:
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            row_number += 1
            if header is None:
                header = [v.strip() for v in values]
                continue
            cells = [unescape(v.strip()) for v in values]
            padded = cells + [""] * (len(header) - len(cells))
            record = dict(zip(header, padded, strict=False))
            if len(cells) > len(header):
                record["\x00extra"] = str(len(cells))
            records.append(Record(row_number, record))
    except csv.Error as exc:
        raise Unreadable("csv", str(reader.line_num)) from exc
    return header or [], records
