"""Certificate numbers carry the fiscal year of the decision."""

from tsuen import rules
from tsuen.rules.certificates import FAULT_FISCAL_YEAR, FAULT_FORMAT, FAULT_SERIAL


def test_a_number_is_prefix_fiscal_year_and_five_digit_serial():
    assert rules.format_certificate_number("SJ", 2026, 7) == "SJ2026-00007"
    assert rules.parse_certificate_number("SJ2026-00007", "SJ") == rules.CertificateNumber(
        "SJ", 2026, 7
    )
    assert str(rules.CertificateNumber("NK", 2027, 12)) == "NK2027-00012"


def test_the_fiscal_year_must_be_the_decisions():
    assert rules.certificate_number_fault("SJ2026-00001", "SJ", 2026) is None
    assert rules.certificate_number_fault("SJ2099-00001", "SJ", 2026) == FAULT_FISCAL_YEAR
    assert rules.certificate_number_fault("SJ2025-00001", "SJ", 2026) == FAULT_FISCAL_YEAR


def test_other_shapes_are_refused():
    for number in ("NK2026-00001", "SJ26-1", "SJ2026-0001", "SJ2026-000001", "sj2026-00001", ""):
        assert rules.certificate_number_fault(number, "SJ", 2026) == FAULT_FORMAT, number
    assert rules.certificate_number_fault("SJ2026-00000", "SJ", 2026) == FAULT_SERIAL


def test_the_pattern_matches_exactly_this_years_numbers():
    import re

    pattern = rules.certificate_number_pattern("SJ", 2026)
    assert pattern == "SJ2026-[0-9]{5}"
    assert re.fullmatch(pattern, "SJ2026-00001")
    assert not re.fullmatch(pattern, "SJ2025-00001")
    assert rules.certificate_number_pattern("S.J", 2026) == ""  # no pattern rather than a wrong one
