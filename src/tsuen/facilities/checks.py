"""What makes a facility's data valid, whoever edits it: the ward registering or editing a
facility, or the facility's manager keeping its profile."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

from tsuen.core import postal
from tsuen.facilities.models import FacilityType

#: The fields the ward sets when it registers or edits a facility.
REGISTER_FIELDS = (
    "facility_type",
    "name",
    "name_kana",
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
#: Japan from Okinotorishima to Etorofu, Yonaguni to Minamitorishima (with a margin).
LATITUDES = (Decimal(20), Decimal(46))
LONGITUDES = (Decimal(122), Decimal(154))


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
    return problems
