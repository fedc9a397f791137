"""Issue 9 item 8 at a desktop (1440x900) in Chromium, axe-core on every page: the ward's
administrator invites a member of staff (who accepts the emailed link), moves a reviewer to the
payments desk, deactivates a leaver, adds a network range and is warned before removing the
range they are using."""

from __future__ import annotations

import pytest

from tests import factories as f
from tests.browser_support import check_accessibility, log_in
from tsuen.accounts.models import Role, User, WardInvitation
from tsuen.municipalities.models import StaffNetwork

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.fixture(autouse=True)
def _mail_at_once(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def _go(page, locator):
    locator.click()
    page.wait_for_load_state()
    check_accessibility(page)


def test_the_ward_runs_its_own_staff_on_a_desktop(desktop, live_server, mailoutbox, browser):
    ward = f.municipality(name="新宿区", staff_networks=())  # its one range is made below
    # The live server sees the browser at 127.0.0.1: the ward's range for this test.
    StaffNetwork.objects.get_or_create(municipality=ward, cidr="127.0.0.1/32")
    admin = f.user(Role.MUNICIPAL_ADMIN, municipality=ward, full_name="管理 花子")
    reviewer = f.user(Role.MUNICIPAL_REVIEWER, municipality=ward, full_name="審査 一郎")
    leaver = f.user(Role.MUNICIPAL_PAYMENTS, municipality=ward, full_name="支払 次郎")
    for account in (admin, reviewer, leaver):
        f.second_factor(account)
    log_in(desktop, admin, live_server, language="ja")

    desktop.goto("/municipality/")
    _go(desktop, desktop.locator("nav.sections a[href='/municipality/staff/']"))
    assert desktop.locator("#ward-staff tbody tr").count() == 3

    # Joiner: a bad address first (400, nothing sent), then the invitation.
    _go(desktop, desktop.locator("a[href='/municipality/staff/invite/']"))
    desktop.fill("#id_email", "新人@")
    desktop.select_option("#id_role", "auditor")
    _go(desktop, desktop.locator("main form button[type='submit']"))
    assert desktop.locator("[role='alert']").is_visible() and not mailoutbox
    desktop.fill("#id_email", "shinjin@example.jp")
    _go(desktop, desktop.locator("main form button[type='submit']"))
    assert desktop.locator("#ward-invitations", has_text="shinjin@example.jp").is_visible()
    [mail] = mailoutbox
    link = next(
        line for line in mail.body.splitlines() if "/municipality/staff/invitations/" in line
    )
    path = link[link.index("/municipality/") :]

    # The new member opens the link in a browser of their own and chooses a password.
    joiner = browser.new_context(
        viewport={"width": 1440, "height": 900},
        locale="ja-JP",
        base_url=live_server.url,
        bypass_csp=True,  # to inject axe-core, as tests/browser_support does
    )
    try:
        page = joiner.new_page()
        page.goto(path)
        check_accessibility(page)
        page.fill("#id_full_name", "監査 三郎")
        page.fill("#id_password", "a-long-pass-phrase-for-the-ward")
        page.locator("main form button[type='submit']").click()
        page.wait_for_load_state()
        assert page.url.endswith("/accounts/login/")
    finally:
        joiner.close()
    joined = User.objects.get(email="shinjin@example.jp")
    assert (joined.role, joined.municipality_id) == (Role.AUDITOR, ward.pk)
    assert WardInvitation.objects.get().accepted_at is not None

    # Mover: the reviewer goes to the payments desk.
    desktop.goto("/municipality/staff/")
    _go(desktop, desktop.locator(f"a[href='/municipality/staff/{reviewer.pk}/']"))
    desktop.select_option("#id_role", "municipal_payments")
    _go(desktop, desktop.locator(f"form[action$='/staff/{reviewer.pk}/role/'] button"))
    reviewer.refresh_from_db()
    assert reviewer.role == Role.MUNICIPAL_PAYMENTS and reviewer.session_epoch == 1

    # Leaver: deactivated, every session ended.
    desktop.goto(f"/municipality/staff/{leaver.pk}/")
    _go(desktop, desktop.locator(f"form[action$='/staff/{leaver.pk}/active/'] button"))
    assert desktop.locator("#member-state strong").is_visible()
    leaver.refresh_from_db()
    assert not leaver.is_active

    # The network ranges: add one, then look at removing the one in use, and keep it.
    desktop.goto("/municipality/staff/")
    _go(desktop, desktop.locator("main a[href='/municipality/networks/']"))
    assert desktop.locator("#ward-networks", has_text="127.0.0.1/32").is_visible()
    desktop.fill("#id_cidr", "0.0.0.0/0")
    _go(desktop, desktop.locator("main form button[type='submit']"))
    assert desktop.locator("[role='alert']").is_visible()
    desktop.fill("#id_cidr", "192.0.2.0/24")
    desktop.fill("#id_note", "本庁舎 LGWAN")
    _go(desktop, desktop.locator("main form button[type='submit']"))
    assert desktop.locator("#ward-networks", has_text="192.0.2.0/24").is_visible()
    in_use = StaffNetwork.objects.get(municipality=ward, cidr="127.0.0.1/32")
    _go(desktop, desktop.locator(f"a[href='/municipality/networks/{in_use.pk}/remove/']"))
    assert desktop.locator("#warning-own-address").is_visible()
    desktop.locator("main form button[type='submit']").click()  # not confirmed: refused
    desktop.wait_for_load_state()
    check_accessibility(desktop)
    assert desktop.locator("[role='alert']").is_visible()
    _go(desktop, desktop.locator("main a", has_text="削除しない"))
    assert StaffNetwork.objects.filter(pk=in_use.pk).exists()
