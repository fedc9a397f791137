"""Issue 9 item 8: the ward runs its own staff accounts -- joiner (invitation), mover (role
change), leaver (deactivation that ends every session at once) -- with guards against locking
the ward out of its own administration. Every change is audited by field name; bad input
answers 400 and writes nothing. The national operator invites a new ward's first
administrator. Network ranges are in test_ward_networks.py."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from tests import factories as f
from tsuen.accounts.models import Role, User, WardInvitation
from tsuen.accounts.services import end_sessions
from tsuen.accounts.testing import login_with_second_factor
from tsuen.audit.models import AuditEvent
from tsuen.core import clock
from tsuen.core.context import acting_as, actor_for
from tsuen.municipalities import services_staff as staff
from tsuen.municipalities.models import StaffNetwork

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-pass-phrase-for-the-ward"


@pytest.fixture(autouse=True)
def _english(settings):
    """Pages and refusals read in English here (Japanese is the default; test_i18n proves every
    string has its Japanese); notices are sent at once."""
    settings.LANGUAGE_CODE = "en"
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    with translation.override("en"):
        yield


class Ward:
    def __init__(self):
        self.municipality = f.municipality(name="新宿区")
        # The test client's address (127.0.0.1) is one of the ward's ranges.
        StaffNetwork.objects.get_or_create(municipality=self.municipality, cidr="127.0.0.1/32")
        self.admin = self.staff(Role.MUNICIPAL_ADMIN)
        self.reviewer = self.staff(Role.MUNICIPAL_REVIEWER, full_name="審査 一郎")

    def staff(self, role, **kw):
        account = f.user(role, municipality=self.municipality, **kw)
        f.second_factor(account)
        return account


@pytest.fixture
def ward():
    return Ward()


@pytest.fixture
def admin_client(client, ward):
    login_with_second_factor(client, ward.admin)
    return client


def logged_in(account) -> Client:
    other = Client()
    login_with_second_factor(other, account)
    return other


def changes(**kw):
    return list(AuditEvent.objects.filter(action__in=["create", "update"], **kw))


# --- the list ----------------------------------------------------------------------------------


def test_the_list_shows_role_second_factor_last_login_and_state(
    admin_client, ward, django_capture_on_commit_callbacks
):
    no_factor = f.user(Role.AUDITOR, municipality=ward.municipality, email="audit@example.jp")
    gone = ward.staff(Role.MUNICIPAL_PAYMENTS, is_active=False)
    User.objects.filter(pk=ward.reviewer.pk).update(
        last_login=dt.datetime(2026, 11, 30, 9, 15, tzinfo=dt.UTC)
    )
    facility_staff = f.user(Role.FACILITY_STAFF, facility=f.facility(ward.municipality))
    other_ward = f.user(Role.MUNICIPAL_ADMIN, municipality=f.municipality())
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.get(reverse("municipalities:staff"))
    body = response.content.decode()
    assert response.status_code == 200
    row = body.split(f'id="member-{ward.reviewer.pk}"')[1].split("</tr>")[0]
    assert "審査 一郎" in row and "Municipal reviewer" in row and "Set up" in row
    assert "18:15" in row  # the last login, in Japan's time
    no_factor_row = body.split(f'id="member-{no_factor.pk}"')[1].split("</tr>")[0]
    assert "Not set up" in no_factor_row and "Never" in no_factor_row
    assert "Deactivated" in body.split(f'id="member-{gone.pk}"')[1].split("</tr>")[0]
    assert facility_staff.email not in body and other_ward.email not in body
    listed = AuditEvent.objects.filter(action="list", object_type="accounts.user")
    assert {e.object_id for e in listed} == {
        str(u.pk) for u in (ward.admin, ward.reviewer, no_factor, gone)
    }
    assert all("email" in e.field_names and "role" in e.field_names for e in listed)


@pytest.mark.parametrize(
    "role",
    [Role.MUNICIPAL_REVIEWER, Role.MUNICIPAL_PAYMENTS, Role.AUDITOR, Role.FACILITY_MANAGER],
)
def test_only_the_wards_administrator_runs_its_accounts(client, ward, role):
    if role == Role.FACILITY_MANAGER:
        account = f.user(role, facility=f.facility(ward.municipality))
        f.second_factor(account)
    else:
        account = ward.staff(role)
    login_with_second_factor(client, account)
    for url in (
        reverse("municipalities:staff"),
        reverse("municipalities:staff_invite"),
        reverse("municipalities:staff_member", args=[ward.reviewer.pk]),
        reverse("municipalities:networks"),
    ):
        assert client.get(url).status_code == 404, url
    response = client.post(
        reverse("municipalities:staff_active", args=[ward.reviewer.pk]), {"active": "0"}
    )
    assert response.status_code == 404
    ward.reviewer.refresh_from_db()
    assert ward.reviewer.is_active


# --- joiner: the invitation ----------------------------------------------------------------------


def test_an_invitation_is_mailed_used_once_and_makes_an_account_bound_to_the_ward(
    admin_client, ward, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("municipalities:staff_invite"),
            {"email": " New.Payments@Example.jp ", "role": "municipal_payments"},
        )
    assert response.status_code == 302
    invitation = WardInvitation.objects.get()
    assert (invitation.email, invitation.role) == ("new.payments@example.jp", "municipal_payments")
    assert invitation.invited_by == ward.admin and invitation.municipality == ward.municipality
    [mail] = mailoutbox
    assert mail.to == ["new.payments@example.jp"]
    token = mail.body.split("/municipality/staff/invitations/")[1].split("/")[0]
    assert token not in invitation.token_hash and len(invitation.token_hash) == 64
    [created] = changes(object_type="accounts.wardinvitation")
    assert created.field_names == ["email", "expires_at", "role"]
    assert "new.payments" not in str(created.__dict__)

    accept = reverse("municipalities:staff_invite_accept", args=[token])
    stranger = Client()
    assert stranger.get(accept).status_code == 200
    weak = stranger.post(accept, {"full_name": "新人", "password": "1234"})
    assert weak.status_code == 400 and not User.objects.filter(email=invitation.email).exists()
    with django_capture_on_commit_callbacks(execute=True):
        done = stranger.post(accept, {"full_name": "支払 花子", "password": PASSWORD})
    assert done.status_code == 302 and done.url == reverse("account_login")
    new = User.objects.get(email="new.payments@example.jp")
    assert (new.role, new.municipality_id, new.facility_id) == (
        Role.MUNICIPAL_PAYMENTS,
        ward.municipality.pk,
        None,
    )
    assert new.check_password(PASSWORD) and new.full_name == "支払 花子"
    [joined] = AuditEvent.objects.filter(action="create", object_type="accounts.user")
    assert joined.object_id == str(new.pk) and joined.municipality_id == ward.municipality.pk
    assert "role" in joined.field_names and "支払" not in str(joined.__dict__)
    # Used once: the link now says so, and makes nothing.
    again = stranger.post(accept, {"full_name": "二度目", "password": PASSWORD})
    assert again.status_code == 400 and "already been used" in again.content.decode()
    assert User.objects.filter(email="new.payments@example.jp").count() == 1
    # The new account must set up its second factor before anything else.
    first = Client()
    first.force_login(new)
    assert first.get(reverse("portals:municipality")).url == reverse("mfa_activate_totp")


def test_an_invitation_expires_and_a_wrong_token_makes_nothing(ward):
    with acting_as(actor_for(ward.admin)):
        issued = staff.invite(ward.admin, "late@example.jp", Role.AUDITOR)
    later = clock.now() + dt.timedelta(days=8)
    with clock.frozen(later), pytest.raises(staff.WardStaffRefused, match="expired"):
        staff.accept_invitation(issued.token, PASSWORD)
    with pytest.raises(staff.WardStaffRefused, match="not valid"):
        staff.accept_invitation(issued.token + "x", PASSWORD)
    assert not User.objects.filter(email="late@example.jp").exists()


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"email": "not-an-address", "role": "municipal_reviewer"}, "valid email"),
        ({"email": "x@example.jp", "role": "facility_manager"}, "valid choice"),
        ({"email": "x@example.jp", "role": "national_operator"}, "valid choice"),
        ({"email": "", "role": ""}, "required"),
    ],
)
def test_a_bad_invitation_answers_400_and_sends_nothing(
    admin_client, ward, mailoutbox, data, problem
):
    response = admin_client.post(reverse("municipalities:staff_invite"), data)
    assert response.status_code == 400 and problem in response.content.decode()
    assert not WardInvitation.objects.exists() and not mailoutbox


def test_an_address_with_an_account_is_not_invited(admin_client, ward, mailoutbox):
    response = admin_client.post(
        reverse("municipalities:staff_invite"),
        {"email": ward.reviewer.email.upper(), "role": "auditor"},
    )
    assert response.status_code == 400 and "already exists" in response.content.decode()
    assert not WardInvitation.objects.exists() and not mailoutbox


def test_an_open_invitation_can_be_withdrawn(
    admin_client, ward, django_capture_on_commit_callbacks
):
    with acting_as(actor_for(ward.admin)):
        issued = staff.invite(ward.admin, "maybe@example.jp", Role.MUNICIPAL_REVIEWER)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("municipalities:staff_invitation_withdraw", args=[issued.invitation.pk])
        )
    assert response.status_code == 302
    with pytest.raises(staff.WardStaffRefused, match="expired"):
        staff.accept_invitation(issued.token, PASSWORD)
    [withdrawn] = changes(action="update", object_type="accounts.wardinvitation")
    assert withdrawn.field_names == ["expires_at"]


# --- mover and leaver -------------------------------------------------------------------------


def test_a_role_change_ends_the_members_sessions_and_is_audited(
    admin_client, ward, django_capture_on_commit_callbacks
):
    member = logged_in(ward.reviewer)
    assert member.get(reverse("certification:staff_queue")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("municipalities:staff_role", args=[ward.reviewer.pk]), {"role": "auditor"}
        )
    assert response.status_code == 302
    ward.reviewer.refresh_from_db()
    assert ward.reviewer.role == Role.AUDITOR
    # The old session is over: the next request goes to the login page.
    after = member.get(reverse("certification:staff_queue"))
    assert after.status_code == 302 and after.url.startswith(reverse("account_login"))
    [event] = changes(action="update", object_type="accounts.user")
    assert event.field_names == ["role", "session_epoch"] and event.actor_id == ward.admin.pk


def test_deactivation_ends_every_session_and_reactivation_does_not_revive_them(
    admin_client, ward, django_capture_on_commit_callbacks
):
    office, laptop = logged_in(ward.reviewer), logged_in(ward.reviewer)
    url = reverse("municipalities:staff_active", args=[ward.reviewer.pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert admin_client.post(url, {"active": "0"}).status_code == 302
    for session in (office, laptop):
        assert session.get(reverse("portals:municipality")).status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        assert admin_client.post(url, {"active": "1"}).status_code == 302
    ward.reviewer.refresh_from_db()
    assert ward.reviewer.is_active
    # The sessions from before stay ended: only a new login (password and code) comes back in.
    assert office.get(reverse("portals:municipality")).status_code == 302
    assert logged_in(ward.reviewer).get(reverse("portals:municipality")).status_code == 200
    fields = [e.field_names for e in changes(action="update", object_type="accounts.user")]
    assert fields == [["is_active", "session_epoch"], ["is_active", "session_epoch"]]


def test_a_session_made_before_the_epoch_existed_stays_valid():
    """Epoch 0 gives Django's own session hash: deploying the epoch logs nobody out."""
    from django.contrib.auth.base_user import AbstractBaseUser

    account = f.user(Role.GUARDIAN)
    assert account.get_session_auth_hash() == AbstractBaseUser.get_session_auth_hash(account)
    before = account.get_session_auth_hash()
    end_sessions(account)
    assert account.session_epoch == 1 and account.get_session_auth_hash() != before


@pytest.mark.parametrize("data", [{"role": "national_operator"}, {"role": ""}, {}])
def test_a_bad_role_answers_400_and_changes_nothing(admin_client, ward, data):
    response = admin_client.post(
        reverse("municipalities:staff_role", args=[ward.reviewer.pk]), data
    )
    assert response.status_code == 400
    ward.reviewer.refresh_from_db()
    assert ward.reviewer.role == Role.MUNICIPAL_REVIEWER and ward.reviewer.session_epoch == 0
    assert not changes(object_type="accounts.user")


@pytest.mark.parametrize("data", [{"active": "maybe"}, {"active": ""}, {}])
def test_a_bad_activation_answers_400_and_changes_nothing(admin_client, ward, data):
    response = admin_client.post(
        reverse("municipalities:staff_active", args=[ward.reviewer.pk]), data
    )
    assert response.status_code == 400
    ward.reviewer.refresh_from_db()
    assert ward.reviewer.is_active and ward.reviewer.session_epoch == 0


def test_an_administrator_neither_demotes_nor_deactivates_themselves(admin_client, ward):
    own = ward.admin.pk
    demote = admin_client.post(
        reverse("municipalities:staff_role", args=[own]), {"role": "auditor"}
    )
    assert demote.status_code == 400 and "your own role" in demote.content.decode()
    leave = admin_client.post(reverse("municipalities:staff_active", args=[own]), {"active": "0"})
    assert leave.status_code == 400 and "your own account" in leave.content.decode()
    ward.admin.refresh_from_db()
    assert ward.admin.role == Role.MUNICIPAL_ADMIN and ward.admin.is_active
    assert admin_client.get(reverse("municipalities:staff")).status_code == 200


def test_the_last_active_administrator_stays(ward):
    """Two administrators act at once: the first one's change goes through, the second (who
    still sees the other as an administrator) cannot remove the last one. The municipality row
    is locked for every change, so the checks run one after the other."""
    second = ward.staff(Role.MUNICIPAL_ADMIN)
    stale = User.objects.get(pk=second.pk)  # loaded before the first change
    with acting_as(actor_for(ward.admin)):
        staff.set_active(ward.admin, second.pk, False)
    with acting_as(actor_for(stale)):
        with pytest.raises(staff.WardStaffRefused, match="last active administrator"):
            staff.set_active(stale, ward.admin.pk, False)
        with pytest.raises(staff.WardStaffRefused, match="last active administrator"):
            staff.change_role(stale, ward.admin.pk, Role.AUDITOR)
    ward.admin.refresh_from_db()
    assert ward.admin.is_active and ward.admin.role == Role.MUNICIPAL_ADMIN


def test_a_deactivated_account_cannot_log_in_with_its_password(client, ward):
    with acting_as(actor_for(ward.admin)):
        staff.set_active(ward.admin, ward.reviewer.pk, False)
    response = client.post(
        reverse("account_login"), {"login": ward.reviewer.email, "password": f.PASSWORD}
    )
    assert "_auth_user_id" not in client.session
    assert response.status_code in (200, 302) and response.get("Location", "") != "/"


# --- the national operator starts a ward ----------------------------------------------------


@pytest.fixture
def operator_client(client):
    operator = f.user(Role.NATIONAL_OPERATOR)
    f.second_factor(operator)
    login_with_second_factor(client, operator)
    client.operator = operator
    return client


def test_the_national_operator_invites_a_new_wards_first_administrator(
    operator_client, mailoutbox, django_capture_on_commit_callbacks
):
    new_ward = f.municipality(name="新市")
    page = reverse("national:municipality_access", args=[new_ward.pk])
    assert operator_client.get(page).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = operator_client.post(
            reverse("national:municipality_administrator", args=[new_ward.pk]),
            {"email": "first.admin@example.jp"},
        )
    assert response.status_code == 302
    invitation = WardInvitation.objects.get()
    assert (invitation.role, invitation.municipality, invitation.invited_by) == (
        Role.MUNICIPAL_ADMIN,
        new_ward,
        operator_client.operator,
    )
    [mail] = mailoutbox
    token = mail.body.split("/municipality/staff/invitations/")[1].split("/")[0]
    first = staff.accept_invitation(token, PASSWORD)
    assert (first.role, first.municipality) == (Role.MUNICIPAL_ADMIN, new_ward)
    [event] = changes(object_type="accounts.wardinvitation", action="create")
    assert event.municipality_id == new_ward.pk  # on the ward's own chain
    # Now the ward has an administrator: the national operator invites no more.
    refused = operator_client.post(
        reverse("national:municipality_administrator", args=[new_ward.pk]),
        {"email": "second.admin@example.jp"},
    )
    assert refused.status_code == 400 and "already has an active administrator" in refused.text
    assert WardInvitation.objects.count() == 1 and len(mailoutbox) == 1


def test_the_national_operator_sees_no_member_of_the_wards_staff(operator_client, ward):
    page = operator_client.get(reverse("national:municipality_access", args=[ward.municipality.pk]))
    assert page.status_code == 200
    assert ward.admin.email not in page.text and ward.reviewer.email not in page.text
    bad = operator_client.post(
        reverse("national:municipality_administrator", args=[ward.municipality.pk]),
        {"email": "nope"},
    )
    assert bad.status_code == 400 and not WardInvitation.objects.exists()


def test_only_the_national_operator_starts_a_ward(client, ward):
    login_with_second_factor(client, ward.admin)
    new_ward = f.municipality(staff_networks=())
    for name in ("national:municipality_network", "national:municipality_administrator"):
        response = client.post(
            reverse(name, args=[new_ward.pk]), {"cidr": "203.0.113.0/24", "email": "a@example.jp"}
        )
        assert response.status_code == 404
    assert not StaffNetwork.objects.filter(municipality=new_ward).exists()
    assert not WardInvitation.objects.exists()


def test_a_facility_managers_deactivation_ends_sessions_the_same_way():
    """The facility's team page uses the same epoch: a reactivated account's old sessions stay
    ended."""
    from tsuen.facilities import services_staff as facility_staff

    facility = f.facility(f.municipality())
    manager = f.user(Role.FACILITY_MANAGER, facility=facility)
    member = f.user(Role.FACILITY_STAFF, facility=facility)
    for account in (manager, member):
        f.second_factor(account)
    old = logged_in(member)
    assert old.get(reverse("attendance:staff_day")).status_code == 200
    with acting_as(actor_for(manager)):
        facility_staff.set_active(manager, member.pk, False)
        facility_staff.set_active(manager, member.pk, True)
    assert old.get(reverse("attendance:staff_day")).status_code == 302
    member.refresh_from_db()
    assert logged_in(member).get(reverse("attendance:staff_day")).status_code == 200
