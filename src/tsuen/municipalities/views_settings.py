"""The ward's letterhead and branding (issue 10). Thin: parse with the form, call
``services_settings``, render. Who may act is decided by the service (404 out of reach); bad
input answers 400 with a summary at the top and writes nothing."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from tsuen.municipalities import services_settings as settings_service
from tsuen.municipalities.forms_settings import WardSettingsForm


@login_required
def edit(request):
    """GET: the form with the saved values and their preview. POST with ``preview``: the
    preview of the posted values, nothing saved. POST otherwise: save."""
    ward = settings_service.settings_of(request.user)  # 404 before the form for anyone else
    form = WardSettingsForm(request.POST if request.method == "POST" else None, instance=ward)
    if request.method != "POST":
        shown = {k: getattr(ward, k) for k in settings_service.LETTERHEAD_FIELDS}
        return _page(request, form, settings_service.preview(ward, shown))
    if form.is_valid():
        try:
            if "preview" in request.POST:
                cleaned = settings_service.checked(form.cleaned_data)
                return _page(request, form, settings_service.preview(ward, cleaned), previewed=True)
            changed = settings_service.update(request.user, form.cleaned_data)
        except settings_service.SettingsRefused as refused:
            form.add_error(None, refused)
        else:
            messages.success(
                request,
                _("The ward's settings have been saved.")
                if changed
                else _("Nothing had changed: the settings are as they were."),
            )
            return redirect("municipalities:settings")
    return _page(request, form, None, status=400)


def _page(request, form, preview, *, previewed=False, status=200):
    return render(
        request,
        "municipalities/settings.html",
        {"form": form, "preview": preview, "previewed": previewed},
        status=status,
    )
