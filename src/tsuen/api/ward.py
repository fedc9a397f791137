"""A ward's back-office systems (issue 13): the certifications' change feed, the tax system's
fee-class write-back, the claims with their payment status, the facility register.

Each operation calls the certification app's services (``certification.changes``,
``certification.ward_sync``) as the client's system user; docs/api.md, "A ward system's
nightly sync", shows them in order; docs/ward-sync.md describes the services.
"""

import datetime as dt
import json
from typing import Literal

from django.http import HttpResponse
from django.utils.http import parse_http_date_safe
from django.utils.translation import gettext as _
from ninja import Header, Query, Router, Schema
from pydantic import Field

from tsuen.api import paging
from tsuen.api import problems as pj
from tsuen.api.security import operation
from tsuen.billing.models import ClaimStatus
from tsuen.certification import changes, ward_sync
from tsuen.families.models import FeeClass

router = Router(tags=["ward"])

_STATUSES = [s for s in ClaimStatus.values if s != ClaimStatus.DRAFT]


# --- the change feed ---------------------------------------------------------------------------


class FeeClassPeriod(Schema):
    fee_class: str = Field(description="one of " + ", ".join(FeeClass.values))
    valid_from: dt.date
    valid_to: dt.date | None = Field(description="null: open-ended")


class ChangedCertification(Schema):
    id: int = Field(description="the certification's id in tsuen")
    number: str = Field(description="the certificate number (認定番号), unique in the ward")
    valid_from: dt.date
    valid_to: dt.date
    status: str = Field(description="active or ended")
    ended_on: dt.date | None
    end_reason: str = Field(description="aged_out, moved_out, excluded_enrolment, requested or ''")
    fee_class: str | None = Field(
        description="the household's class today (the first or last day when today is outside "
        "the validity); null when none is held then"
    )
    fee_classes: list[FeeClassPeriod] = Field(
        description="the household's fee classes overlapping the validity, oldest first"
    )
    changes: list[str] = Field(
        description="what changed since the cursor: certified, validity, fee_class, status"
    )
    changed_at: dt.datetime


class ChangeFeed(Schema):
    items: list[ChangedCertification]
    next_cursor: str = Field(
        description="store it and pass it as cursor next time (the same place when nothing changed)"
    )
    has_more: bool = Field(description="more changes wait: call again at once with next_cursor")


class ChangesQuery(Schema):
    cursor: str | None = Field(None, max_length=500)
    limit: int = Field(changes.DEFAULT_LIMIT, ge=1, le=changes.MAX_LIMIT)


@operation(
    router,
    "get",
    "/certifications/changes",
    scope="ward.certifications.read",
    response=ChangeFeed,
    url_name="ward_certification_changes",
    summary="The ward's certifications changed since a cursor",
)
def certification_changes(request, query: Query[ChangesQuery]):
    """Each certification of the ward changed after ``cursor`` (from the beginning without one),
    once, with its state now: number, validity, status, fee class. Store ``next_cursor``; when
    ``has_more`` call again with it. A cursor that was altered or belongs to another ward: 422."""
    user = request.auth.user
    try:
        page = changes.changes_since(user, query.cursor, query.limit)
    except changes.FeedInvalid as refused:
        field = "cursor" if refused.code == "cursor" else "limit"
        raise pj.ApiError(
            422,
            refused.messages[0],
            errors=[{"field": field, "message": refused.messages[0], "code": refused.code}],
        ) from None
    return {
        "items": [
            {
                "id": i.certification.pk,
                "number": i.certification.number,
                "valid_from": i.certification.valid_from,
                "valid_to": i.certification.valid_to,
                "status": i.certification.status,
                "ended_on": i.certification.ended_on,
                "end_reason": i.certification.end_reason,
                "fee_class": i.fee_class,
                "fee_classes": [
                    {"fee_class": p.fee_class, "valid_from": p.valid_from, "valid_to": p.valid_to}
                    for p in i.fee_classes
                ],
                "changes": i.kinds,
                "changed_at": i.changed_at,
            }
            for i in page.items
        ],
        "next_cursor": page.next_cursor,
        "has_more": page.has_more,
    }


# --- the fee-class write-back ------------------------------------------------------------------


class FeeClassDecision(Schema):
    number: str = Field(max_length=30, description="the certificate number")
    fee_class: str = Field(max_length=30, description="one of " + ", ".join(FeeClass.values))
    valid_from: str = Field(max_length=30, description="YYYY-MM-DD", examples=["2026-09-01"])
    valid_to: str | None = Field(
        None, max_length=30, description="YYYY-MM-DD; null or absent: open-ended"
    )


class FeeClassBatch(Schema):
    rows: list[FeeClassDecision] = Field(max_length=ward_sync.MAX_ROWS)


class FeeClassesWritten(Schema):
    rows: int = Field(description="rows accepted (all of them)")
    decisions: int = Field(description="fee-class rows written (siblings' identical rows: one)")
    households: int


class RejectedRow(Schema):
    row: int = Field(description="1-based position of the row in rows")
    number: str
    code: str
    message: str


#: The 422 of the write-back: a problem with ``rejected``, every refused row.
_REJECTED_RESPONSE = {
    "422": {
        "description": "Rows refused (rejected lists each; nothing was written), or invalid input",
        "content": {
            pj.CONTENT_TYPE: {
                "schema": {
                    "allOf": [
                        {"$ref": "#/components/schemas/Problem"},
                        {
                            "type": "object",
                            "properties": {
                                "rejected": {
                                    "type": "array",
                                    "items": RejectedRow.model_json_schema(),
                                    "description": "every refused row: nothing was written",
                                }
                            },
                        },
                    ]
                }
            }
        },
    }
}


def _rejected(refused: ward_sync.WriteBackInvalid) -> HttpResponse:
    answer = pj.response(
        422,
        refused.messages[0],
        errors=[
            {"field": f"rows.{r.row - 1}", "message": r.message, "code": r.code}
            for r in refused.rejected
        ],
    )
    body = json.loads(answer.content)
    body["rejected"] = [
        {"row": r.row, "number": r.number, "code": r.code, "message": r.message}
        for r in refused.rejected
    ]
    answer.content = json.dumps(body, ensure_ascii=False)
    return answer


@operation(
    router,
    "post",
    "/fee-classes",
    scope="ward.fee_classes.write",
    response={200: FeeClassesWritten},
    url_name="ward_fee_classes",
    problems=(400,),
    summary="Write the tax system's fee-class decisions, all or nothing",
    openapi_extra={"responses": _REJECTED_RESPONSE},
)
def fee_classes(
    request,
    batch: FeeClassBatch,
    if_unmodified_since: str | None = Header(None, alias="If-Unmodified-Since"),
):
    """Each row: a certificate number of the ward, a fee class, the validity. Every row is
    checked; if any is refused, nothing is written and the 422 problem's ``rejected`` lists
    each refused row (row number, certificate number, code, message). Otherwise every decision
    is written in one transaction, as the ward's fee-class page would (a row from the same day
    corrects it, the latest open class is closed the day before a new one starts).

    ``If-Unmodified-Since`` (an HTTP date: when the tax system read the classes it decided on)
    refuses each row whose household's fee class was written after it (code ``changed_since``),
    so a stale file cannot overwrite what the ward's desk changed since."""
    since = None
    if if_unmodified_since:
        seconds = parse_http_date_safe(if_unmodified_since)
        if seconds is None:
            message = _("If-Unmodified-Since must be an HTTP date (RFC 9110).")
            raise pj.ApiError(
                422,
                message,
                errors=[{"field": "If-Unmodified-Since", "message": message, "code": "date"}],
            )
        since = dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
    rows = [
        ward_sync.FeeClassRow(r.number, r.fee_class, r.valid_from, r.valid_to) for r in batch.rows
    ]
    try:
        done = ward_sync.write_back_fee_classes(request.auth.user, rows, unmodified_since=since)
    except ward_sync.WriteBackInvalid as refused:
        return _rejected(refused)
    return {"rows": done.rows, "decisions": done.decisions, "households": done.households}


# --- claims and the register -------------------------------------------------------------------


class WardClaim(Schema):
    id: int
    facility_id: int
    facility_number: str = Field(description="事業所番号")
    facility_name: str
    year: int
    month: int
    version: int = Field(description="a correction is a new version superseding the last")
    status: str = Field(description="one of " + ", ".join(_STATUSES))
    total_benefit: int = Field(description="yen")
    total_reduction_reimbursed: int = Field(description="yen")
    submitted_at: dt.datetime | None
    approved_at: dt.datetime | None
    paid_at: dt.datetime | None


ClaimState = Literal["submitted", "queried", "approved", "paid", "superseded"]


class ClaimPage(Schema):
    items: list[WardClaim]
    next_cursor: str | None


class ClaimsQuery(Schema):
    year: int | None = Field(None, ge=2000, le=2100)
    month: int | None = Field(None, ge=1, le=12)
    status: ClaimState | None = None
    cursor: str | None = Field(None, max_length=500)
    limit: int = Field(paging.DEFAULT_LIMIT, ge=1, le=paging.MAX_LIMIT)


@operation(
    router,
    "get",
    "/claims",
    scope="ward.claims.read",
    response=ClaimPage,
    url_name="ward_claims",
    summary="The claims sent to the ward, with their payment status",
)
def claims(request, query: Query[ClaimsQuery]):
    """The claims facilities sent to the ward (never a draft), oldest first, with their status
    in the payment cycle (submitted, queried, approved, paid, superseded) and its dates."""
    asked = {"y": query.year, "m": query.month, "s": query.status or ""}
    after = paging.read_cursor(query.cursor, "ward_claims", **asked)
    shown, more = ward_sync.claims_page(
        request.auth.user,
        after=after,
        limit=query.limit,
        year=query.year,
        month=query.month,
        status=query.status or "",
    )
    next_cursor = paging.make_cursor("ward_claims", shown[-1].pk, **asked) if more else None
    return {
        "items": [
            {
                "id": c.pk,
                "facility_id": c.facility_id,
                "facility_number": c.facility.facility_number,
                "facility_name": c.facility.name,
                "year": c.year,
                "month": c.month,
                "version": c.version,
                "status": c.status,
                "total_benefit": c.total_benefit,
                "total_reduction_reimbursed": c.total_reduction_reimbursed,
                "submitted_at": c.submitted_at,
                "approved_at": c.approved_at,
                "paid_at": c.paid_at,
            }
            for c in shown
        ],
        "next_cursor": next_cursor,
    }


class RegisteredFacility(Schema):
    id: int
    facility_number: str = Field(description="事業所番号; empty until the ward registers it")
    name: str
    name_kana: str
    facility_type: str
    postal_code: str
    address: str
    phone: str
    latitude: float | None
    longitude: float | None
    age_classes: list[int]
    offers_regular: bool
    offers_flexible: bool
    suspended: bool
    manager_active: bool = Field(description="the facility's manager account is active")


class FacilityPage(Schema):
    items: list[RegisteredFacility]
    next_cursor: str | None


class FacilitiesQuery(Schema):
    cursor: str | None = Field(None, max_length=500)
    limit: int = Field(paging.DEFAULT_LIMIT, ge=1, le=paging.MAX_LIMIT)


@operation(
    router,
    "get",
    "/facilities",
    scope="ward.facilities.read",
    response=FacilityPage,
    url_name="ward_facilities",
    summary="The ward's facility register",
)
def facilities(request, query: Query[FacilitiesQuery]):
    """The facilities the ward registered (suspended ones too), oldest first."""
    from tsuen.facilities.services import AGE_CLASSES

    after = paging.read_cursor(query.cursor, "ward_facilities")
    rows = list(
        ward_sync.ward_facilities(request.auth.user).filter(pk__gt=after)[: query.limit + 1]
    )
    shown, next_cursor = paging.page(rows, query.limit, "ward_facilities")
    return {
        "items": [
            {
                "id": f.pk,
                "facility_number": f.facility_number,
                "name": f.name,
                "name_kana": f.name_kana,
                "facility_type": f.facility_type,
                "postal_code": f.postal_code,
                "address": f.address,
                "phone": f.phone,
                "latitude": float(f.latitude) if f.latitude is not None else None,
                "longitude": float(f.longitude) if f.longitude is not None else None,
                "age_classes": [c for c in AGE_CLASSES if f.accepts(c)],
                "offers_regular": f.offers_regular,
                "offers_flexible": f.offers_flexible,
                "suspended": f.suspended,
                "manager_active": f.manager_active,
            }
            for f in shown
        ],
        "next_cursor": next_cursor,
    }
