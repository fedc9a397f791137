"""フリガナ: readings of names, normalised to full-width katakana.

People type readings in hiragana, in half-width katakana from an old phone keyboard, or with a
mix of ASCII and full-width spaces. :func:`normalise_kana` accepts all of these and returns one
spelling (full-width katakana, words separated by one full-width space), so that search and
sorting by reading work; anything that is not a reading (kanji, Latin letters, digits) is
refused with a message that names the characters.
"""

from __future__ import annotations

import re

import jaconv
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

SPACE = "\u3000"  # 全角スペース
_SPACES = re.compile(r"[\s\u3000]+")
#: What a reading may hold after conversion: the families model's validator accepts the same.
_ALLOWED = re.compile(r"[ァ-ヶー]")


def normalise_kana(text: str) -> str:
    """Hiragana and half-width katakana to full-width katakana, spaces to one full-width space.

    >>> normalise_kana(" やまだ　ﾀﾛｳ ")
    'ヤマダ\u3000タロウ'

    Raises ``ValidationError`` (message in the user's language) for an empty reading or one
    holding anything but kana, the prolonged sound mark and spaces.
    """
    converted = jaconv.hira2kata(jaconv.h2z(text or "", kana=True, ascii=False, digit=False))
    words = [w for w in _SPACES.split(converted) if w]
    if not words:
        raise ValidationError(_("Enter the reading in katakana or hiragana."), code="empty")
    bad = sorted({ch for ch in "".join(words) if not _ALLOWED.fullmatch(ch)})
    if bad:
        raise ValidationError(
            _(
                "Enter the reading in katakana or hiragana only; these characters cannot be "
                "used: %(chars)s"
            )
            % {"chars": " ".join(bad)},
            code="not_kana",
        )
    return SPACE.join(words)
