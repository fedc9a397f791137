"""A small QR decoder for the tests (issue 13 item 4): reads the code the facility's tablet
shows back into its text, from the SVG the page renders, without any QR library.

``modules_from_svg`` turns segno's inline SVG (one path of horizontal runs) into the module
matrix; ``decode`` reads a matrix of versions 1-6 (the check-in URL is version 4-6): format
information (level and mask), the data modules in the standard's zig-zag order, unmasked,
de-interleaved into blocks, then the numeric, alphanumeric and byte segments. There is no
error correction: the matrix comes from the page itself, not from a camera.
"""

from __future__ import annotations

import re

#: Alignment pattern centres per version (ISO/IEC 18004 Annex E).
ALIGNMENT = {1: [], 2: [6, 18], 3: [6, 22], 4: [6, 26], 5: [6, 30], 6: [6, 34]}
#: (level, version) -> (error-correction codewords per block, [(blocks, data codewords)]).
BLOCKS = {
    ("L", 1): (7, [(1, 19)]),
    ("M", 1): (10, [(1, 16)]),
    ("Q", 1): (13, [(1, 13)]),
    ("H", 1): (17, [(1, 9)]),
    ("L", 2): (10, [(1, 34)]),
    ("M", 2): (16, [(1, 28)]),
    ("Q", 2): (22, [(1, 22)]),
    ("H", 2): (28, [(1, 16)]),
    ("L", 3): (15, [(1, 55)]),
    ("M", 3): (26, [(1, 44)]),
    ("Q", 3): (18, [(2, 17)]),
    ("H", 3): (22, [(2, 13)]),
    ("L", 4): (20, [(1, 80)]),
    ("M", 4): (18, [(2, 32)]),
    ("Q", 4): (26, [(2, 24)]),
    ("H", 4): (16, [(4, 9)]),
    ("L", 5): (26, [(1, 108)]),
    ("M", 5): (24, [(2, 43)]),
    ("Q", 5): (18, [(2, 15), (2, 16)]),
    ("H", 5): (22, [(2, 11), (2, 12)]),
    ("L", 6): (18, [(2, 68)]),
    ("M", 6): (16, [(4, 27)]),
    ("Q", 6): (24, [(4, 19)]),
    ("H", 6): (28, [(4, 15)]),
}
LEVEL_BITS = {1: "L", 0: "M", 3: "Q", 2: "H"}
MASKS = [
    lambda x, y: (x + y) % 2 == 0,
    lambda x, y: y % 2 == 0,
    lambda x, y: x % 3 == 0,
    lambda x, y: (x + y) % 3 == 0,
    lambda x, y: (x // 3 + y // 2) % 2 == 0,
    lambda x, y: x * y % 2 + x * y % 3 == 0,
    lambda x, y: (x * y % 2 + x * y % 3) % 2 == 0,
    lambda x, y: ((x + y) % 2 + x * y % 3) % 2 == 0,
]
ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


class NotDecoded(ValueError):
    pass


def modules_from_svg(svg: str) -> list[list[bool]]:
    """The module matrix (without the quiet zone) of a QR code rendered by segno as SVG: the
    viewBox gives the size with the border, the path's runs (``h``) the dark modules."""
    box = re.search(r'viewBox="0 0 (\d+) (\d+)"', svg)
    path = re.search(r'<path[^>]* d="([^"]+)"', svg)
    if not box or not path:
        raise NotDecoded("no QR path in the SVG")
    total = int(box.group(1))
    runs = re.findall(r"([MmHh])\s*(-?[\d.]+)(?:[ ,](-?[\d.]+))?", path.group(1))
    dark: set[tuple[int, int]] = set()
    x = y = 0.0
    for command, a, b in runs:
        if command == "M":
            x, y = float(a), float(b)
        elif command == "m":
            x, y = x + float(a), y + float(b)
        else:  # a horizontal run of dark modules
            length = float(a) if command == "h" else float(a) - x
            for i in range(int(length)):
                dark.add((int(y), int(x) + i))
            x += length
    rows = {r for r, _c in dark}
    cols = {c for _r, c in dark}
    border = min(min(rows), min(cols))  # the finder patterns touch the quiet zone
    size = total - 2 * border
    return [[(r + border, c + border) in dark for c in range(size)] for r in range(size)]


def _function_modules(size: int, version: int) -> list[list[bool]]:
    reserved = [[False] * size for _ in range(size)]

    def block(r0, c0, h, w):
        for r in range(max(r0, 0), min(r0 + h, size)):
            for c in range(max(c0, 0), min(c0 + w, size)):
                reserved[r][c] = True

    block(0, 0, 9, 9)  # finder, separator, format information
    block(0, size - 8, 9, 8)
    block(size - 8, 0, 8, 9)  # with the dark module
    block(6, 0, 1, size)  # timing patterns
    block(0, 6, size, 1)
    centres = ALIGNMENT[version]
    for r in centres:
        for c in centres:
            if (r, c) in ((6, 6), (6, centres[-1]), (centres[-1], 6)):
                continue
            block(r - 2, c - 2, 5, 5)
    return reserved


def _format(matrix) -> tuple[str, int]:
    """The level and mask, from the format information around the top-left finder."""
    bit = [0] * 15
    for i in range(6):
        bit[i] = matrix[i][8]
    bit[6], bit[7], bit[8] = matrix[7][8], matrix[8][8], matrix[8][7]
    for i in range(9, 15):
        bit[i] = matrix[8][14 - i]
    read = sum(int(b) << i for i, b in enumerate(bit))
    best = None
    for data in range(32):
        rem = data
        for _ in range(10):
            rem = (rem << 1) ^ ((rem >> 9) * 0x537)
        candidate = ((data << 10) | rem) ^ 0x5412
        distance = bin(candidate ^ read).count("1")
        if best is None or distance < best[0]:
            best = (distance, data)
    if best[0] > 3:
        raise NotDecoded("unreadable format information")
    return LEVEL_BITS[best[1] >> 3], best[1] & 7


def decode(matrix: list[list[bool]]) -> str:
    size = len(matrix)
    version = (size - 17) // 4
    if version not in ALIGNMENT or size != 17 + 4 * version:
        raise NotDecoded(f"size {size}: versions 1-6 only")
    level, mask = _format(matrix)
    reserved = _function_modules(size, version)
    bits: list[int] = []
    right = size - 1
    while right >= 1:
        if right == 6:
            right = 5
        upward = ((right + 1) & 2) == 0
        for vert in range(size):
            y = size - 1 - vert if upward else vert
            for x in (right, right - 1):
                if not reserved[y][x]:
                    bits.append(int(matrix[y][x] ^ MASKS[mask](x, y)))
        right -= 2
    codewords = [int("".join(map(str, bits[i : i + 8])), 2) for i in range(0, len(bits) - 7, 8)]
    _ec, groups = BLOCKS[(level, version)]
    lengths = [n for count, n in groups for _ in range(count)]
    blocks: list[list[int]] = [[] for _ in lengths]
    it = iter(codewords)
    for i in range(max(lengths)):
        for b, n in enumerate(lengths):
            if i < n:
                blocks[b].append(next(it))
    data = "".join(f"{c:08b}" for block in blocks for c in block)
    return _segments(data)


def _segments(data: str) -> str:
    out = bytearray()
    pos = 0

    def take(n: int) -> int:
        nonlocal pos
        if pos + n > len(data):
            raise NotDecoded("truncated data")
        value = int(data[pos : pos + n], 2)
        pos += n
        return value

    while pos + 4 <= len(data):
        mode = take(4)
        if mode == 0:
            break
        if mode == 0b0100:  # bytes
            out += bytes(take(8) for _ in range(take(8)))
        elif mode == 0b0010:  # alphanumeric
            count = take(9)
            for _ in range(count // 2):
                pair = take(11)
                out += (ALPHANUMERIC[pair // 45] + ALPHANUMERIC[pair % 45]).encode()
            if count % 2:
                out += ALPHANUMERIC[take(6)].encode()
        elif mode == 0b0001:  # numeric
            count = take(10)
            while count >= 3:
                out += f"{take(10):03d}".encode()
                count -= 3
            if count == 2:
                out += f"{take(7):02d}".encode()
            elif count == 1:
                out += f"{take(4)}".encode()
        else:
            raise NotDecoded(f"mode {mode:04b} not supported")
    return out.decode("utf-8")
