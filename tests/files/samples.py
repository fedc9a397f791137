"""Files for upload tests, made at run time: real images (Pillow) and the EICAR test string.

The EICAR anti-virus test string is joined from two halves here so that no file in the
repository holds it (a scanner on a developer's machine would quarantine that file).
"""

from __future__ import annotations

import io

from PIL import Image, PngImagePlugin

_EICAR_FIRST = r"X5O!P%@AP[4\PZX54(P^)7CC)7}$"
_EICAR_SECOND = "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\n"

#: Where the GPS tags of :func:`jpeg_with_gps` put a family's home (Shinjuku, more or less).
GPS = {1: "N", 2: (35.0, 41.0, 22.0), 3: "E", 4: (139.0, 41.0, 30.0)}
GPS_IFD = 0x8825
ORIENTATION = 0x0112
MAKE = 0x010F


def eicar() -> bytes:
    return (_EICAR_FIRST + _EICAR_SECOND).encode("ascii")


def jpeg_with_gps(size=(60, 30), *, orientation: int = 6, comment: bytes = b"") -> bytes:
    """A JPEG whose EXIF names a camera and a GPS position and says "rotate 90° to view"."""
    image = Image.new("RGB", size, (200, 30, 30))
    image.paste((30, 30, 200), (0, 0, size[0] // 2, size[1]))  # left half blue
    exif = Image.Exif()
    exif[MAKE] = "TsuenPhone"
    exif[ORIENTATION] = orientation
    exif[GPS_IFD] = GPS
    out = io.BytesIO()
    image.save(
        out,
        "JPEG",
        exif=exif,
        comment=comment or b"taken at home",
        xmp=b"<x:xmpmeta><GPSLatitude>35,41.36N</GPSLatitude></x:xmpmeta>",
    )
    return out.getvalue()


def png(size=(8, 8), *, text: dict[str, str] | None = None) -> bytes:
    image = Image.new("RGBA", size, (0, 128, 0, 255))
    info = PngImagePlugin.PngInfo()
    for key, value in (text or {}).items():
        info.add_itxt(key, value)
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info)
    return out.getvalue()


def metadata_of(data: bytes) -> dict:
    """What a reader of the file could learn besides its pixels."""
    with Image.open(io.BytesIO(data)) as image:
        exif = image.getexif()
        return {
            "format": image.format,
            "size": image.size,
            "info": sorted(image.info),
            "text": dict(getattr(image, "text", {})),
            "exif": dict(exif),
            "gps": dict(exif.get_ifd(GPS_IFD)),
        }
