"""The ward's staff accounts and network ranges (issue 9 item 8). Thin: parse with a form,
call ``services_staff`` or ``services_networks``, render. Who may act is decided by the
services (404 out of reach); bad input answers 400 and writes nothing."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tsuen.accounts.views import invitation_accept_page
from tsuen.core.middleware import client_address
from tsuen.core.views import handle_post, status_of
from tsuen.municipalities import services_networks as networks
from tsuen.municipalities import services_staff as staff
from tsuen.municipalities.forms_staff import (
    ActiveForm,
    InviteForm,
    NetworkForm,
    RemoveNetworkForm,
    RoleForm,
)


def _posted(request):
    """The form's data: bound on every POST, even an empty one (which then answers 400)."""
    return request.POST if request.method == "POST" else None


# --- the staff accounts ------------------------------------------------------------------------


@login_required
def staff_list(request):
    return render(
        request, "municipalities/staff/list.html", {"page": staff.staff_page(request.user)}
    )


@login_required
def invite(request):
    staff.may_manage(request.user)  # 404 before the blank form for the wrong user
    form = InviteForm(_posted(request))
    done = handle_post(
        request,
        form,
        lambda data: staff.invite(request.user, data["email"], data["role"]),
        done=_("The invitation has been sent."),
        then="municipalities:staff",
        refused=staff.WardStaffRefused,
        error_field="email",
    )
    return done or render(
        request, "municipalities/staff/invite.html", {"form": form}, status=status_of(form)
    )


def _member_page(request, user_id: int, *, role_form=None, active_form=None, status=200):
    return render(
        request,
        "municipalities/staff/member.html",
        {
            "member": staff.member(request.user, user_id),
            "role_form": role_form or RoleForm(),
            "active_form": active_form,
        },
        status=status,
    )


@login_required
def member(request, user_id: int):
    return _member_page(request, user_id)


@login_required
@require_POST
def change_role(request, user_id: int):
    staff.member(request.user, user_id)  # 404 before reading the form for the wrong user
    form = RoleForm(request.POST)
    done = handle_post(
        request,
        form,
        lambda data: staff.change_role(request.user, user_id, data["role"]),
        done=_("The role has been changed. Their sessions have ended: they log in again."),
        then=("municipalities:staff_member", user_id),
        refused=staff.WardStaffRefused,
        error_field="role",
    )
    return done or _member_page(request, user_id, role_form=form, status=400)


@login_required
@require_POST
def set_active(request, user_id: int):
    staff.member(request.user, user_id)
    form = ActiveForm(request.POST)
    done = handle_post(
        request,
        form,
        lambda data: staff.set_active(request.user, user_id, data["active"]),
        done=lambda account: (
            _("The account has been reactivated.")
            if account.is_active
            else _("The account has been deactivated and its sessions have ended.")
        ),
        then=("municipalities:staff_member", user_id),
        refused=staff.WardStaffRefused,
    )
    return done or _member_page(request, user_id, active_form=form, status=400)


@login_required
@require_POST
def withdraw_invitation(request, invitation_id: int):
    staff.withdraw_invitation(request.user, invitation_id)
    messages.success(request, _("The invitation has been withdrawn: its link no longer works."))
    return redirect("municipalities:staff")


def invite_accept(request, token: str):
    """The link from the email: anyone holding it sees the page; only a valid token makes the
    account."""
    return invitation_accept_page(
        request,
        token,
        find=staff.invitation_for,
        accept=staff.accept_invitation,
        template="municipalities/staff/invite_accept.html",
        done=_(
            "Your account is ready. Log in from your office network, then set up your "
            "authenticator app."
        ),
    )


# --- the network ranges ------------------------------------------------------------------------


@login_required
def network_list(request):
    address = client_address(request)
    page = networks.networks_page(request.user, address)
    form = NetworkForm(_posted(request))
    done = handle_post(
        request,
        form,
        lambda data: networks.add(request.user, data["cidr"], data["note"]),
        done=_("The range has been added."),
        then="municipalities:networks",
        refused=networks.NetworkRefused,
        error_field="cidr",
    )
    return done or render(
        request,
        "municipalities/networks/list.html",
        {"page": page, "form": form},
        status=status_of(form),
    )


@login_required
def network_remove(request, network_id: int):
    address = client_address(request)
    removal = networks.removal(request.user, network_id, address)
    form = RemoveNetworkForm(_posted(request))
    done = handle_post(
        request,
        form,
        lambda data: networks.remove(
            request.user,
            network_id,
            address,
            confirm_own_address=data["confirm_own_address"],
            confirm_lockout=data["confirm_lockout"],
        ),
        done=_("The range has been removed."),
        then="municipalities:networks",
        refused=networks.NetworkRefused,
    )
    return done or render(
        request,
        "municipalities/networks/remove.html",
        {"removal": removal, "form": form},
        status=status_of(form),
    )
