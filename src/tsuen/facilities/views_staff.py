"""The facility's own screens (office PC and room tablet). Thin views: parse, call, render."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from tsuen.accounts.views import invitation_accept_page
from tsuen.authz.policy import Action
from tsuen.core import confirm
from tsuen.core.views import handle_post, status_of
from tsuen.facilities import services
from tsuen.facilities import services_staff as staff
from tsuen.facilities.checks import BANK_FIELDS
from tsuen.facilities.forms_staff import (
    BankAccountForm,
    CapacityForm,
    ClosureForm,
    DecideForm,
    GenerateForm,
    HolidayOpeningForm,
    InterviewSlotForm,
    InviteForm,
    PhotoDeleteForm,
    PhotoForm,
    ProfileForm,
    TeamMemberForm,
    TemplateSlotForm,
)
from tsuen.files.services import UploadRefused


@login_required
def profile(request):
    facility = staff.facility_of(request.user, Action.FACILITY_MANAGE)
    form = ProfileForm(instance=facility)
    bank_form = BankAccountForm(instance=facility)
    photo_form = PhotoForm()
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "bank":
                bank_form = BankAccountForm(request.POST, instance=facility)
                if bank_form.is_valid():
                    staff.update_bank_account(
                        request.user, {n: bank_form.cleaned_data[n] for n in BANK_FIELDS}
                    )
                    messages.success(request, _("The bank account has been saved."))
                    return redirect("facilities:staff_profile")
            elif action == "photo":
                photo_form = PhotoForm(request.POST, request.FILES)
                if photo_form.is_valid():
                    staff.add_photo(request.user, photo_form.cleaned_data["photo"])
                    messages.success(request, _("The photo has been added."))
                    return redirect("facilities:staff_profile")
            elif action == "delete_photo":
                chosen = PhotoDeleteForm(request.POST)
                if chosen.is_valid():
                    staff.delete_photo(request.user, chosen.cleaned_data["photo"])  # else 404
                    messages.success(request, _("The photo has been deleted."))
                    return redirect("facilities:staff_profile")
                messages.error(request, _("Choose a photo of this facility to delete."))
            else:
                form = ProfileForm(request.POST, instance=facility)
                if form.is_valid():
                    changes = {name: form.cleaned_data[name] for name in form.Meta.fields}
                    staff.update_profile(request.user, changes)
                    messages.success(request, _("The profile has been saved."))
                    return redirect("facilities:staff_profile")
        except (staff.StaffRefused, UploadRefused) as refused:
            chosen = {"photo": photo_form, "bank": bank_form}.get(action, form)
            chosen.add_error(None, refused)
    return render(
        request,
        "facilities/staff/profile.html",
        {
            "facility": facility,
            "form": form,
            "bank_form": bank_form,
            "photo_form": photo_form,
            "photos": staff.photos(request.user),
        },
        status=400 if request.method == "POST" else 200,  # every accepted POST redirected
    )


@login_required
def team(request):
    if request.method == "POST":
        chosen = TeamMemberForm(request.POST)
        if not chosen.is_valid():
            messages.error(request, _("Choose an account of this facility; nothing was changed."))
            context = {"team": staff.team(request.user)}
            return render(request, "facilities/staff/team.html", context, status=400)
        try:
            data = chosen.cleaned_data
            staff.set_active(request.user, data["user"], data["active"])
        except staff.StaffRefused as refused:
            messages.error(request, refused.messages[0])
        else:
            messages.success(request, _("The account has been updated."))
        return redirect("facilities:staff_team")
    return render(request, "facilities/staff/team.html", {"team": staff.team(request.user)})


@login_required
def invite(request):
    staff.facility_of(request.user, Action.STAFF_MANAGE)
    form = InviteForm(request.POST or None)
    done = handle_post(
        request,
        form,
        lambda data: staff.invite_staff(request.user, data["email"], data["role"]),
        done=_("The invitation has been sent."),
        then="facilities:staff_team",
        refused=staff.StaffRefused,
    )
    return done or render(
        request, "facilities/staff/invite.html", {"form": form}, status=status_of(form)
    )


def invite_accept(request, token: str):
    return invitation_accept_page(
        request,
        token,
        find=staff.invitation_for,
        accept=staff.accept_invitation,
        template="facilities/staff/invite_accept.html",
        done=_("Your account is ready. Log in, then set up your authenticator app."),
    )


@login_required
def places(request):
    if request.method == "POST" and request.POST.get("action") == "delete":
        # Two steps: the row's button shows what removing it does; the confirmation removes.
        template_id = (
            int(request.POST.get("template", 0))
            if request.POST.get("template", "").isdigit()
            else 0
        )
        token = request.POST.get(confirm.FIELD)
        effects = staff.template_delete_effects(request.user, template_id)
        if token:
            try:
                staff.delete_template_slot(request.user, template_id, confirm_token=token)
            except ValidationError as error:
                context = {"effects": staff.template_delete_effects(request.user, template_id),
                           "errors": error.messages}  # fmt: skip
                return render(
                    request, "facilities/staff/template_delete_confirm.html", context, status=400
                )
            messages.success(request, _("The slot has been removed from the template."))
            return redirect("facilities:staff_places")
        context = {"effects": effects, "errors": ()}
        return render(request, "facilities/staff/template_delete_confirm.html", context)
    form = TemplateSlotForm(request.POST or None)
    done = handle_post(
        request,
        form,
        lambda data: staff.add_template_slot(request.user, **data),
        done=_("The slot has been added to the template."),
        then="facilities:staff_places",
        refused=staff.StaffRefused,
    )
    return done or render(
        request,
        "facilities/staff/places.html",
        {
            "overview": staff.places_overview(request.user),
            "form": form,
            "generate_form": GenerateForm(),
        },
        status=status_of(form),
    )


@login_required
def generate(request):
    staff.facility_of(request.user, Action.PLACES_MANAGE)
    form = GenerateForm(request.POST or None)
    done = handle_post(
        request,
        form,
        lambda data: staff.generate_places(request.user, data["first_day"], data["last_day"]),
        done=lambda made: _("%(count)d slots have been made.") % {"count": len(made)},
        then="facilities:staff_places",
        refused=staff.StaffRefused,
    )
    return done or render(
        request, "facilities/staff/generate.html", {"form": form}, status=status_of(form)
    )


@login_required
def day_places(request, date: str):
    try:
        day = dt.date.fromisoformat(date)
    except ValueError:
        raise Http404 from None
    form = CapacityForm()
    if request.method == "POST":
        form = CapacityForm(request.POST)
        if form.is_valid():
            try:
                staff.set_capacity(
                    request.user, form.cleaned_data["slot"], form.cleaned_data["capacity"]
                )
            except staff.StaffRefused as refused:
                messages.error(request, refused.messages[0])
            else:
                messages.success(request, _("The places have been changed."))
            return redirect("facilities:staff_day_places", date=day.isoformat())
    return render(
        request,
        "facilities/staff/day_places.html",
        {"day": staff.day_places(request.user, day), "form": form},
        status=status_of(form),
    )


@login_required
def closures(request):
    """Closure days, and the national holidays the facility opens (closed otherwise)."""
    action = request.POST.get("action") if request.method == "POST" else None
    error = ""
    removals = {
        "remove": ("closure", staff.remove_closure, _("The day is open again.")),
        "unopen": ("opening", staff.remove_holiday_opening, _("The holiday is closed again.")),
    }
    if action in removals:
        key, remove, done_message = removals[action]
        try:
            remove(request.user, int(request.POST.get(key, 0)))
        except ValueError:
            raise Http404 from None
        except staff.StaffRefused as refused:
            error = " ".join(refused.messages)
        else:
            messages.success(request, done_message)
            return redirect("facilities:staff_closures")
    form = ClosureForm(request.POST if action == "add" else None)
    opening_form = HolidayOpeningForm(request.POST if action == "open_holiday" else None)
    done = handle_post(
        request,
        form,
        lambda data: staff.add_closure(request.user, data["date"], data["reason"]),
        done=_("The day has been closed."),
        then="facilities:staff_closures",
        refused=staff.StaffRefused,
    ) or handle_post(
        request,
        opening_form,
        lambda data: staff.open_holiday(request.user, data["date"], data["reason"]),
        done=_("The facility opens on this holiday. Make its places from the template."),
        then="facilities:staff_closures",
        refused=staff.StaffRefused,
    )
    refused = bool(error) or status_of(form) == 400 or status_of(opening_form) == 400
    return done or render(
        request,
        "facilities/staff/closures.html",
        {
            "closures": staff.closures(request.user),
            "openings": staff.holiday_openings(request.user),
            "holidays": staff.upcoming_holidays(request.user),
            "form": form,
            "opening_form": opening_form,
            "error": error,
        },
        status=400 if refused else 200,
    )


@login_required
def interviews(request):
    if request.method == "POST" and request.POST.get("action") == "delete":
        try:
            staff.delete_interview_slot(request.user, int(request.POST.get("slot", 0)))
        except staff.StaffRefused as refused:
            messages.error(request, refused.messages[0])
        else:
            messages.success(request, _("The interview slot has been deleted."))
        return redirect("facilities:staff_interviews")
    form = InterviewSlotForm(request.POST or None)
    done = handle_post(
        request,
        form,
        lambda data: staff.add_interview_slot(request.user, **data),
        done=_("The interview slot has been added."),
        then="facilities:staff_interviews",
        refused=staff.StaffRefused,
    )
    return done or render(
        request,
        "facilities/staff/interviews.html",
        {"desk": staff.interview_desk(request.user), "form": form},
        status=status_of(form),
    )


@login_required
def interview_decide(request, interview_id: int):
    interview = staff.interview_for_decision(request.user, interview_id)
    form = DecideForm(request.POST or None)
    done = handle_post(
        request,
        form,
        lambda data: services.decide_interview(
            request.user,
            interview.pk,
            accept=data["decision"] == "accept",
            held_minutes=data["held_minutes"],
            follow_up_recorded=data["follow_up_recorded"],
            notes=data["notes"],
            message=data["message"],
        ),
        done=_("The decision has been recorded. The family is told."),
        then="facilities:staff_interviews",
        refused=services.InterviewRefused,
    )
    if done:
        return done
    return render(
        request,
        "facilities/staff/interview_decide.html",
        {"interview": interview, "form": form, "first_visit_minutes": staff.FIRST_VISIT_MINUTES},
        status=status_of(form),
    )
