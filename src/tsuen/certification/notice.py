"""The ward's notices to a family as PDFs (WeasyPrint, IPAex Gothic embedded; dates in 和暦).

Three documents, each a real administrative notice: a document number, the date, the
addressee (the household's first guardian with the household's address), the head of the
municipality with a place for the official seal (公印), the decision, the 教示 (how to ask for a
review or go to court) and whom to contact.

* 認定通知書: the certification (child, number, validity);
* 認定終了通知書: a certification the ward has ended (last day, reason) — an ended
  certification never reprints as "certified";
* 却下通知書: an application that was rejected, with the reason.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from tsuen.core.pdf import render_pdf

CERTIFIED, ENDED, REJECTED = "certified", "ended", "rejected"


@dataclass(frozen=True)
class Addressee:
    name: str
    postal_code: str
    address: str


def addressee(household) -> Addressee:
    """The household's first guardian (in the order they were registered) at its address."""
    guardian = household.guardians.order_by("pk").first()
    code = household.postal_code.replace("-", "")
    return Addressee(
        name=guardian.full_name if guardian else "",
        postal_code=f"{code[:3]}-{code[3:]}" if len(code) == 7 else household.postal_code,
        address=f"{household.prefecture}{household.city}{household.address_line}",
    )


def document_number(municipality, kind: str, reference: str) -> str:
    """The notice's number: the ward, the kind of decision and the certificate number (or the
    application's reference for a rejection)."""
    words = {
        CERTIFIED: _("%(ward)s certification No. %(ref)s"),
        ENDED: _("%(ward)s end of certification No. %(ref)s"),
        REJECTED: _("%(ward)s rejection No. %(ref)s"),
    }
    return words[kind] % {"ward": municipality.name, "ref": reference}


def certification_kind(certification) -> str:
    """Which notice a certification gets: the end notice once the ward decided its end."""
    return ENDED if certification.end_reason or certification.status == "ended" else CERTIFIED


def _day(moment: dt.datetime | None) -> dt.date | None:
    return timezone.localdate(moment) if moment else None


def _render(template: str, municipality, kind: str, reference: str, to: Addressee, **context):
    html = render_to_string(
        template,
        {
            "m": municipality,
            "kind": kind,
            "document_number": document_number(municipality, kind, reference),
            "to": to,
            **context,
        },
    )
    return render_pdf(html)


def render_notice(certification, issued_on: dt.date) -> bytes:
    """The certification's notice: 認定通知書, or 認定終了通知書 once it has ended."""
    kind = certification_kind(certification)
    template = (
        "certification/notices/ended.html"
        if kind == ENDED
        else "certification/notices/certified.html"
    )
    return _render(
        template,
        certification.municipality,
        kind,
        certification.number,
        addressee(certification.child.household),
        certification=certification,
        certified_on=_day(certification.certified_at),
        issued_on=issued_on,
    )


def render_rejection(application, children, issued_on: dt.date) -> bytes:
    """The 却下通知書 of a rejected application, with the reason the ward gave."""
    return _render(
        "certification/notices/rejected.html",
        application.municipality,
        REJECTED,
        application.reference,
        addressee(application.household),
        application=application,
        children=children,
        submitted_on=_day(application.submitted_at),
        decided_on=_day(application.decided_at),
        issued_on=issued_on,
    )
