"""Filling the application form in a browser (shared by the browser tests)."""

from __future__ import annotations

from tests.certification.conftest import PDF


def fill_application(page, tmp_path, *, family="山田", child="一花", birth="2024-04-10") -> None:
    """Fill every field of a complete application (kana typed in hiragana and half-width, to
    be normalised) for one child, with a fee-class evidence file; does not submit."""
    page.fill("#id_g-family_name", family)
    page.fill("#id_g-given_name", "花子")
    page.fill("#id_g-family_name_kana", "やまだ")
    page.fill("#id_g-given_name_kana", "はなこ")
    page.fill("#id_g-birth_date", "1992-06-01")
    page.check("#id_g-sex_0")
    page.fill("#id_g-relation", "母")
    page.fill("#id_g-phone", "090-1234-5678")
    page.fill("#id_g-address_line", "新宿1-1-1")
    page.check("input[name=g-fee_class][value=tax_exempt]")
    evidence = tmp_path / "課税証明書.pdf"
    evidence.write_bytes(PDF)
    page.set_input_files("#id_g-fee_evidence", str(evidence))
    page.fill("#id_c-0-family_name", family)
    page.fill("#id_c-0-given_name", child)
    page.fill("#id_c-0-family_name_kana", "ﾔﾏﾀﾞ")
    page.fill("#id_c-0-given_name_kana", "いちか")
    page.fill("#id_c-0-birth_date", birth)
    page.check("#id_c-0-sex_0")
    page.check("#id_c-0-declares_no_excluded_enrolment")
