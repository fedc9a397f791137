"""Booking pages for families, phone first: book (choose, check, confirm), list, cancel.

Thin views: parse with the form, call ``tsuen.booking.services``, render. Every step works
without JavaScript: "check" and "confirm" are two POSTs of the same form.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from tsuen.booking import services
from tsuen.booking.forms import BookingForm
from tsuen.core import ratelimit


def _slot_id(request) -> int:
    raw = request.POST.get("slot") or request.GET.get("slot") or ""
    if not raw.isdigit():
        raise Http404
    return int(raw)


def _is_twin_of_submitted(refused: services.BookingRefused, data: dict, slot) -> bool:
    """A double-submitted form: the overlapping booking is the one this very form just made
    (same child, facility, day and times), so the answer is the same as the first submit's."""
    existing = refused.existing
    if refused.code != "overlap" or existing is None:
        return False
    return (
        existing.child_id in data["children"]
        and existing.facility_id == slot.facility_id
        and existing.date == slot.date
        and timezone.localtime(existing.starts_at).time() == data["start"]
        and timezone.localtime(existing.ends_at).time() == data["end"]
    )


@login_required
@require_http_methods(["GET", "POST"])
@ratelimit.limited("booking", when=ratelimit.posted("step", "confirm"))
def book(request):
    # The confirm step records the children it names only when it shows them (the form again,
    # or a refusal): a booking made records itself (its child is the event's subject).
    confirming = request.method == "POST" and request.POST.get("step") == "confirm"
    page = services.booking_page(request.user, _slot_id(request), audit=not confirming)
    form_kwargs = dict(children=page.children, slot=page.slot, minimum=page.minimum, step=page.step)
    context = {"page": page, "slot": page.slot, "facility": page.slot.facility}
    if request.method == "GET" or request.POST.get("step") == "edit":
        data = request.POST if request.method == "POST" else None
        form = BookingForm(data, **form_kwargs)
        if data is not None:
            form.errors.clear()  # back from the check step: show the choices, not errors
        return render(request, "booking/book.html", context | {"form": form})

    form = BookingForm(request.POST, **form_kwargs)
    if not form.is_valid():
        if confirming:
            services.children_shown(page.children)
        return render(request, "booking/book.html", context | {"form": form}, status=400)
    data = form.cleaned_data
    args = (data["children"], page.slot.pk, data["start"], data["end"])

    if request.POST.get("step") != "confirm":
        previews = services.preview_many(request.user, *args, page=page)
        return render(
            request,
            "booking/confirm.html",
            context
            | {
                "form": form,
                "previews": previews,
                "ok": all(p.ok for p in previews),
            },
        )

    try:
        # A refusal's answer names the chosen children: the service records that read with the
        # refusal (one transaction), unless it refused before taking its locks.
        if len(data["children"]) == 1:
            services.book(
                request.user, data["children"][0], *args[1:], page=page, names_on_refusal=True
            )
        else:
            services.book_siblings(request.user, *args, page=page, names_on_refusal=True)
    except services.BookingRefused as refused:
        if _is_twin_of_submitted(refused, data, page.slot):
            messages.success(request, _("Your booking is confirmed."))
            return redirect("booking:list")
        # A short answer, not the whole form again (nearly half the answers of a 09:00 rush are
        # refusals): why, and the way back to the form with the same choices.
        chosen = [child for child in page.children if child.pk in data["children"]]
        if not refused.names_recorded:
            services.children_shown(chosen)
        return render(
            request,
            "booking/refused.html",
            context
            | {
                "page": page.refused(refused),
                "form": form,
                "chosen": chosen,
                "problems": refused.problems,
            },
            status=400,  # refused: nothing was booked
        )
    messages.success(request, _("Your booking is confirmed."))
    return redirect("booking:list")


@login_required
def booking_list(request):
    return render(request, "booking/list.html", {"view": services.bookings_for(request.user)})


@login_required
@require_http_methods(["GET", "POST"])
def cancel(request, booking_id: int):
    item = services.booking_for_cancel(request.user, booking_id)
    if request.method == "POST":
        try:
            booking = services.cancel(request.user, booking_id)
        except services.BookingRefused as refused:
            return render(
                request, "booking/cancel.html", {"item": item, "problems": refused.problems}
            )
        if booking.status == "late_cancelled":
            messages.success(
                request,
                _("The booking is cancelled. It was after the deadline, so it counts as used.")
                if booking.counts_toward_caps
                else _("The booking is cancelled."),
            )
        else:
            messages.success(request, _("The booking is cancelled. The hours are yours again."))
        return redirect("booking:list")
    return render(request, "booking/cancel.html", {"item": item})
