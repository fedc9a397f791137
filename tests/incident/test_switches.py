"""Issue 12 item 6 (council checklist item 4): the emergency switches.

Each switch is pulled through the screen's two steps (what it will do, then the confirmed
post), reaches exactly the accounts in its scope at their next request, is released the same
way, and leaves an ``emergency_switch`` audit event each time. The world is the authorization
matrix's: ward A with a family, two facilities and every staff role; ward B with a family and a
reviewer; the national operator."""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.test import Client
from django.urls import reverse
from django.utils import translation

from tests.matrix.rows_national import _municipality
from tests.matrix.world import build_world
from tsuen.accounts.models import Role
from tsuen.accounts.testing import login_with_second_factor
from tsuen.audit.models import AuditEvent
from tsuen.incident import services
from tsuen.incident.models import EmergencySwitch, Kind
from tsuen.municipalities.models import Municipality

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="confirm" value="([0-9a-f]+)"')


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def world():
    return build_world()


def signed_in(world, *names) -> dict[str, Client]:
    clients = {}
    for name in names:
        client = Client()
        login_with_second_factor(client, world["users"][name])
        clients[name] = client
    return clients


def home(client):
    """A page every signed-in account may open: the start page (it sends each to its
    portal)."""
    return client.get("/", follow=True)


def signed_out(client) -> bool:
    response = client.get("/")
    # The start page sends a signed-in account to its portal; a visitor sees the public one.
    return "_auth_user_id" not in client.session and response.status_code in (200, 302)


def pull(client, kind, ward, **extra):
    """Pull a switch on the screen: the first post shows what it will do, the second confirms."""
    data = {"kind": kind, "ward": ward, "reason": "テスト: 事故対応"} | extra
    first = client.post(reverse("incident:pull"), data)
    assert first.status_code == 200, first.content.decode()[:2000]
    token = TOKEN.search(first.content.decode()).group(1)
    return first, client.post(reverse("incident:pull"), data | {"confirm": token})


def ward_accounts(ward) -> set[int]:
    from tsuen.accounts.models import User
    from tsuen.core.dates import ward_of

    return {u.pk for u in User.objects.filter(is_active=True) if ward_of(u) == ward}


def switches():
    """The switches a test pulled (the world holds two released ones of its own)."""
    return EmergencySwitch.objects.exclude(reason="matrix")


def events():
    return AuditEvent.objects.filter(action="emergency_switch")


# --- Asking first ------------------------------------------------------------------------------


def test_the_first_post_shows_what_will_happen_and_changes_nothing(world):
    admin = signed_in(world, "municipal_admin")["municipal_admin"]
    ward = world["ward"]
    response = admin.post(
        reverse("incident:pull"),
        {"kind": Kind.REVOKE_SESSIONS, "ward": ward.pk, "reason": "漏えいの疑い"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "cannot be undone" in body
    # Ward A's accounts, counted one by one as the middleware sees them.
    assert f"It reaches {len(ward_accounts(ward))} accounts." in body
    assert not switches().exists() and not events().exists()


def test_the_service_refuses_without_the_token_and_when_the_effects_changed(world):
    from tests import factories as f

    admin, ward = world["users"]["municipal_admin"], world["ward"]
    req = services.Request(Kind.REVOKE_SESSIONS, ward, reason="x")
    with pytest.raises(ValidationError) as refused:
        services.pull(admin, req, confirmed=None)
    assert refused.value.code == "not_confirmed"
    shown = services.effects(admin, req)
    f.user(Role.MUNICIPAL_REVIEWER, municipality=ward)  # one more account since it was shown
    with pytest.raises(ValidationError) as changed:
        services.pull(admin, req, confirmed=shown.token)
    assert changed.value.code == "changed"
    assert not switches().exists()


# --- (a) sessions ------------------------------------------------------------------------------


def test_one_account_is_signed_out_at_its_next_request(world):
    c = signed_in(world, "municipal_admin", "facility_staff", "facility_manager")
    staff = world["users"]["facility_staff"]
    assert home(c["facility_staff"]).status_code == 200
    _, done = pull(c["municipal_admin"], Kind.REVOKE_SESSIONS, world["ward"].pk, email=staff.email)
    assert done.status_code == 302
    response = c["facility_staff"].get(reverse("portals:facility"))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]
    assert "_auth_user_id" not in c["facility_staff"].session
    assert c["facility_manager"].get(reverse("portals:facility")).status_code == 200
    [event] = events()
    assert event.actor_id == world["users"]["municipal_admin"].pk
    assert event.municipality_id == world["ward"].pk
    # Logging in again works: the new session is not ended.
    staff.refresh_from_db()
    login_with_second_factor(c["facility_staff"], staff)
    assert c["facility_staff"].get(reverse("portals:facility")).status_code == 200


def test_a_wards_sessions_end_for_its_people_only_and_the_admin_stays(world):
    c = signed_in(
        world, "municipal_admin", "municipal_reviewer", "guardian", "proxy", "facility_staff",
        "other_ward_reviewer", "national_operator",
    )  # fmt: skip
    pull(c["municipal_admin"], Kind.REVOKE_SESSIONS, world["ward"].pk)
    for name in ("municipal_reviewer", "guardian", "proxy", "facility_staff"):
        response = c[name].get("/")
        assert "_auth_user_id" not in c[name].session, name
        assert response.status_code == 302, name
    assert c["other_ward_reviewer"].get(reverse("portals:municipality")).status_code == 200
    assert c["national_operator"].get(reverse("portals:national")).status_code == 200
    # The administrator who pulled it stays signed in on this device.
    assert c["municipal_admin"].get(reverse("incident:index")).status_code == 200
    switch = switches().get()
    assert (switch.kind, switch.municipality_id, switch.accounts_affected) == (
        Kind.REVOKE_SESSIONS,
        world["ward"].pk,
        len(ward_accounts(world["ward"])),
    )
    assert events().count() == 1


def test_the_national_operator_ends_every_session(world):
    c = signed_in(world, "national_operator", "municipal_admin", "other_ward_reviewer", "guardian")
    pull(c["national_operator"], Kind.REVOKE_SESSIONS, "all")
    for name in ("municipal_admin", "other_ward_reviewer", "guardian"):
        c[name].get("/")
        assert "_auth_user_id" not in c[name].session, name
    assert c["national_operator"].get(reverse("incident:index")).status_code == 200
    [event] = events()
    assert event.municipality_id is None  # the national chain


def test_a_ward_administrator_cannot_reach_another_ward_or_every_ward(world):
    admin = signed_in(world, "municipal_admin")["municipal_admin"]
    for ward in (world["other_ward"].pk, "all"):
        response = admin.post(
            reverse("incident:pull"),
            {"kind": Kind.REVOKE_SESSIONS, "ward": ward, "reason": "x"},
        )
        assert response.status_code == 404
    with pytest.raises(ValidationError):  # an account of another ward is not found
        services.find_account(
            world["users"]["municipal_admin"], world["ward"], world["other_guardian"].email
        )
    assert not switches().exists()


# --- (b) a role off ----------------------------------------------------------------------------


def test_a_role_turned_off_is_refused_until_released(world):
    c = signed_in(world, "municipal_admin", "facility_staff", "facility_manager")
    pull(c["municipal_admin"], Kind.DISABLE_ROLE, world["ward"].pk, role=Role.FACILITY_STAFF)
    refused = c["facility_staff"].get(reverse("portals:facility"))
    assert refused.status_code == 403
    assert "Your role has been turned off" in refused.content.decode()
    assert c["facility_manager"].get(reverse("portals:facility")).status_code == 200
    # A staff member of another ward's facility with the same role is not reached.
    from tests import factories as f

    elsewhere = f.user(Role.FACILITY_STAFF, facility=f.facility(world["other_ward"]))
    f.second_factor(elsewhere)
    other = Client()
    login_with_second_factor(other, elsewhere)
    assert other.get(reverse("portals:facility")).status_code == 200

    switch = switches().get()
    released = c["municipal_admin"].post(
        reverse("incident:release", args=[switch.pk]), {"reason": "原因を特定"}
    )
    assert released.status_code == 302
    assert c["facility_staff"].get(reverse("portals:facility")).status_code == 200
    switch.refresh_from_db()
    assert switch.released_by == world["users"]["municipal_admin"]
    assert switch.release_reason == "原因を特定"
    assert events().count() == 2


def test_the_national_operator_turns_guardians_off_in_every_ward(world):
    c = signed_in(world, "national_operator", "guardian", "proxy")
    other = Client()
    login_with_second_factor(other, world["other_guardian"])
    pull(c["national_operator"], Kind.DISABLE_ROLE, "all", role=Role.GUARDIAN)
    assert c["guardian"].get(reverse("portals:guardian")).status_code == 403
    assert other.get(reverse("portals:guardian")).status_code == 403
    assert c["proxy"].get(reverse("portals:guardian")).status_code == 200
    # Logging out stays open.
    assert c["guardian"].post(reverse("account_logout")).status_code == 302
    [event] = events()
    assert event.municipality_id is None


def test_the_administrator_cannot_turn_off_their_own_role_and_no_one_the_operators(world):
    admin, operator = world["users"]["municipal_admin"], world["users"]["national_operator"]
    for user, role in ((admin, Role.MUNICIPAL_ADMIN), (operator, Role.NATIONAL_OPERATOR)):
        req = services.Request(Kind.DISABLE_ROLE, world["ward"], role=role, reason="x")
        with pytest.raises(ValidationError):
            services.effects(user, req)
    # The operator may turn a ward's administrators off.
    req = services.Request(Kind.DISABLE_ROLE, world["ward"], role=Role.MUNICIPAL_ADMIN, reason="x")
    admins = world["ward"].staff.filter(role=Role.MUNICIPAL_ADMIN, is_active=True).count()
    assert admins >= 1 and services.effects(operator, req).accounts == admins


def test_a_switch_on_cannot_be_pulled_again_nor_released_twice(world):
    admin = world["users"]["municipal_admin"]
    req = services.Request(Kind.READ_ONLY, world["ward"], reason="x")
    switch = services.pull(admin, req, confirmed=services.effects(admin, req).token)
    with pytest.raises(ValidationError) as again:
        services.effects(admin, req)
    assert again.value.code == "on"
    services.release(admin, switch.pk, "y")
    with pytest.raises(ValidationError) as twice:
        services.release(admin, switch.pk, "y")
    assert twice.value.code == "released"
    revoke = services.Request(Kind.REVOKE_SESSIONS, world["ward"], reason="x")
    ended = services.pull(admin, revoke, confirmed=services.effects(admin, revoke).token)
    with pytest.raises(ValidationError) as never:
        services.release(admin, ended.pk, "y")
    assert never.value.code == "not_lasting"


def test_another_wards_switch_is_out_of_the_administrators_reach(world):
    operator, admin = world["users"]["national_operator"], world["users"]["municipal_admin"]
    req = services.Request(Kind.READ_ONLY, world["other_ward"], reason="x")
    switch = services.pull(operator, req, confirmed=services.effects(operator, req).token)
    with pytest.raises(Http404):
        services.release(admin, switch.pk, "y")
    assert switch not in services.switches_for(admin)


# --- (c) a ward read-only ----------------------------------------------------------------------


def counts() -> dict[str, int]:
    """Rows of every model the switches guard (not the audit trail, sessions, exports)."""
    from tsuen.incident.guard import EXEMPT_APPS

    return {
        m._meta.label: m._base_manager.count()
        for m in apps.get_models()
        if m._meta.app_label not in EXEMPT_APPS and not m._meta.proxy
        and m._meta.app_label not in ("django_tasks_database", "django_tasks_db")
    }  # fmt: skip


def test_a_read_only_ward_refuses_writes_allows_reads_and_shows_a_banner(world):
    c = signed_in(world, "municipal_admin", "municipal_reviewer", "other_ward_reviewer")
    pull(c["municipal_admin"], Kind.READ_ONLY, world["ward"].pk)
    assert Municipality.objects.get(pk=world["ward"].pk).read_only
    page = c["municipal_reviewer"].get(reverse("portals:municipality"))
    assert page.status_code == 200
    assert 'id="emergency-banner"' in page.content.decode()
    assert "read-only" in page.content.decode()
    # The other ward reads and sees no banner.
    other = c["other_ward_reviewer"].get(reverse("portals:municipality"))
    assert 'id="emergency-banner"' not in other.content.decode()
    # Release: the flag and the banner go.
    switch = switches().get()
    c["municipal_admin"].post(reverse("incident:release", args=[switch.pk]), {"reason": "復旧"})
    assert not Municipality.objects.get(pk=world["ward"].pk).read_only
    page = c["municipal_reviewer"].get(reverse("portals:municipality"))
    assert 'id="emergency-banner"' not in page.content.decode()
    assert events().count() == 2


WARD_A = (
    "guardian", "proxy", "facility_staff", "facility_manager", "unrelated_facility_staff",
    "municipal_reviewer", "municipal_payments", "municipal_admin", "auditor",
)  # fmt: skip
#: Posts a read-only ward still answers: the switch screen (to release it), protected exports.
STILL_OPEN = ("incident:", "exports:", "audit:export", "set_language", "account_logout")


@pytest.mark.parametrize("actor", WARD_A)
def test_every_write_of_the_matrix_is_refused_in_a_read_only_ward(actor, world):
    """Walk every POST row of the authorization matrix as each of ward A's accounts: with the
    ward read-only, each answers 423 and no guarded table changes."""
    from tests.test_authz_matrix import matrix

    operator = world["users"]["national_operator"]
    req = services.Request(Kind.READ_ONLY, world["ward"], reason="x")
    services.pull(operator, req, confirmed=services.effects(operator, req).token)
    client = Client()
    login_with_second_factor(client, world["users"][actor])
    before = counts()
    walked = 0
    for key, row in matrix().items():
        name = key.split("@")[0]
        if row.method != "post" or name.startswith(STILL_OPEN):
            continue
        url = reverse(name, args=row.args(world) if row.args else None)
        response = client.post(url, row.data(world) if row.data else {})
        assert response.status_code == 423, f"{key}: {response.status_code}"
        assert "read-only" in response.content.decode()
        walked += 1
    assert walked > 40
    assert counts() == before


def test_writes_to_a_read_only_wards_data_from_outside_are_refused(world):
    """The national operator is in no ward; editing ward A is refused by the write guard, and
    editing ward B goes on."""
    operator = signed_in(world, "national_operator")["national_operator"]
    req = services.Request(Kind.READ_ONLY, world["ward"], reason="x")
    services.pull(
        world["users"]["national_operator"], req,
        confirmed=services.effects(world["users"]["national_operator"], req).token,
    )  # fmt: skip
    a, b = world["ward"], world["other_ward"]
    refused = operator.post(
        reverse("national:municipality_edit", args=[a.pk]), _municipality("13198", "MXE")(world)
    )
    assert refused.status_code == 423
    assert Municipality.objects.get(pk=a.pk).code == a.code
    done = operator.post(
        reverse("national:municipality_edit", args=[b.pk]), _municipality("13199", "MXF")(world)
    )
    assert done.status_code == 302
    assert Municipality.objects.get(pk=b.pk).code == "13199"


def test_the_write_guard_refuses_a_ward_row_and_lets_others_through(world):
    from tsuen.core import tenancy
    from tsuen.incident.guard import WardReadOnly, read_only_wards

    child, other = world["own_child"], world["other_child"]
    with read_only_wards(frozenset({world["ward"].pk})), tenancy.cross_tenant("test"):
        child.given_name = "変更"
        with pytest.raises(WardReadOnly):
            child.save()
        with pytest.raises(WardReadOnly), transaction.atomic():
            world["booking"].delete()
        # A new row built from ids only (nothing loaded) is traced to its ward all the same.
        from tsuen.booking.models import Booking

        fresh = Booking.unscoped.get(pk=world["booking"].pk)
        fresh.pk = None
        fresh = Booking(**{
            f.attname: getattr(fresh, f.attname) for f in Booking._meta.concrete_fields
        })  # fmt: skip
        with pytest.raises(WardReadOnly), transaction.atomic():
            fresh.save()
        other.given_name = "変更"
        other.save()  # ward B
    with (
        read_only_wards(frozenset({"all"})),
        tenancy.cross_tenant("test"),
        pytest.raises(WardReadOnly),
    ):
        other.save()
