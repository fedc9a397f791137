"""One realistic value for every S-class field of the real models, with the plaintext fragments
that must never appear in the stored column."""

from __future__ import annotations

import datetime as dt

from tests import factories as f
from tsuen.certification.models import Application
from tsuen.families.models import FeeClass, HouseholdFeeClass

#: (model label, field, value, plaintext fragments that must not be in the raw column)
S_VALUES = [
    ("families.Child", "disability", True, ["true", "True"]),
    ("families.Child", "medical_care", True, ["true", "True"]),
    (
        "families.Child",
        "allergies",
        ["卵", "小麦", "落花生"],
        ["卵", "小麦", "落花生", "\\u5375"],
    ),
    (
        "families.Child",
        "meal_requirements",
        "ハラール（豚肉・アルコール不使用）",
        ["ハラール", "豚肉", "\\u30cf"],
    ),
    (
        "families.Child",
        "illnesses",
        [{"name": "川崎病", "diagnosed": "2025-02"}],
        ["川崎病", "diagnosed", "2025-02"],
    ),
    (
        "families.Child",
        "vaccinations",
        {"BCG": "2024-09-01", "四種混合": ["2024-06-10", "2024-07-10"]},
        ['"BCG"', "四種混合", "2024-09-01"],
    ),
    (
        "families.Child",
        "development_notes",
        "言葉の発達がゆっくり。療育センターに通所中。",
        ["言葉", "療育センター"],
    ),
    ("families.Household", "support_needed", True, ["true", "True"]),
    (
        "families.HouseholdFeeClass",
        "fee_class",
        FeeClass.PUBLIC_ASSISTANCE.value,
        ["public_assistance", "assistance"],
    ),
    (
        "certification.Application",
        "declared_fee_class",
        FeeClass.TAX_EXEMPT.value,
        ["tax_exempt", "exempt"],
    ),
]


def make_rows():
    """Rows holding every S_VALUES value: {(label, field): instance}."""
    muni = f.municipality()
    account, household, child = f.family(muni)
    for label, name, value, _ in S_VALUES:
        if label == "families.Child":
            setattr(child, name, value)
    child.save()
    household.support_needed = True
    household.save()
    fee = HouseholdFeeClass.objects.create(
        household=household,
        fee_class=FeeClass.PUBLIC_ASSISTANCE.value,
        valid_from=dt.date(2026, 4, 1),
    )
    application = Application.objects.create(
        municipality=muni,
        household=household,
        applicant=account,
        declared_fee_class=FeeClass.TAX_EXEMPT.value,
    )
    owners = {
        "families.Child": child,
        "families.Household": household,
        "families.HouseholdFeeClass": fee,
        "certification.Application": application,
    }
    return {(label, name): owners[label] for label, name, _, _ in S_VALUES}
