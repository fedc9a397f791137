"""The ward's notices to a family (認定通知書, 認定終了通知書, 却下通知書) as real administrative
documents: each part is read back from the PDF's text."""

from __future__ import annotations

import datetime as dt
import re
import subprocess

import pytest
from django.urls import reverse
from django.utils import translation

from tests import factories as f
from tests.certification.conftest import answers, evidence
from tests.exports import support as exports
from tsuen.accounts.models import Role
from tsuen.accounts.testing import login_with_second_factor
from tsuen.audit.models import AuditEvent
from tsuen.certification import lifecycle, services
from tsuen.certification.models import EndReason
from tsuen.core import clock

pytestmark = pytest.mark.django_db


@pytest.fixture
def ward(db):
    ward = f.municipality(
        code="13104",
        name="新宿区",
        certificate_prefix="SJ",
        head_title="新宿区長",
        office_department="子ども家庭部保育課",
        office_phone="03-5273-0000",
        office_address="〒160-8484 東京都新宿区歌舞伎町1-4-1",
    )
    ward.name = "新宿区"  # the factory numbers its names
    ward.save()
    return ward


@pytest.fixture(autouse=True)
def _japanese(settings):
    settings.LANGUAGE_CODE = "ja"
    with translation.override("ja"):
        yield


def submitted(ward):
    applicant = f.user(Role.GUARDIAN, language="ja")
    application = f.started_application(applicant, ward.pk)
    return services.submit(applicant, application.pk, answers(), evidence())


def text_of(data: bytes, tmp_path) -> str:
    """The PDF's text without any white space (pdftotext breaks lines where the layout does)."""
    path = tmp_path / "notice.pdf"
    path.write_bytes(data)
    out = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return re.sub(r"\s+", "", out)


def assert_administrative_parts(text: str) -> None:
    """What every notice of the ward carries: addressee, signer, 教示, contact."""
    assert "〒160-0022" in text and "東京都新宿区新宿1-1-1" in text  # the household's address
    assert "山田花子様" in text  # the guardian
    assert "新宿区長公印" in text  # the head's title with the seal's place
    # 教示: review within three months by the ward head, court within six against the ward.
    assert "知った日の翌日から起算して3か月以内に、新宿区長に対して審査請求" in text
    assert "6か月以内に、新宿区を被告として" in text
    assert "問い合わせ先" in text and "子ども家庭部保育課" in text and "03-5273-0000" in text


def test_the_certification_notice_has_every_part_of_an_administrative_notice(
    client, ward, reviewer, tmp_path, django_capture_on_commit_callbacks
):
    application = submitted(ward)
    [certification] = _certify(reviewer, application.pk)
    client.force_login(application.applicant)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("certification:notice_pdf", args=[certification.pk]))
    assert response.status_code == 200
    text = text_of(response.content, tmp_path)
    assert "新宿区認定第SJ2026-00001号" in text  # document number
    assert "令和8年5月11日" in text  # issued, in 和暦
    assert "乳児等支援給付認定通知書" in text
    assert "次のとおり認定しましたので通知します" in text
    assert "山田一花" in text and "SJ2026-00001" in text
    assert "令和8年5月11日–令和9年4月8日" in text  # validity
    assert_administrative_parts(text)
    read = AuditEvent.objects.filter(action="read").values_list("object_type", "field_names")
    assert {("families.household", "address_line"), ("families.guardian", "family_name")} <= {
        (kind, name) for kind, names in read for name in names
    }


def test_an_ended_certification_gets_its_own_end_notice_never_a_reprint(
    client, ward, reviewer, tmp_path
):
    application = submitted(ward)
    [certification] = _certify(reviewer, application.pk)
    with clock.frozen(dt.datetime(2026, 7, 1, 10, 0)):
        lifecycle.end_certification(
            reviewer, certification.child_id, EndReason.MOVED_OUT, dt.date(2026, 6, 30)
        )
        client.force_login(application.applicant)
        detail = client.get(reverse("certification:detail", args=[application.pk]))
        assert "認定終了通知書（PDF）" in detail.content.decode()
        response = client.get(reverse("certification:notice_pdf", args=[certification.pk]))
    assert "certification-end-SJ2026-00001.pdf" in response["Content-Disposition"]
    text = text_of(response.content, tmp_path)
    assert "乳児等支援給付認定終了通知書" in text
    assert "新宿区認定終了第SJ2026-00001号" in text
    assert "令和8年7月1日" in text
    assert "認定の最終日令和8年6月30日" in text
    assert "市区町村外への転出" in text  # the reason
    assert "認定しました" not in text and "認定通知書" not in text.replace("認定終了通知書", "")
    assert_administrative_parts(text)


def test_the_ward_exports_the_end_notice_for_an_ended_certification(
    client, ward, reviewer, tmp_path
):
    application = submitted(ward)
    [certification] = _certify(reviewer, application.pk)
    lifecycle.end_certification(
        reviewer, certification.child_id, EndReason.REQUESTED, dt.date(2026, 5, 11)
    )
    login_with_second_factor(client, reviewer)
    url = reverse("certification:staff_notice", args=[certification.pk])
    name, data, _archive = exports.exported(client, url)
    assert name == f"certification-end-{certification.pk}.pdf"
    text = text_of(data, tmp_path)
    assert "認定終了通知書" in text and "認定しました" not in text


def test_a_rejection_gets_a_notice_with_the_reasons_and_the_kyoji(client, ward, reviewer, tmp_path):
    application = submitted(ward)
    client.force_login(application.applicant)
    url = reverse("certification:rejection_pdf", args=[application.pk])
    assert client.get(url).status_code == 404  # nothing rejected yet
    _reject(reviewer, application.pk, "区外にお住まいのため対象外です。")
    detail = client.get(reverse("certification:detail", args=[application.pk])).content.decode()
    assert url in detail
    response = client.get(url)
    assert response.status_code == 200
    text = text_of(response.content, tmp_path)
    assert f"新宿区却下第{application.reference}号" in text
    assert "乳児等支援給付認定申請却下通知書" in text
    assert "区外にお住まいのため対象外です。" in text
    assert "却下しましたので通知します" in text
    assert "山田一花" in text
    assert_administrative_parts(text)
    # Another family and the ward's staff (they export it) get nothing here.
    client.force_login(f.user(Role.GUARDIAN))
    assert client.get(url).status_code == 404
    client.logout()
    login_with_second_factor(client, reviewer)
    assert client.get(url).status_code == 404
    page = client.get(reverse("certification:staff_application", args=[application.pk]))
    export_url = reverse("certification:staff_rejection_notice", args=[application.pk])
    assert export_url in page.content.decode()
    name, data, _archive = exports.exported(client, export_url)
    assert name == f"rejection-notice-{application.pk}.pdf"
    assert "区外にお住まいのため対象外です。" in text_of(data, tmp_path)


def test_without_a_title_the_head_is_the_ward_name_with_cho(ward):
    ward.head_title = ""
    assert ward.head == "新宿区長"


def _certify(staff, application_id, numbers=None):
    """Certify as the desk does: confirming the effects shown."""
    token = services.decision_effects(staff, application_id, "certify").token
    return services.certify(staff, application_id, numbers, confirm_token=token)


def _reject(staff, application_id, reason):
    """Reject as the desk does: confirming the effects shown."""
    token = services.decision_effects(staff, application_id, "reject").token
    return services.reject(staff, application_id, reason, confirm_token=token)
