"""CSV cells shared by the claim export and the audit-log export."""

from tsuen.core.csvutil import BOM, csv_cell, csv_row


def test_formulas_are_neutralised():
    assert csv_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert csv_cell("+81") == "'+81"
    assert csv_cell("-1") == "'-1"
    assert csv_cell("@SUM") == "'@SUM"
    assert csv_cell("\tx") == "'\tx"


def test_quoting_only_where_needed_and_crlf_lines():
    assert csv_cell("plain 文字") == "plain 文字"
    assert csv_cell('say "hi", then') == '"say ""hi"", then"'
    assert csv_cell("two\nlines") == '"two\nlines"'
    assert csv_row(["a", 1, "=b,c"]) == 'a,1,"\'=b,c"\r\n'
    assert BOM.encode() == b"\xef\xbb\xbf"
