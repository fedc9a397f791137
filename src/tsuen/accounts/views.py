"""The page behind a staff invitation link, for facilities and wards alike."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from tsuen.accounts.forms import InvitationAcceptForm


def invitation_accept_page(
    request,
    token: str,
    *,
    find: Callable[[str], object],
    accept: Callable[[str, str, str], object],
    template: str,
    done: str,
):
    """Anyone holding the link sees the page; only a valid token makes the account.

    ``find(token)`` returns the open invitation or raises a ``ValidationError`` that says why
    it cannot be used; ``accept(token, password, full_name)`` makes the account (a
    ``ValidationError`` goes onto the form). A refused POST answers 400 and makes nothing."""
    refusal = None
    try:
        invitation = find(token)
    except ValidationError as refused:
        invitation, refusal = None, refused.messages[0]
    form = InvitationAcceptForm(request.POST if request.method == "POST" else None)
    if invitation and request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            accept(token, data["password"], data["full_name"])
        except ValidationError as refused:
            form.add_error(None, refused)
        else:
            messages.success(request, done)
            return redirect("account_login")
    status = 400 if request.method == "POST" and (refusal or form.errors) else 200
    context = {"invitation": invitation, "refusal": refusal, "form": form}
    return render(request, template, context, status=status)
