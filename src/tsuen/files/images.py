"""Image uploads lose their metadata: decoded and re-encoded from their pixels alone.

A phone photo carries EXIF (the camera, the time, often the GPS position of a family's home),
XMP, comments and, in PNG, text chunks. :func:`strip_metadata` decodes the image with Pillow,
turns it upright by its EXIF orientation (the only piece of metadata that changes what a person
sees), and writes a new file from the pixels with no metadata at all: no EXIF, XMP, ICC profile,
comments, text chunks or resolution. Only a PNG's transparency survives (it is part of the
picture). The result is decoded once more and checked, so a Pillow change that started carrying
metadata over would refuse uploads instead of leaking them.

Decompression bombs: the pixel count is checked from the header before any pixel is decoded,
and Pillow's own bomb warning is an error here. A file that Pillow cannot decode is refused.
"""

from __future__ import annotations

import io
import struct
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

#: 50 megapixels: a 48-megapixel phone photo passes; decoding needs at most ~200 MB.
MAX_PIXELS = 50_000_000

#: content type -> (Pillow formats accepted for it, format written)
FORMATS = {
    "image/jpeg": (("JPEG",), "JPEG"),  # Pillow opens a multi-picture (MPO) JPEG as JPEG too
    "image/png": (("PNG",), "PNG"),
}
_JPEG_MODES = ("L", "RGB", "CMYK")
#: What a re-encoded file's ``info`` may hold: the decoder's own notes, not metadata.
_HARMLESS_INFO = {
    "transparency",
    *("jfif", "jfif_version", "jfif_unit", "jfif_density"),
    *("adobe", "adobe_transform"),  # the colour transform marker a CMYK JPEG needs
}


class ImageRefused(Exception):
    """The image cannot be accepted; ``reason`` is "undecodable" or "too_large"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def strip_metadata(data: bytes, content_type: str) -> bytes:
    """The image re-encoded from its pixels, upright, without metadata. Raises
    :class:`ImageRefused`."""
    accepted, written = FORMATS[content_type]
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=accepted) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise ImageRefused("too_large")
                image.load()
                upright = ImageOps.exif_transpose(image)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageRefused("too_large") from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, struct.error):
            raise ImageRefused("undecodable") from None
    clean = upright.copy()
    keep = ("transparency",) if written == "PNG" else ()
    clean.info = {key: upright.info[key] for key in keep if key in upright.info}
    out = io.BytesIO()
    if written == "JPEG":
        if clean.mode not in _JPEG_MODES:
            clean = clean.convert("RGB")
        clean.save(out, "JPEG", quality=90, optimize=True)
    else:
        clean.save(out, "PNG", optimize=True)
    result = out.getvalue()
    _check_clean(result)
    return result


def _check_clean(data: bytes) -> None:
    """Fail closed if metadata survived the re-encoding."""
    with Image.open(io.BytesIO(data)) as image:
        leftover = set(image.info) - _HARMLESS_INFO
        if leftover or getattr(image, "text", None) or image.getexif():
            raise RuntimeError(f"metadata survived re-encoding: {sorted(leftover)}")
