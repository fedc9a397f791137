"""The test suite's QR decoder (tests/qr_decode.py, used by the QR check-in browser test)
reads back what segno encodes, from the matrix and from segno's SVG, at every error level of
versions 1-6; a changed module in the format information or the data changes the answer."""

from __future__ import annotations

import contextlib

import pytest
import segno

from tests.qr_decode import NotDecoded, decode, modules_from_svg

TEXTS = [
    "https://tsuen.example.jp/visits/qr/123456/29934778.0deefd614aef7a7e898b1e5aa5b2d879/",
    "http://localhost:38213/visits/qr/3/29934770.1d095b421cb0013bcaec2dc9ce44b007/",
    "HELLO WORLD",
    "01234567890123",
    "tsuen: 1 2 3",
    "a",
]


def matrix_of(code) -> list[list[bool]]:
    return [[bool(m) for m in row] for row in code.matrix]


#: Every text at every level that fits versions 1-6 (the decoder's; the check-in URL is 4-6).
CASES = [
    (text, level)
    for text in TEXTS
    for level in "lmqh"
    if segno.make(text, error=level, micro=False, boost_error=False).version <= 6
]


@pytest.mark.parametrize(("text", "level"), CASES)
def test_reads_back_what_segno_encodes(text, level):
    code = segno.make(text, error=level, micro=False, boost_error=False)
    assert decode(matrix_of(code)) == text
    svg = code.svg_inline(border=4, omitsize=True)
    assert modules_from_svg(svg) == matrix_of(code)


def test_a_changed_module_changes_the_answer():
    text = TEXTS[0]
    matrix = matrix_of(segno.make(text, error="m"))
    size = len(matrix)
    flipped = [row[:] for row in matrix]
    for c in range(size - 8, size):  # a column of data modules, bottom right
        flipped[size - 1][c] = not flipped[size - 1][c]
    # Another text, or the changed bits no longer make a segment at all.
    with contextlib.suppress(NotDecoded):
        assert decode(flipped) != text
    broken = [row[:] for row in matrix]
    for i in range(6):  # the format information
        broken[i][8] = not broken[i][8]
    broken[8][7] = not broken[8][7]
    with pytest.raises(NotDecoded):
        decode(broken)
