"""The audit log on a desktop (1440x900): the auditor searches by a child's certificate number
and downloads the export (re-authenticating, reading the ZIP's password on the screen); each
page is checked with axe-core (WCAG 2.1 A/AA)."""

from __future__ import annotations

import pytest

from tests import factories as f
from tests.browser_support import check_accessibility, log_in
from tests.exports import support as exports
from tsuen.accounts.models import Role
from tsuen.audit import Action, record
from tsuen.audit.models import AuditEvent
from tsuen.core.context import acting_as, actor_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_the_auditor_searches_by_child_and_exports_on_a_desktop(desktop, live_server):
    ward = f.municipality(name="監査区")
    auditor = f.user(Role.AUDITOR, municipality=ward)
    reviewer = f.user(Role.MUNICIPAL_REVIEWER, municipality=ward)
    f.second_factor(auditor)
    _, _, child = f.family(ward, given_name="秘子")
    certification = f.certification(child, reviewer, number="KA2026-00777")
    with acting_as(actor_for(reviewer, "198.51.100.4")):
        record(Action.READ, child, ["given_name"])
    log_in(desktop, auditor, live_server)

    desktop.goto("/")
    desktop.locator("nav.sections a[href='/audit/']").click()  # from the auditor's home
    desktop.wait_for_load_state()
    assert desktop.locator("#chain-ok").is_visible()
    check_accessibility(desktop)
    desktop.locator("#id_child").fill(certification.number)
    desktop.locator("form[action='/audit/'] button[type=submit]").click()
    desktop.wait_for_load_state()
    rows = desktop.locator("#audit-events tbody tr")
    assert rows.count() == 1
    assert "KA2026-00777" in rows.first.inner_text()
    assert "198.51.100.4" in rows.first.inner_text()
    assert "秘子" not in desktop.content()
    check_accessibility(desktop)

    # The export: re-authenticate, read the password on the screen, download, open the ZIP.
    _name, data, _password = exports.in_browser(
        desktop, desktop.locator("#export").click, check=check_accessibility
    )
    assert data.startswith(b"\xef\xbb\xbf") and b"KA2026-00777" in data
    assert AuditEvent.objects.filter(actor_id=auditor.pk, action=Action.EXPORT).count() == 1
    assert AuditEvent.objects.filter(actor_id=auditor.pk, action=Action.DOWNLOAD).count() == 1
