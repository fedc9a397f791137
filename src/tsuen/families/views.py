"""The child profile and proxy users. Views stay thin: parse with a form, call a service,
render; the services authorize (404 when out of reach), audit and enforce every rule."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from tsuen.accounts.models import Role
from tsuen.consent.services import has_consent
from tsuen.core.views import status_of
from tsuen.families import forms
from tsuen.families import services as families

SECTIONS = {
    "meals": (forms.MealsForm, families.update_meals, gettext_lazy("Meals and allergies")),
    "health": (
        forms.HealthForm,
        families.update_health,
        gettext_lazy("Illnesses and vaccinations"),
    ),
    "pickup": (
        forms.PickupForm,
        families.update_pickup,
        gettext_lazy("Who drops off and picks up"),
    ),
    "development": (
        forms.DevelopmentForm,
        families.update_development,
        gettext_lazy("Development notes"),
    ),
}


def _family_only(request) -> None:
    if request.user.role not in (Role.GUARDIAN, Role.PROXY):
        raise Http404


def _refused(form, error: ValidationError) -> None:
    """Put a service's refusal on the form: on its fields where it names them."""
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def _to_profile(child_id: int, anchor: str = ""):
    return redirect(reverse("families:child", args=[child_id]) + anchor)


@login_required
def index(request):
    _family_only(request)
    context = {
        "children": families.children_for(request.user),
        "manages_proxies": families.manages_proxies(request.user),
    }
    return render(request, "families/index.html", context)


@login_required
def child(request, child_id: int):
    return render(
        request, "families/child.html", {"profile": families.child_profile(request.user, child_id)}
    )


def _section(request, child_id: int, section: str):
    form_class, update, title = SECTIONS[section]
    kid = families.child_section(request.user, child_id, section)
    if request.method == "POST":
        form = form_class(request.POST, request.FILES)
        if form.is_valid():
            try:
                update(request.user, child_id, **form.cleaned_data)
            except ValidationError as error:
                _refused(form, error)
            else:
                messages.success(request, _("Saved."))
                return _to_profile(child_id, f"#{section}")
    else:
        form = form_class(
            initial={name: getattr(kid, name) for name in families.SECTION_FIELDS[section]}
        )
    context = {"child": kid, "form": form, "title": title, "section": section}
    if section in families.CONSENT_SECTIONS and not has_consent(kid.household_id):
        context["consent_url"] = (
            reverse("consent:notice", args=[kid.household_id]) + "?next=" + quote(request.path)
        )
    if section == "health":
        context["certificates"] = families.doctor_certificates(request.user, kid)
    return render(request, "families/section.html", context, status=status_of(form))


@login_required
def edit_meals(request, child_id: int):
    return _section(request, child_id, "meals")


@login_required
def edit_health(request, child_id: int):
    return _section(request, child_id, "health")


@login_required
def edit_pickup(request, child_id: int):
    return _section(request, child_id, "pickup")


@login_required
def edit_development(request, child_id: int):
    return _section(request, child_id, "development")


@login_required
def edit_contacts(request, child_id: int):
    kid, contacts = families.contacts_for_edit(request.user, child_id)
    form = forms.ContactForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            families.add_emergency_contact(request.user, child_id, **form.cleaned_data)
        except ValidationError as error:
            _refused(form, error)
        else:
            messages.success(request, _("The emergency contact was added."))
            return redirect("families:child_edit_contacts", child_id)
    return render(
        request,
        "families/contacts.html",
        {"child": kid, "contacts": contacts, "form": form},
        status=status_of(form),
    )


@login_required
def contact_edit(request, contact_id: int):
    contact = families.contact_for_edit(request.user, contact_id)
    if request.method == "POST":
        form = forms.ContactForm(request.POST)
        if form.is_valid():
            try:
                families.update_emergency_contact(request.user, contact_id, **form.cleaned_data)
            except ValidationError as error:
                _refused(form, error)
            else:
                messages.success(request, _("Saved."))
                return redirect("families:child_edit_contacts", contact.child_id)
    else:
        form = forms.ContactForm(
            initial={name: getattr(contact, name) for name in families.CONTACT_FIELDS}
        )
    context = {"contact": contact, "form": form}
    return render(request, "families/contact_edit.html", context, status=status_of(form))


@login_required
@require_POST
def contact_delete(request, contact_id: int):
    kid = families.delete_emergency_contact(request.user, contact_id)
    messages.success(request, _("The emergency contact was removed."))
    return redirect("families:child_edit_contacts", kid.pk)


@login_required
def edit_growth(request, child_id: int):
    kid, growth = families.growth_for_edit(request.user, child_id)
    form = forms.GrowthForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            families.add_growth_record(request.user, child_id, **form.cleaned_data)
        except ValidationError as error:
            _refused(form, error)
        else:
            messages.success(request, _("The measurement was added."))
            return redirect("families:child_edit_growth", child_id)
    context = {"child": kid, "growth": growth, "form": form}
    return render(request, "families/growth.html", context, status=status_of(form))


@login_required
@require_POST
def growth_delete(request, record_id: int):
    kid = families.delete_growth_record(request.user, record_id)
    messages.success(request, _("The measurement was removed."))
    return redirect("families:child_edit_growth", kid.pk)


# --- proxy users ---------------------------------------------------------------------------------


@login_required
def proxies(request):
    return render(request, "families/proxies.html", {"proxies": families.proxies_for(request.user)})


@login_required
def proxy_invite(request):
    families.managed_household(request.user)  # 404 for anyone who manages no proxies
    form = forms.ProxyInviteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            families.invite_proxy(request.user, form.cleaned_data["email"])
        except ValidationError as error:
            form.add_error("email", error.messages)
        else:
            messages.success(
                request,
                _("The invitation was sent. The link works for %(days)d days.")
                % {"days": families.PROXY_INVITATION_DAYS},
            )
            return redirect("families:proxies")
    return render(
        request,
        "families/proxy_invite.html",
        {"form": form, "days": families.PROXY_INVITATION_DAYS},
        status=status_of(form),
    )


def proxy_accept(request, token: str):
    """Opened from the invitation email; logged out, the page leads to log-in or sign-up."""
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        try:
            families.accept_proxy_invitation(request.user, token)
        except ValidationError as error:
            refusal = " ".join(error.messages)
        else:
            messages.success(request, _("You are now a proxy user of the household."))
            return redirect("families:index")
    else:
        refusal = families.check_invitation(request.user, token).refusal
    return render(
        request,
        "families/proxy_accept.html",
        {"refusal": refusal, "next": request.get_full_path()},
        status=400 if request.method == "POST" and refusal else 200,
    )


@login_required
@require_POST
def proxy_revoke(request, grant_id: int):
    families.revoke_proxy(request.user, grant_id)
    messages.success(request, _("The proxy user's access has ended."))
    return redirect("families:proxies")


@login_required
@require_POST
def proxy_invitation_revoke(request, invitation_id: int):
    families.revoke_invitation(request.user, invitation_id)
    messages.success(request, _("The invitation was withdrawn."))
    return redirect("families:proxies")
