"""The ward's own letterhead and branding (issue 10): who signs its notices, whom families
contact about them, the date style and the name the service goes by in email subjects.

The ward's administrator (``Action.WARD_SETTINGS_EDIT``) edits its own municipality's
``LETTERHEAD_FIELDS``; the national operator edits a municipality's register entry (some of the
same fields) in ``national.services``. Both write through :func:`apply_changes`: the fields that
changed, saved and audited by name in the caller's transaction. :func:`checked` is the one
validation of these fields (the national form uses it for the service name too): single lines
within the column's length, a phone number that looks like one, a service name without the
【】 that frame it in a subject. Bad input raises :class:`SettingsRefused` (per field) and
writes nothing.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from tsuen.audit import record
from tsuen.authz.policy import Action, get_or_404, require
from tsuen.core import clock, dates
from tsuen.municipalities.models import Municipality

#: What the ward's administrator keeps, in the order of the form.
TEXT_FIELDS = ("head_title", "office_department", "office_address", "office_phone", "service_name")
LETTERHEAD_FIELDS = (*TEXT_FIELDS, "western_years")
#: Japanese numbers: 10 digits (landlines, 0120) or 11 (mobiles, 050), starting with 0.
PHONE_DIGITS = (10, 11)
_PHONE_CHARS = re.compile(r"^[0-9()\- ]+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class SettingsRefused(ValidationError):
    """Some values are refused (the messages say which and why); nothing was written."""


def _max_length(name: str) -> int:
    return Municipality._meta.get_field(name).max_length


def _phone(value: str) -> str:
    if not value:
        return value
    digits = re.sub(r"\D", "", value)
    if (
        not _PHONE_CHARS.fullmatch(value)
        or not digits.startswith("0")
        or len(digits) not in PHONE_DIGITS
    ):
        raise ValidationError(
            _(
                "Enter a Japanese phone number of 10 or 11 digits starting with 0, with hyphens "
                "if you like (e.g. 03-5273-0000)."
            ),
            code="phone",
        )
    return value


def clean_text(name: str, value: str | None) -> str:
    """One text field as it is stored: full-width digits and hyphens made half-width in the
    phone number, spaces trimmed (and, in the service name, collapsed), one line, within the
    column's length. Raises ``ValidationError`` with the reason."""
    text = (value or "").strip()
    if _CONTROL.search(text):
        raise ValidationError(_("Write this on one line."), code="line")
    if name == "office_phone":
        text = unicodedata.normalize("NFKC", text).replace("－", "-").replace("ー", "-")
        text = " ".join(text.split())
    if name == "service_name":
        text = " ".join(text.split())
        if "【" in text or "】" in text:
            raise ValidationError(
                _("Leave out 【 and 】: email subjects put the name between them."),
                code="brackets",
            )
    limit = _max_length(name)
    if len(text) > limit:
        raise ValidationError(
            _("At most %(limit)d characters (this has %(length)d).")
            % {"limit": limit, "length": len(text)},
            code="max_length",
        )
    return _phone(text) if name == "office_phone" else text


def checked(data: dict) -> dict:
    """``data`` (the ``LETTERHEAD_FIELDS``) cleaned, or :class:`SettingsRefused` with every
    field's reason."""
    cleaned, errors = {}, {}
    for name in TEXT_FIELDS:
        try:
            cleaned[name] = clean_text(name, data.get(name))
        except ValidationError as error:
            errors[name] = error.messages
    cleaned["western_years"] = bool(data.get("western_years"))
    if errors:
        raise SettingsRefused(errors)
    return cleaned


def apply_changes(row: Municipality, data: dict, fields) -> list[str]:
    """Set the ``fields`` of ``row`` whose value in ``data`` differs, save only those and audit
    them by name (never their values). Call inside the caller's transaction, on a locked row.
    Returns the changed field names (empty: nothing written)."""
    changed = [k for k in fields if getattr(row, k) != data[k]]
    if changed:
        for k in changed:
            setattr(row, k, data[k])
        row.save(update_fields=changed)
        record("update", row, changed)
    return changed


def _ward(user, *, lock: bool = False) -> Municipality:
    """The user's own municipality when they may edit its settings; 404 otherwise."""
    require(user, Action.WARD_SETTINGS_EDIT, Municipality)
    rows = Municipality.objects.select_for_update() if lock else Municipality.objects.all()
    return get_or_404(user, Action.WARD_SETTINGS_EDIT, rows, pk=user.municipality_id)


def settings_of(admin) -> Municipality:
    """The administrator's ward, for the form (404 for anyone else)."""
    return _ward(admin)


def update(admin, data: dict) -> list[str]:
    """Save the ward's letterhead and branding; the names of the fields that changed."""
    cleaned = checked(data)
    with transaction.atomic():
        ward = _ward(admin, lock=True)
        return apply_changes(ward, cleaned, LETTERHEAD_FIELDS)


# --- the preview --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Preview:
    date: str  # today as every screen, PDF and email of the ward will write it
    subject: str  # a sample email subject
    head: str  # who signs the notices
    contact: list[str]  # the notices' contact section, line by line


def preview(ward: Municipality, data: dict) -> Preview:
    """How dates, an email subject and the notices' signature and contact section read with
    ``data`` (valid values of ``LETTERHEAD_FIELDS``) for ``ward``: nothing is saved."""
    from tsuen.notices.kinds import Notice
    from tsuen.notices.services import render

    sample = Municipality(
        pk=ward.pk,
        name=ward.name,
        prefecture=ward.prefecture,
        **{k: data[k] for k in LETTERHEAD_FIELDS},
    )
    today = clock.today()
    with dates.ward_style(sample):
        date = dates.date_text(today)
    subject, _body = render(
        Notice.BOOKING_CONFIRMED,
        translation.get_language() or "ja",
        {"facility_name": _("Sample nursery"), "date": today + dt.timedelta(days=7)},
        sample,
    )
    contact = [f"{sample} {sample.office_department}".strip(), sample.office_address]
    if sample.office_phone:
        contact.append(f"{_('Phone')}: {sample.office_phone}")
    return Preview(date, subject, sample.head, [line for line in contact if line])
