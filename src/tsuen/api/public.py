"""Public operations, without credentials: what the public facility pages show."""

import datetime as dt

from django.contrib.auth.models import AnonymousUser
from django.db.models import Sum
from ninja import Query, Router, Schema
from pydantic import Field

from tsuen.api import paging
from tsuen.api.security import operation
from tsuen.authz.policy import Action, filter_allowed
from tsuen.core import clock, tenancy
from tsuen.facilities import services as facility_services
from tsuen.facilities.models import Facility
from tsuen.facilities.services import AGE_CLASSES

router = Router(tags=["public"])


class FreePlaces(Schema):
    date: dt.date
    age_class: int = Field(description="0, 1 or 2 (the age class of the fiscal year)")
    free: int = Field(description="places left over the day's slots of this age class")


class PublicFacility(Schema):
    id: int
    name: str
    name_kana: str
    facility_type: str
    municipality_code: str
    municipality_name: str
    postal_code: str
    address: str
    latitude: float | None
    longitude: float | None
    phone: str
    age_classes: list[int]
    offers_regular: bool
    offers_flexible: bool
    medical_care_support: bool
    allergy_support: bool
    fee_per_hour: int
    opens_at: str | None
    closes_at: str | None
    access: str
    free_places: list[FreePlaces] = Field(
        description="open days of the next four weeks with places left, per age class"
    )


class PublicFacilityPage(Schema):
    items: list[PublicFacility]
    next_cursor: str | None
    start: dt.date
    end: dt.date


class PublicQuery(Schema):
    municipality_code: str | None = Field(None, max_length=6, pattern=r"^[0-9]{6}$")
    cursor: str | None = Field(None, max_length=500)
    limit: int = Field(paging.DEFAULT_LIMIT, ge=1, le=paging.MAX_LIMIT)


def _hm(value) -> str | None:
    return value.strftime("%H:%M") if value else None


@operation(
    router,
    "get",
    "/facilities",
    scope=None,
    public=True,
    response=PublicFacilityPage,
    url_name="public_facilities",
    summary="Facilities with their free places for the next four weeks",
)
def public_facilities(request, query: Query[PublicQuery]):
    """Every facility open to bookings (not suspended), with its public details and, per open
    day of the next four weeks and age class, the places left (the public calendar's numbers)."""
    asked = {"m": query.municipality_code or ""}
    after = paging.read_cursor(query.cursor, "public_facilities", **asked)
    today = clock.today()
    start, end = facility_services.window(today)
    with tenancy.cross_tenant("public facility list (no personal data)"):
        facilities = filter_allowed(
            AnonymousUser(), Action.FACILITY_VIEW, Facility.objects.filter(suspended=False)
        ).select_related("municipality")
        if query.municipality_code:
            facilities = facilities.filter(municipality__code=query.municipality_code)
        rows = list(facilities.filter(pk__gt=after).order_by("pk")[: query.limit + 1])
        shown, next_cursor = paging.page(rows, query.limit, "public_facilities", **asked)
        free: dict[int, list[dict]] = {f.pk: [] for f in shown}
        slots = (
            facility_services.open_slots(start, end)
            .filter(facility_id__in=list(free))
            .order_by()
            .values("facility_id", "date", "age_class")
            .annotate(free=Sum("left"))
            .order_by("facility_id", "date", "age_class")
        )
        for row in slots:
            free[row["facility_id"]].append(
                {"date": row["date"], "age_class": row["age_class"], "free": row["free"] or 0}
            )
    items = [
        {
            "id": f.pk,
            "name": f.name,
            "name_kana": f.name_kana,
            "facility_type": f.facility_type,
            "municipality_code": f.municipality.code,
            "municipality_name": f.municipality.name,
            "postal_code": f.postal_code,
            "address": f.address,
            "latitude": float(f.latitude) if f.latitude is not None else None,
            "longitude": float(f.longitude) if f.longitude is not None else None,
            "phone": f.phone,
            "age_classes": [c for c in AGE_CLASSES if f.accepts(c)],
            "offers_regular": f.offers_regular,
            "offers_flexible": f.offers_flexible,
            "medical_care_support": f.medical_care_support,
            "allergy_support": f.allergy_support,
            "fee_per_hour": f.fee_per_hour,
            "opens_at": _hm(f.opens_at),
            "closes_at": _hm(f.closes_at),
            "access": f.access,
            "free_places": free[f.pk],
        }
        for f in shown
    ]
    return {"items": items, "next_cursor": next_cursor, "start": start, "end": end}
