"""The public facility list in the national open-data layout for childcare facilities
(自治体標準オープンデータセット, 子育て施設一覧): the columns, one facility as a row, and a row read
back (issue 13, item 6). Pure functions: no database, no request. See docs/open-data.md for
where the layout comes from and how sure we are of each column.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from tsuen.core import postal
from tsuen.facilities.checks import LATITUDES, LONGITUDES
from tsuen.facilities.models import FacilityType

#: The dataset's columns, in the dataset's order. Columns tsuen holds no data for are written
#: empty (the layout keeps every column so that tools reading it by position still work).
COLUMNS = (
    "全国地方公共団体コード",
    "ID",
    "地方公共団体名",
    "名称",
    "名称_カナ",
    "名称_英字",
    "種別",
    "所在地_全国地方公共団体コード",
    "町字ID",
    "所在地_連結表記",
    "所在地_都道府県",
    "所在地_市区町村",
    "所在地_町字",
    "所在地_番地以下",
    "建物名等(方書)",
    "緯度",
    "経度",
    "電話番号",
    "内線番号",
    "FAX番号",
    "連絡先メールアドレス",
    "郵便番号",
    "法人番号",
    "団体名",
    "認可等年月日",
    "収容定員",
    "受入年齢",
    "利用可能曜日",
    "開始時間",
    "終了時間",
    "利用可能日時特記事項",
    "一時預かりの有無",
    "URL",
    "画像",
    "画像_ライセンス",
    "備考",
)
#: tsuen's own columns, after the dataset's (a reader that goes by column name ignores them):
#: what the program needs to know and the dataset has no column for.
EXTRA_COLUMNS = ("定期利用", "柔軟利用", "医療的ケア対応", "アレルギー対応食", "利用料_1時間")
HEADER = COLUMNS + EXTRA_COLUMNS

#: The columns an import reads; a file without every one of them is not this layout.
REQUIRED = (
    "全国地方公共団体コード",
    "ID",
    "名称",
    "名称_カナ",
    "種別",
    "所在地_連結表記",
    "緯度",
    "経度",
    "電話番号",
    "郵便番号",
    "受入年齢",
    "開始時間",
    "終了時間",
)

TYPE_LABELS = {
    FacilityType.GENERAL: "乳児等通園支援事業（一般型）",
    FacilityType.SPARE_CAPACITY: "乳児等通園支援事業（余裕活用型）",
}
WEEKDAY_LABELS = "月火水木金土日"
YES, NO = "有", "無"
MAX_ID = 40


def check_digit(code: str) -> str:
    """The check digit of a five-digit municipality code (JIS X 0402; 13104 → 1)."""
    total = sum(int(d) * w for d, w in zip(code, (6, 5, 4, 3, 2), strict=True))
    return str((11 - total % 11) % 10)


def full_code(code: str) -> str:
    """The six-digit 全国地方公共団体コード the dataset writes (13104 → 131041)."""
    return code + check_digit(code)


def _hm(value: dt.time | None) -> str:
    return value.strftime("%H:%M") if value else ""


def _yes(flag: bool) -> str:
    return YES if flag else NO


def ages_text(classes: list[int]) -> str:
    return "・".join(f"{n}歳児" for n in classes)


def decimal_text(value: Decimal | None) -> str:
    return "" if value is None else format(value.normalize(), "f")


def facility_row(facility, *, url: str, capacity: int | None, weekdays: list[int]) -> dict:
    """One facility as a row of the dataset (column name → text). ``capacity`` and
    ``weekdays`` come from the facility's weekly template (None / [] when it has none)."""
    municipality = facility.municipality
    code = full_code(municipality.code)
    classes = [n for n in range(3) if facility.accepts(n)]
    row = dict.fromkeys(HEADER, "")
    row |= {
        "全国地方公共団体コード": code,
        "ID": facility.open_data_id or f"{facility.pk:06d}",
        "地方公共団体名": f"{municipality.prefecture}{municipality.name}",
        "名称": facility.name,
        "名称_カナ": facility.name_kana,
        "種別": TYPE_LABELS.get(facility.facility_type, ""),
        "所在地_全国地方公共団体コード": code,
        "所在地_連結表記": facility.address,
        "所在地_都道府県": municipality.prefecture,
        "所在地_市区町村": municipality.name,
        "緯度": decimal_text(facility.latitude),
        "経度": decimal_text(facility.longitude),
        "電話番号": facility.phone,
        "郵便番号": facility.postal_code,
        "収容定員": "" if capacity is None else str(capacity),
        "受入年齢": ages_text(classes),
        "利用可能曜日": ",".join(WEEKDAY_LABELS[d - 1] for d in weekdays),
        "開始時間": _hm(facility.opens_at),
        "終了時間": _hm(facility.closes_at),
        "URL": url,
        "定期利用": _yes(facility.offers_regular),
        "柔軟利用": _yes(facility.offers_flexible),
        "医療的ケア対応": _yes(facility.medical_care_support),
        "アレルギー対応食": _yes(facility.allergy_support),
        "利用料_1時間": str(facility.fee_per_hour),
    }
    return row


# --- reading a file back ---------------------------------------------------------------------


class LayoutRefused(ValueError):
    """The file as a whole cannot be read (encoding, header): nothing of it is used."""


def decode(data: bytes) -> str:
    """The text of an uploaded CSV: UTF-8 (with or without its byte-order mark), else
    Shift_JIS as Windows writes it (CP932)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp932")
    except UnicodeDecodeError:
        raise LayoutRefused(
            _("The file could not be read as text: save it as CSV in UTF-8 or Shift_JIS.")
        ) from None


def read_rows(text: str) -> tuple[list[str], list[tuple[int, dict]]]:
    """The header and the rows (row number as a spreadsheet counts it, header = 1; column name
    → text) of a CSV in this layout. Raises :class:`LayoutRefused` for a wrong header."""
    try:
        lines = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error:
        raise LayoutRefused(_("The file is not a readable CSV file.")) from None
    if not lines or not any(cell.strip() for cell in lines[0]):
        raise LayoutRefused(_("The file is empty."))
    header = [cell.strip() for cell in lines[0]]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise LayoutRefused(
            _(
                "The first row is not the header of the 子育て施設一覧 layout: the columns "
                "%(columns)s are missing."
            )
            % {"columns": "、".join(missing)}
        )
    doubled = sorted({name for name in header if name and header.count(name) > 1})
    if doubled:
        raise LayoutRefused(
            _("The header names a column twice: %(columns)s.") % {"columns": "、".join(doubled)}
        )
    rows = []
    for number, cells in enumerate(lines[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue  # blank lines (a spreadsheet's trailing rows) are not rows
        values = {name: (cells[i] if i < len(cells) else "") for i, name in enumerate(header)}
        rows.append((number, values))
    return header, rows


@dataclass
class ParsedRow:
    """One row read: the register's values (``checks.REGISTER_FIELDS`` names, only those the
    file sets) and the row's problems as (column, reason)."""

    number: int
    open_data_id: str
    values: dict = field(default_factory=dict)
    problems: list[tuple[str, str]] = field(default_factory=list)


def _text(raw: dict, column: str) -> str:
    text = unicodedata.normalize("NFKC", raw.get(column) or "").strip()
    # A cell written formula-safe (core.csvutil) reads back as written.
    if text[:2] in ("'=", "'+", "'-", "'@"):
        text = text[1:]
    return text


def _plain(raw: dict, column: str) -> str:
    """A cell as typed (names and addresses keep their full-width characters), trimmed."""
    text = (raw.get(column) or "").strip()
    if text[:2] in ("'=", "'+", "'-", "'@"):
        text = text[1:]
    return text


_PHONE = re.compile(r"^0\d{1,4}-?\d{1,4}-?\d{3,4}$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_AGE = re.compile(r"([0-9])歳")


def _time(text: str) -> dt.time | None:
    match = _TIME.match(text)
    if not match:
        return None
    hour, minute = int(match[1]), int(match[2])
    if hour > 23 or minute > 59:
        return None
    return dt.time(hour, minute)


def _coordinate(text: str, bounds: tuple[Decimal, Decimal]) -> Decimal | None:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if not value.is_finite() or not bounds[0] <= value <= bounds[1]:
        return None
    return value.quantize(Decimal("0.000001"))


def _flag(text: str) -> bool | None:
    if text in (YES, "1", "true", "TRUE", "○", "〇"):
        return True
    if text in (NO, "0", "false", "FALSE", "×"):
        return False
    return None


def parse_row(number: int, raw: dict, municipality_code: str) -> ParsedRow:
    """Read one row for the register of the municipality ``municipality_code`` (five digits).
    Every problem of the row is listed; the values of a row with problems are not used."""
    row = ParsedRow(number, _text(raw, "ID"))
    problem = row.problems.append
    values = row.values

    code = _text(raw, "全国地方公共団体コード")
    if not re.fullmatch(r"\d{6}|\d{5}", code):
        problem(("全国地方公共団体コード", _("Write the six-digit municipality code.")))
    elif len(code) == 6 and check_digit(code[:5]) != code[5]:
        problem(("全国地方公共団体コード", _("The check digit (the sixth digit) is wrong.")))
    elif code[:5] != municipality_code:
        problem(
            (
                "全国地方公共団体コード",
                _("This is not your municipality's code (%(code)s).")
                % {"code": full_code(municipality_code)},
            )
        )

    if not row.open_data_id:
        problem(("ID", _("Every row needs an ID.")))
    elif len(row.open_data_id) > MAX_ID:
        problem(("ID", _("The ID is longer than %(max)d characters.") % {"max": MAX_ID}))

    name = _plain(raw, "名称")
    if not name:
        problem(("名称", _("Enter the name of the facility.")))
    elif len(name) > 100:
        problem(("名称", _("The name is longer than %(max)d characters.") % {"max": 100}))
    values["name"] = name
    kana = _plain(raw, "名称_カナ")
    if len(kana) > 200:
        problem(("名称_カナ", _("The name is longer than %(max)d characters.") % {"max": 200}))
    values["name_kana"] = kana

    kind = _text(raw, "種別")
    if "余裕活用" in kind:
        values["facility_type"] = FacilityType.SPARE_CAPACITY
    elif "一般" in kind:
        values["facility_type"] = FacilityType.GENERAL
    else:
        problem(("種別", _("Write the type: 一般型 or 余裕活用型.")))

    address = _plain(raw, "所在地_連結表記")
    if not address:
        problem(("所在地_連結表記", _("Enter the address of the facility.")))
    elif len(address) > 200:
        problem(
            ("所在地_連結表記", _("The address is longer than %(max)d characters.") % {"max": 200})
        )
    values["address"] = address

    digits = postal.normalise_code(_text(raw, "郵便番号"))
    if digits is None:
        problem(("郵便番号", _("Enter the postal code as seven digits, for example 160-0022.")))
    else:
        values["postal_code"] = f"{digits[:3]}-{digits[3:]}"

    latitude, longitude = _text(raw, "緯度"), _text(raw, "経度")
    if bool(latitude) != bool(longitude):
        problem(("緯度", _("Enter both the latitude and the longitude, or neither.")))
    values["latitude"] = values["longitude"] = None
    if latitude:
        values["latitude"] = _coordinate(latitude, LATITUDES)
        if values["latitude"] is None:
            problem(("緯度", _("The latitude must be a number between 20 and 46 (in Japan).")))
    if longitude:
        values["longitude"] = _coordinate(longitude, LONGITUDES)
        if values["longitude"] is None:
            problem(("経度", _("The longitude must be a number between 122 and 154 (in Japan).")))

    phone = _text(raw, "電話番号")
    if phone and (not _PHONE.match(phone) or not 10 <= len(phone.replace("-", "")) <= 11):
        problem(("電話番号", _("Write the phone number with its area code, e.g. 03-1234-5678.")))
    values["phone"] = phone

    ages = {int(n) for n in _AGE.findall(_text(raw, "受入年齢"))}
    classes = ages & {0, 1, 2}
    if not classes:
        problem(("受入年齢", _("Name the age classes accepted: 0歳児, 1歳児 or 2歳児.")))
    for n in range(3):
        values[f"accepts_class_{n}"] = n in classes

    opens_text, closes_text = _text(raw, "開始時間"), _text(raw, "終了時間")
    opens, closes = _time(opens_text), _time(closes_text)
    if opens_text and opens is None:
        problem(("開始時間", _("Write the time as hours and minutes, e.g. 08:30.")))
    if closes_text and closes is None:
        problem(("終了時間", _("Write the time as hours and minutes, e.g. 08:30.")))
    if bool(opens_text) != bool(closes_text):
        problem(("開始時間", _("Enter both the opening and the closing time, or neither.")))
    elif opens and closes and closes <= opens:
        problem(("終了時間", _("The closing time must be after the opening time.")))
    values["opens_at"], values["closes_at"] = opens, closes

    # tsuen's own columns: read when the file has them (a file from elsewhere may not).
    for column, name in (
        ("定期利用", "offers_regular"),
        ("柔軟利用", "offers_flexible"),
        ("医療的ケア対応", "medical_care_support"),
        ("アレルギー対応食", "allergy_support"),
    ):
        if _text(raw, column):  # an empty cell (or no column) leaves the value as it is
            flag = _flag(_text(raw, column))
            if flag is None:
                problem((column, _("Write 有 or 無.")))
            else:
                values[name] = flag
    uses = ("offers_regular", "offers_flexible")
    if all(name in values for name in uses) and not any(values[name] for name in uses):
        problem(("柔軟利用", _("Choose at least one use: 定期利用 or 柔軟利用.")))
    if _text(raw, "利用料_1時間"):
        fee = _text(raw, "利用料_1時間").replace(",", "").removesuffix("円")
        if not fee.isdigit() or int(fee) > 100_000:
            problem(("利用料_1時間", _("Write the fee per hour in yen, e.g. 300.")))
        else:
            values["fee_per_hour"] = int(fee)
    return row
