"""Reading and changing family data: every path checks the authorization layer first and
leaves an audit event (field names only, never values)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from tsuen.audit import record, record_many
from tsuen.authz.policy import Action, allows, filter_allowed, get_or_404, require
from tsuen.families.models import Child, FeeClass

#: Fields of a child that facility staff need for care (never the household's welfare/tax data).
CARE_FIELDS = (
    "family_name",
    "given_name",
    "family_name_kana",
    "given_name_kana",
    "birth_date",
    "sex",
    "disability",
    "medical_care",
    "allergies",
    "meal_requirements",
    "illnesses",
    "vaccinations",
    "development_notes",
    "pickup_persons",
)
LIST_FIELDS = ("family_name", "given_name", "birth_date")


def children_for(user) -> QuerySet[Child]:
    """The children the user may list; 404 when the user's role lists no children at all."""
    require(user, Action.CHILD_LIST, Child)
    children = list(
        filter_allowed(user, Action.CHILD_LIST, Child.objects.all())
        .select_related("household")
        .order_by("family_name_kana", "given_name_kana", "pk")
    )
    record_many("list", children, fields=LIST_FIELDS)
    return children


@dataclass(frozen=True)
class ChildView:
    child: Child
    fee_class_label: str | None
    can_edit: bool


def child_for(user, child_id: int) -> ChildView:
    """One child's profile as the user may see it."""
    child = get_or_404(
        user, Action.CHILD_VIEW, Child.objects.select_related("household"), pk=child_id
    )
    record("read", child, fields=CARE_FIELDS)
    fee_class_label = None
    if allows(user, Action.HOUSEHOLD_FEE_CLASS_VIEW, child.household):
        current = child.household.fee_classes.order_by("-valid_from").first()
        if current is not None:
            fee_class_label = FeeClass(current.fee_class).label
            record(
                "read", current, fields=["fee_class", "valid_from", "valid_to"], subjects=[child]
            )
    return ChildView(child, fee_class_label, allows(user, Action.CHILD_EDIT, child))
