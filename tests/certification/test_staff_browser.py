"""The ward's review desk on a desktop (1440x900): the queue, an application and certifying
it, each page checked with axe-core (WCAG 2.1 A/AA)."""

from __future__ import annotations

import pytest

from tests import factories as f
from tests.browser_support import check_accessibility, log_in
from tests.certification.conftest import answers, evidence
from tsuen.accounts.models import Role
from tsuen.certification import services
from tsuen.certification.models import ApplicationStatus, Certification

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.fixture(autouse=True)
def _today():
    """The live server runs in its own thread, outside any frozen clock: use real dates."""
    yield


def test_a_reviewer_certifies_from_the_queue_on_a_desktop(desktop, live_server):
    ward = f.municipality(code="13104", name="新宿区", certificate_prefix="SJ")
    reviewer = f.user(Role.MUNICIPAL_REVIEWER, municipality=ward)
    f.second_factor(reviewer)
    applicant = f.user(Role.GUARDIAN)
    draft = f.started_application(applicant, ward.pk)
    application = services.submit(applicant, draft.pk, answers(), evidence())
    log_in(desktop, reviewer, live_server)

    desktop.goto("/applications/staff/")
    assert application.reference in desktop.content()
    check_accessibility(desktop)
    desktop.get_by_role("link", name=application.reference).click()
    desktop.wait_for_load_state()
    assert "新宿1-1-1" in desktop.content()
    check_accessibility(desktop)
    desktop.locator("form[action$='/certify/'] button").click()
    desktop.wait_for_load_state()
    check_accessibility(desktop)  # the confirmation: the child and its validity
    assert not Certification.objects.filter(application=application).exists()
    desktop.locator("form[action$='/certify/'] button.danger").click()
    desktop.wait_for_load_state()
    certification = Certification.objects.get(application=application)
    assert certification.number in desktop.content()
    check_accessibility(desktop)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.CERTIFIED
