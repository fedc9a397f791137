"""The layout's cells and encodings, without a database."""

from __future__ import annotations

import pytest

from tsuen.exchange import layout


def _row(**values):
    return dict.fromkeys(layout.COLUMNS, "") | values


@pytest.mark.parametrize(
    "text",
    [
        "a,b",
        'say "hi"',
        "line\nbreak",
        "crlf\r\nin",
        "=1+1",
        "+81",
        "-3",
        "@x",
        "'quoted",
        "''two",
        "plain",
        "全角，カンマ",
        "",
    ],
)
def test_every_cell_reads_back_as_written(text):
    data = layout.write([_row(address_line=text, city="x")], layout.UTF8)
    _, [record] = layout.read(layout.decode(data)[0])
    assert record.values["address_line"] == text.strip()


def test_a_formula_is_never_written_bare():
    data = layout.write([_row(city="=HYPERLINK(1)")], layout.UTF8).decode("utf-8-sig")
    assert ",'=HYPERLINK(1)," in data


def test_utf8_has_a_bom_and_crlf_lines_and_shift_jis_has_none():
    rows = [_row(city="新宿区")]
    utf8 = layout.write(rows, layout.UTF8)
    sjis = layout.write(rows, layout.CP932)
    assert utf8.startswith(b"\xef\xbb\xbf") and utf8.count(b"\r\n") == 2
    assert not sjis.startswith(b"\xef\xbb\xbf") and "新宿区".encode("cp932") in sjis


def test_shift_jis_refuses_characters_it_cannot_hold_naming_row_and_column():
    rows = [_row(city="新宿区"), _row(child_family_name="𠮷田", address_line="髙﨑 🙂")]
    with pytest.raises(layout.EncodingRefused) as refused:
        layout.write(rows, layout.CP932)
    assert refused.value.problems == [
        layout.Unencodable(3, "child_family_name", "𠮷"),
        layout.Unencodable(3, "address_line", "🙂"),
    ]


def test_shift_jis_writes_the_cp932_spelling_of_one_jis_character():
    data = layout.write([_row(city="〜−—")], layout.CP932)
    text, used = layout.decode(data)
    assert used == layout.CP932
    assert "～－―" in text


def test_decoding_follows_the_bom_then_the_choice_then_utf8_then_cp932():
    sjis = "認定番号".encode("cp932")
    assert layout.decode(b"\xef\xbb\xbfabc") == ("abc", "utf-8")
    assert layout.decode("認定".encode()) == ("認定", "utf-8")
    assert layout.decode(sjis) == ("認定番号", "cp932")
    with pytest.raises(layout.Unreadable):
        layout.decode(sjis, "utf-8")
    with pytest.raises(layout.Unreadable):
        layout.decode(b"\x80\x00\xff\xff")


def test_broken_quoting_is_unreadable():
    with pytest.raises(layout.Unreadable):
        layout.read('a,b\r\n"x,y\r\n')
