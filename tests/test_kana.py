"""フリガナ: hiragana and half-width katakana become full-width katakana; anything else is
refused with a message naming the characters."""

import pytest
from django.core.exceptions import ValidationError

from tsuen.core.kana import normalise_kana
from tsuen.families.models import katakana


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("ヤマダ", "ヤマダ"),
        ("やまだ", "ヤマダ"),
        ("ﾔﾏﾀﾞ", "ヤマダ"),  # half-width with a separate voiced mark
        ("ｶﾞｰﾃﾞﾝ", "ガーデン"),
        ("ゔぁいおりん", "ヴァイオリン"),
        ("  やまだ   はなこ ", "ヤマダ\u3000ハナコ"),
        ("ヤマダ\u3000\u3000ハナコ", "ヤマダ\u3000ハナコ"),
        ("ヤマダ\tﾊﾅｺ", "ヤマダ\u3000ハナコ"),
    ],
)
def test_readings_are_normalised_to_full_width_katakana(typed, stored):
    assert normalise_kana(typed) == stored
    katakana(stored)  # and the families model accepts what we store


@pytest.mark.parametrize(
    ("typed", "named"),
    [("山田", "山 田"), ("Yamada", "Y a d m"), ("ヤマダ1", "1"), ("ヤマダ・ハナコ", "・")],
)
def test_anything_but_kana_is_refused_naming_the_characters(typed, named):
    with pytest.raises(ValidationError) as refused:
        normalise_kana(typed)
    assert refused.value.code == "not_kana"
    assert named in refused.value.messages[0]


@pytest.mark.parametrize("typed", ["", "   ", "\u3000"])
def test_an_empty_reading_is_refused(typed):
    with pytest.raises(ValidationError) as refused:
        normalise_kana(typed)
    assert refused.value.code == "empty"


def test_the_message_is_in_the_users_language():
    from django.utils import translation

    with translation.override("en"), pytest.raises(ValidationError) as refused:
        normalise_kana("山田")
    assert "katakana or hiragana" in refused.value.messages[0]
