"""What makes a facility's data valid, whoever edits it: the ward registering or editing a
facility, or the facility's manager keeping its profile."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

from django.utils.translation import gettext as _

from tsuen.core import postal
from tsuen.facilities.models import FacilityType

#: The fields the ward sets when it registers or edits a facility.
REGISTER_FIELDS = (
    "facility_type",
    "name",
    "name_kana",
    "facility_number",
    "postal_code",
    "address",
    "latitude",
    "longitude",
    "phone",
    "accepts_class_0",
    "accepts_class_1",
    "accepts_class_2",
    "offers_regular",
    "offers_flexible",
    "medical_care_support",
    "allergy_support",
    "fee_per_hour",
    "opens_at",
    "closes_at",
)
#: The account the ward pays the claims into (振込先): the facility's manager keeps it.
BANK_FIELDS = (
    "bank_name",
    "bank_branch",
    "bank_account_type",
    "bank_account_number",
    "bank_account_holder",
)
_FACILITY_NUMBER = re.compile(r"^\d{10}$")
_ACCOUNT_NUMBER = re.compile(r"^\d{7}$")
#: An account holder as banks write it: katakana (full or half width), Latin capitals and
#: digits, spaces and the few marks a name in a transfer may carry.
_HOLDER = re.compile(r"^[\u30A0-\u30FF\uFF66-\uFF9FA-Z0-9 ()（）.．,，\-‐ー/]+$")
#: Japan from Okinotorishima to Etorofu, Yonaguni to Minamitorishima (with a margin).
LATITUDES = (Decimal(20), Decimal(46))
LONGITUDES = (Decimal(122), Decimal(154))


def normalised(text: str | None) -> str:
    """Full-width digits and letters made half-width, spaces trimmed (numbers typed in a
    Japanese input method arrive full width)."""
    return unicodedata.normalize("NFKC", text or "").strip()


def facility_number_problems(number: str, prefecture_code: str | None = None) -> list[str]:
    """What is wrong with a facility number (事業所番号): empty is allowed (not yet known)."""
    if not number:
        return []
    if not _FACILITY_NUMBER.match(number):
        return [_("Enter the facility number (事業所番号) as ten digits.")]
    if prefecture_code and number[:2] != prefecture_code:
        return [
            _("The facility number must begin with the prefecture's code %(code)s.")
            % {"code": prefecture_code}
        ]
    return []


def bank_problems(values: dict) -> list[str]:
    """What is wrong with the bank account (``BANK_FIELDS``, normalised): all or nothing."""
    given = [name for name in BANK_FIELDS if values.get(name)]
    if not given:
        return []
    problems = []
    if len(given) < len(BANK_FIELDS):
        problems.append(
            _("Enter every part of the bank account (bank, branch, type, number, holder), or none.")
        )
    number = values.get("bank_account_number") or ""
    if number and not _ACCOUNT_NUMBER.match(number):
        problems.append(_("Enter the account number as seven digits."))
    holder = values.get("bank_account_holder") or ""
    if holder and not _HOLDER.match(holder):
        problems.append(_("Write the account holder in katakana, as the bank has it."))
    return problems


def facility_problems(values: dict) -> list[str]:
    """What is wrong with a facility's data (``REGISTER_FIELDS``), in the user's language."""
    problems = []
    if values.get("facility_type") not in FacilityType.values:
        problems.append(_("Choose the type of the facility."))
    if not (values.get("name") or "").strip():
        problems.append(_("Enter the name of the facility."))
    if not (values.get("address") or "").strip():
        problems.append(_("Enter the address of the facility."))
    if postal.normalise_code(values.get("postal_code") or "") is None:
        problems.append(_("Enter the postal code as seven digits, for example 160-0022."))
    if not any(values.get(f"accepts_class_{n}") for n in range(3)):
        problems.append(_("Choose at least one age class that the facility accepts."))
    if not (values.get("offers_regular") or values.get("offers_flexible")):
        problems.append(_("Choose at least one use the facility offers (regular or flexible)."))
    latitude, longitude = values.get("latitude"), values.get("longitude")
    if (latitude is None) != (longitude is None):
        problems.append(_("Enter both the latitude and the longitude, or neither."))
    if latitude is not None and not LATITUDES[0] <= latitude <= LATITUDES[1]:
        problems.append(_("The latitude must be between 20 and 46 (in Japan)."))
    if longitude is not None and not LONGITUDES[0] <= longitude <= LONGITUDES[1]:
        problems.append(_("The longitude must be between 122 and 154 (in Japan)."))
    if (values.get("fee_per_hour") or 0) < 0:
        problems.append(_("The fee per hour cannot be negative."))
    opens, closes = values.get("opens_at"), values.get("closes_at")
    if (opens is None) != (closes is None):
        problems.append(_("Enter both the opening and the closing time, or neither."))
    if opens and closes and closes <= opens:
        problems.append(_("The closing time must be after the opening time."))
    problems += facility_number_problems(values.get("facility_number") or "")
    return problems
