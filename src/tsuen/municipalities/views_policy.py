"""The ward's policy screens: the versions per fiscal year, one version, the editor.

Thin: parse with the editor's forms, call ``services_policy``, render. Who may act is decided
by the services (404 out of reach).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from tsuen.municipalities import services_policy as services
from tsuen.municipalities.forms_policy import PolicyEditor, describe


@login_required
def index(request):
    return render(
        request, "municipalities/policy/index.html", {"page": services.versions_page(request.user)}
    )


@login_required
def detail(request, policy_id: int):
    row = services.version(request.user, policy_id)
    return render(request, "municipalities/policy/detail.html", {"row": row, "d": describe(row)})


@login_required
def new(request):
    """GET: the editor prefilled. POST with ``preview``: the effect on next month's bookings,
    nothing saved. POST otherwise: save the new version."""
    years = services.fiscal_years()
    if request.method != "POST":
        start = services.starting_point(request.user)
        editor = PolicyEditor(years, start=start)
        return _editor(request, editor)
    editor = PolicyEditor(years, data=request.POST)
    services.editable_ward(request.user)  # 404 before reading the form for the wrong user
    if editor.is_valid():
        try:
            if "preview" in request.POST:
                preview = services.preview(request.user, editor.values())
                return _editor(request, editor, preview=preview)
            services.save_version(request.user, editor.values())
        except services.PolicyInvalid as exc:
            editor.add_errors(exc)
        else:
            messages.success(request, _("The new policy version was saved."))
            return redirect("municipalities:policy")
    return _editor(request, editor, status=400)


def _editor(request, editor, *, preview=None, status=200):
    return render(
        request,
        "municipalities/policy/edit.html",
        {"editor": editor, "preview": preview},
        status=status,
    )
