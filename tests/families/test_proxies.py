"""Proxy users (代理利用者): a guardian invites by email, the invitee accepts with a one-use
link, the guardian revokes and access ends at once."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext

from tests import factories as f
from tsuen.accounts.models import Role
from tsuen.audit.models import AuditEvent
from tsuen.authz.policy import Action, allows
from tsuen.core import clock
from tsuen.families import services
from tsuen.families.models import Child, Household, ProxyGrant, ProxyInvitation

pytestmark = pytest.mark.django_db
INVITEE = "grandma@example.jp"


def ja(msgid: str, **params) -> str:
    with translation.override("ja"):
        text = gettext(msgid)
    return escape(text % params if params else text)


def invite(client, email, capture):
    with capture(execute=True):
        return client.post(reverse("families:proxy_invite"), {"email": email})


def token_from_mail(message) -> str:
    [path] = re.findall(r"/profile/proxies/accept/([\w-]+)/", message.body)
    return path


def accept(client, token, capture):
    with capture(execute=True):
        return client.post(reverse("families:proxy_accept", args=[token]))


@pytest.fixture
def invited(world, as_user, django_capture_on_commit_callbacks):
    """The guardian has invited INVITEE; returns the token from the email."""
    response = invite(as_user(world["guardian"]), INVITEE, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == [INVITEE]
    return token_from_mail(message)


def test_invite_accept_see_the_child_revoke_404(
    world, client, as_user, invited, django_capture_on_commit_callbacks
):
    child = world["child"]
    invitation = ProxyInvitation.objects.get()
    assert invitation.token_hash == services.token_hash(invited) != invited
    assert invited not in str(list(ProxyInvitation.objects.values_list()))  # only its hash
    assert "試験 花子" in mail.outbox[0].subject  # who invites them

    # A fresh account (signed up as a guardian, no household of its own) accepts.
    grandma = f.user(Role.GUARDIAN, email=INVITEE)
    proxy = as_user(grandma)
    page = proxy.get(reverse("families:proxy_accept", args=[invited])).content.decode()
    assert "<form" in page and child.given_name not in page
    response = accept(proxy, invited, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    grandma.refresh_from_db()
    assert grandma.role == Role.PROXY
    grant = ProxyGrant.objects.get(user=grandma)
    assert (grant.household, grant.granted_by) == (world["household"], world["guardian"])
    assert allows(grandma, Action.CHILD_VIEW, child) and allows(grandma, Action.CHILD_EDIT, child)
    assert proxy.get(reverse("families:child", args=[child.pk])).status_code == 200
    assert proxy.get(reverse("families:proxies")).status_code == 404  # no proxies of proxies
    created = AuditEvent.objects.get(action="create", object_type="families.proxygrant")
    assert created.field_names == ["household", "user"] and created.subject_child_ids == [child.pk]

    # The guardian sees the proxy and ends the access: at once, through the authz layer.
    guardian = as_user(world["guardian"])
    assert INVITEE in guardian.get(reverse("families:proxies")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = guardian.post(reverse("families:proxy_revoke", args=[grant.pk]))
    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.revoked_at is not None
    assert not allows(grandma, Action.CHILD_VIEW, child)
    assert not allows(grandma, Action.CHILD_EDIT, child)
    proxy = as_user(grandma)
    assert proxy.get(reverse("families:child", args=[child.pk])).status_code == 404
    assert proxy.get(reverse("families:child_edit_meals", args=[child.pk])).status_code == 404
    assert AuditEvent.objects.filter(
        action="update", object_type="families.proxygrant", field_names=["revoked_at"]
    ).exists()


def test_logged_out_the_link_leads_to_login_and_sign_up(client, invited):
    client.logout()  # the fixture's guardian used this client
    link = reverse("families:proxy_accept", args=[invited])
    page = client.get(link).content.decode()
    assert reverse("account_login") + "?next=" in page and reverse("account_signup") in page
    response = client.post(link)
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
    assert not ProxyGrant.objects.filter(user__email=INVITEE).exists()


def refused(client, token, capture, message, **params):
    before = (ProxyGrant.objects.count(), list(ProxyInvitation.objects.values_list("accepted_at")))
    response = accept(client, token, capture)
    assert response.status_code == 400
    assert ja(message, **params) in response.content.decode()
    assert (
        ProxyGrant.objects.count(),
        list(ProxyInvitation.objects.values_list("accepted_at")),
    ) == before


def test_an_expired_link_is_refused(as_user, invited, django_capture_on_commit_callbacks):
    grandma = f.user(Role.GUARDIAN, email=INVITEE)
    with clock.frozen(clock.now() + dt.timedelta(days=services.PROXY_INVITATION_DAYS, minutes=1)):
        refused(
            as_user(grandma), invited, django_capture_on_commit_callbacks,
            "This invitation has expired. Ask the guardian to send a new invitation.",
        )  # fmt: skip
    grandma.refresh_from_db()
    assert grandma.role == Role.GUARDIAN


def test_a_used_link_is_refused(world, as_user, invited, django_capture_on_commit_callbacks):
    grandma = f.user(Role.GUARDIAN, email=INVITEE)
    assert accept(as_user(grandma), invited, django_capture_on_commit_callbacks).status_code == 302
    refused(
        as_user(grandma), invited, django_capture_on_commit_callbacks,
        "This invitation has already been used.",
    )  # fmt: skip
    assert ProxyGrant.objects.filter(user=grandma).count() == 1


def test_a_withdrawn_or_replaced_link_is_refused(
    world, as_user, invited, django_capture_on_commit_callbacks
):
    guardian = as_user(world["guardian"])
    invite(guardian, INVITEE, django_capture_on_commit_callbacks)  # a new link replaces the old
    newer = token_from_mail(mail.outbox[-1])
    grandma = f.user(Role.GUARDIAN, email=INVITEE)
    message = "This invitation link is not valid. Ask the guardian to send a new invitation."
    refused(as_user(grandma), invited, django_capture_on_commit_callbacks, message)
    refused(as_user(grandma), "not-a-token", django_capture_on_commit_callbacks, message)
    open_one = ProxyInvitation.objects.get(accepted_at=None, revoked_at=None)
    guardian = as_user(world["guardian"])
    with django_capture_on_commit_callbacks(execute=True):
        guardian.post(reverse("families:proxy_invitation_revoke", args=[open_one.pk]))
    refused(as_user(grandma), newer, django_capture_on_commit_callbacks, message)


def test_another_address_cannot_use_the_link(as_user, invited, django_capture_on_commit_callbacks):
    stranger = f.user(Role.GUARDIAN, email="someone-else@example.jp")
    refused(
        as_user(stranger), invited, django_capture_on_commit_callbacks,
        "This invitation was sent to another email address. Log in with the address that "
        "received the invitation.",
    )  # fmt: skip


def test_an_existing_guardian_cannot_become_a_proxy(
    world, as_user, invited, django_capture_on_commit_callbacks
):
    """Decided simply: one account, one role. A guardian of another household signs up again
    with another address to act as a proxy."""
    grandma = f.user(Role.GUARDIAN, email=INVITEE)
    f.guardian(f.household(world["ward"]), grandma)
    refused(
        as_user(grandma), invited, django_capture_on_commit_callbacks,
        "This account is a guardian's own account, so it cannot become a proxy user. Sign up "
        "with another email address to act for another household.",
    )  # fmt: skip
    grandma.refresh_from_db()
    assert grandma.role == Role.GUARDIAN


def test_a_staff_account_cannot_become_a_proxy(
    world, as_user, invited, django_capture_on_commit_callbacks
):
    staff = f.user(Role.FACILITY_STAFF, facility=f.facility(world["ward"]), email=INVITEE)
    f.second_factor(staff)
    refused(
        as_user(staff), invited, django_capture_on_commit_callbacks,
        "A staff account cannot act as a proxy user.",
    )  # fmt: skip


def test_a_proxy_of_one_household_may_accept_another(
    world, as_user, invited, django_capture_on_commit_callbacks
):
    grandma = f.user(Role.PROXY, email=INVITEE)
    other = f.household(world["ward"])
    ProxyGrant.objects.create(household=other, user=grandma, granted_by=world["guardian"])
    assert accept(as_user(grandma), invited, django_capture_on_commit_callbacks).status_code == 302
    assert set(ProxyGrant.objects.filter(user=grandma).values_list("household", flat=True)) == {
        other.pk,
        world["household"].pk,
    }


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("not-an-address", "有効なメールアドレスを入力してください。"),
        ("", "このフィールドは必須です。"),
    ],
)
def test_a_bad_address_is_refused_in_japanese_and_nothing_is_sent(
    world, as_user, django_capture_on_commit_callbacks, email, message
):
    response = invite(as_user(world["guardian"]), email, django_capture_on_commit_callbacks)
    assert response.status_code == 400 and message in response.content.decode()
    assert not ProxyInvitation.objects.exists() and mail.outbox == []


def test_the_guardian_cannot_invite_themself(world, as_user, django_capture_on_commit_callbacks):
    own = world["guardian"].email.upper()
    response = invite(as_user(world["guardian"]), own, django_capture_on_commit_callbacks)
    assert ja("This address belongs to a guardian of your household.") in response.content.decode()
    assert not ProxyInvitation.objects.exists() and mail.outbox == []


def test_open_invitations_are_capped(world, django_capture_on_commit_callbacks):
    for n in range(services.MAX_OPEN_INVITATIONS):
        services.invite_proxy(world["guardian"], f"p{n}@example.jp")
    with pytest.raises(services.ProxyRefused):
        services.invite_proxy(world["guardian"], "one-more@example.jp")
    assert ProxyInvitation.objects.count() == services.MAX_OPEN_INVITATIONS


def test_the_invitation_is_written_in_the_language_of_an_existing_account(
    world, django_capture_on_commit_callbacks
):
    f.user(Role.GUARDIAN, email=INVITEE, language="en")
    with django_capture_on_commit_callbacks(execute=True):
        services.invite_proxy(world["guardian"], INVITEE)
    [message] = mail.outbox
    assert "proxy user" in message.subject and "/profile/proxies/accept/" in message.body


def test_the_household_of_a_proxy_lists_its_children(
    world, as_user, invited, django_capture_on_commit_callbacks
):
    grandma = f.user(Role.GUARDIAN, email=INVITEE)
    accept(as_user(grandma), invited, django_capture_on_commit_callbacks)
    page = as_user(grandma).get(reverse("families:index")).content.decode()
    assert world["child"].given_name in page
    assert reverse("families:proxies") not in page
    assert Child.objects.filter(household__in=Household.objects.all()).count() == 1
