"""Certificate numbers (認定番号): ``<prefix><fiscal year>-<5-digit serial>``, e.g. SJ2026-00001.

The fiscal year in the number is the fiscal year in which the certification is decided; a
number that names another year (SJ2025-00001 or SJ2099-00001 decided in FY2026) is refused.
"""

import re
from dataclasses import dataclass

SERIAL_DIGITS = 5

#: What is wrong with a typed number (``certificate_number_fault``).
FAULT_FORMAT = "format"
FAULT_FISCAL_YEAR = "fiscal_year"
FAULT_SERIAL = "serial"


@dataclass(frozen=True)
class CertificateNumber:
    prefix: str
    fiscal_year: int
    serial: int

    def __str__(self) -> str:
        return format_certificate_number(self.prefix, self.fiscal_year, self.serial)


def format_certificate_number(prefix: str, fiscal_year: int, serial: int) -> str:
    return f"{prefix}{fiscal_year}-{serial:0{SERIAL_DIGITS}d}"


def parse_certificate_number(number: str, prefix: str) -> CertificateNumber | None:
    """The parts of ``number`` under ``prefix``, or None when it does not have the format."""
    match = re.fullmatch(rf"{re.escape(prefix)}([0-9]{{4}})-([0-9]{{{SERIAL_DIGITS}}})", number)
    if match is None:
        return None
    return CertificateNumber(prefix, int(match.group(1)), int(match.group(2)))


def certificate_number_fault(number: str, prefix: str, fiscal_year: int) -> str | None:
    """Why ``number`` cannot be a certificate number decided in ``fiscal_year`` (one of the
    ``FAULT_*`` codes), or None when it can."""
    parsed = parse_certificate_number(number, prefix)
    if parsed is None:
        return FAULT_FORMAT
    if parsed.fiscal_year != fiscal_year:
        return FAULT_FISCAL_YEAR
    if parsed.serial == 0:
        return FAULT_SERIAL
    return None


def certificate_number_pattern(prefix: str, fiscal_year: int) -> str:
    """The number's shape for ``fiscal_year`` as an HTML ``pattern`` (a whole-string regex in
    the browser's syntax), or "" for a prefix that is not plain letters and digits."""
    if not re.fullmatch(r"[A-Za-z0-9]*", prefix):
        return ""
    return f"{prefix}{fiscal_year}-[0-9]{{{SERIAL_DIGITS}}}"
