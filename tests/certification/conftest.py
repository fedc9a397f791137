"""A ward with a real municipality code (新宿区 13104), a guardian account and a reviewer."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests import factories as f
from tsuen.accounts.models import Role
from tsuen.core import clock

PDF = b"%PDF-1.4\n% evidence\n"
TODAY = dt.datetime(2026, 5, 11, 10, 0)


@pytest.fixture(autouse=True)
def _today():
    with clock.frozen(TODAY):
        yield


@pytest.fixture
def ward(db):
    return f.municipality(code="13104", name="新宿区", certificate_prefix="SJ")


@pytest.fixture
def applicant(ward):
    return f.user(Role.GUARDIAN, email="hanako@example.jp")


@pytest.fixture
def reviewer(ward):
    staff = f.user(Role.MUNICIPAL_REVIEWER, municipality=ward)
    f.second_factor(staff)
    return staff


def evidence(name="課税証明書.pdf", data=PDF):
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def answers(**children_overrides) -> dict:
    """Complete answers: a guardian in 新宿区 and one child born 2024-04-10."""
    child = {
        "family_name": "山田",
        "given_name": "一花",
        "family_name_kana": "やまだ",
        "given_name_kana": "ｲﾁｶ",
        "birth_date": "2024-04-10",
        "sex": "female",
        "medical_care": False,
        "disability": False,
        "declares_no_excluded_enrolment": True,
    } | children_overrides
    return {
        "guardian": {
            "family_name": "山田",
            "given_name": "花子",
            "family_name_kana": "ヤマダ",
            "given_name_kana": "ハナコ",
            "birth_date": "1992-06-01",
            "sex": "female",
            "relation": "母",
            "phone": "090-1234-5678",
            "email": "hanako@example.jp",
            "workplace": "新宿商事",
        },
        "address": {
            "postal_code": "1600022",
            "prefecture": "",
            "city": "",
            "address_line": "新宿1-1-1",
        },
        "fee_class": "tax_exempt",
        "children": [child],
    }


def post_data(entries: dict, action: str = "submit") -> dict:
    """The edit page's POST body for ``entries``."""
    data = {"action": action}
    for section in ("guardian", "address"):
        for k, v in entries[section].items():
            data[f"g-{k}"] = v
    data["g-fee_class"] = entries["fee_class"]
    children = entries["children"]
    data |= {
        "c-TOTAL_FORMS": str(len(children)),
        "c-INITIAL_FORMS": str(len(children)),
        "c-MIN_NUM_FORMS": "0",
        "c-MAX_NUM_FORMS": "1000",
    }
    for i, child in enumerate(children):
        for k, v in child.items():
            if isinstance(v, bool):
                if v:
                    data[f"c-{i}-{k}"] = "on"
            else:
                data[f"c-{i}-{k}"] = v
    return data
