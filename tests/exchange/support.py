"""A ward's worth of hard cases for exchange files: kana, long names, characters outside
Shift_JIS (外字-like), commas, quotes and newlines in fields, households of two children,
an ended certification, two guardians, three fee classes."""

from __future__ import annotations

import datetime as dt

from tests import factories as f
from tsuen.accounts.models import Role
from tsuen.certification.models import CertificationStatus, EndReason
from tsuen.families.models import HouseholdFeeClass, Sex

LONG = "寿限無寿限無五劫の擦り切れ海砂利水魚の水行末雲来末風来末食う寝る処に住む処やぶら小路"


def administrator(ward):
    admin = f.user(Role.MUNICIPAL_ADMIN, municipality=ward)
    f.second_factor(admin)
    return admin


def ward_with_records(ward, admin, *, outside_cp932: bool = True):
    """Three households, four children, five certifications (one ended)."""
    one = f.household(
        ward, address_line='西新宿2-8-1 "都庁前", 第一本庁舎\n(3階)', support_needed=True
    )
    f.guardian(one, family_name="𠮷田" if outside_cp932 else "吉田", family_name_kana="ヨシダ")
    f.guardian(
        one,
        family_name="吉田",
        given_name="一郎",
        given_name_kana="イチロウ",
        sex=Sex.MALE,
        relation="父",
        phone="+81-90-1111-2222",
        email="",
        workplace='=SUM(A1) 株式会社, "本社"',
        is_primary=False,
    )
    for start, end, fee in (
        (dt.date(2025, 4, 1), dt.date(2025, 8, 31), "none"),
        (dt.date(2025, 9, 1), dt.date(2026, 8, 31), "tax_exempt"),
        (dt.date(2026, 9, 1), None, "low_income"),
    ):
        HouseholdFeeClass.objects.create(
            household=one, fee_class=fee, valid_from=start, valid_to=end
        )
    a = f.child(
        one,
        family_name="髙﨑" if outside_cp932 else "高崎",
        given_name=LONG[:50],
        family_name_kana="タカサキ",
        given_name_kana="ジュゲムジュゲムゴコウノスリキレカイジャリスイギョ",
        disability=True,
        medical_care=True,
        sex=Sex.OTHER,
    )
    b = f.child(one, given_name="次郎", given_name_kana="ジロウ", birth_date=dt.date(2025, 1, 31))
    f.certification(
        a,
        admin,
        number="SJ2025-00001",
        valid_from=dt.date(2025, 4, 1),
        valid_to=dt.date(2025, 9, 30),
        status=CertificationStatus.ENDED,
        ended_on=dt.date(2025, 6, 30),
        end_reason=EndReason.MOVED_OUT,
    )
    f.certification(
        a,
        admin,
        number="SJ2026-00003",
        valid_from=dt.date(2026, 4, 1),
        valid_to=dt.date(2027, 4, 8),
    )
    f.certification(
        b,
        admin,
        number="SJ2026-00002",
        valid_from=dt.date(2025, 7, 31),
        valid_to=dt.date(2028, 1, 29),
    )

    two = f.household(ward, postal_code="1600022", address_line="新宿3-3-3")
    f.guardian(
        two,
        family_name="佐藤",
        given_name="〜ゆり〜",
        family_name_kana="サトウ",
        given_name_kana="ユリ",
        email="yuri@example.jp",
        relation="祖母, 同居",
    )
    HouseholdFeeClass.objects.create(
        household=two, fee_class="public_assistance", valid_from=dt.date(2026, 4, 1)
    )
    c = f.child(
        two,
        family_name="佐藤",
        family_name_kana="サトウ",
        given_name="'まこと",
        given_name_kana="マコト",
        sex=Sex.FEMALE,
    )
    f.certification(
        c,
        admin,
        number="SJ2026-00001",
        valid_from=dt.date(2024, 10, 10),
        valid_to=dt.date(2027, 4, 8),
    )

    three = f.household(ward, address_line="-1番地")
    f.guardian(three)
    d = f.child(three)
    f.certification(d, admin, number="X-9/1_a")
