"""Open data (issue 13, item 6): the public facility list in the 子育て施設一覧 layout (CSV and
JSON, real HTTP through the test client), and the ward's register imported from such a file:
preview, row-level problems, confirmation, all or nothing, audited; a round trip."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from tests import factories as f
from tests.files.samples import eicar
from tsuen.accounts.models import Role
from tsuen.accounts.testing import login_with_second_factor
from tsuen.audit.models import AuditEvent
from tsuen.core import tenancy
from tsuen.facilities import opendata
from tsuen.facilities import services_opendata as service
from tsuen.facilities.models import Facility, PlaceTemplate

pytestmark = pytest.mark.django_db

CSV_URL = "/open-data/facilities.csv"
JSON_URL = "/open-data/facilities.json"


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def _staff(role, ward):
    account = f.user(role, municipality=ward)
    f.second_factor(account)
    return account


@pytest.fixture
def admin(ward):
    return _staff(Role.MUNICIPAL_ADMIN, ward)


@pytest.fixture
def published(ward):
    """Two published facilities (one with awkward text), one suspended."""
    first = f.facility(
        ward,
        name='ひだまり保育園, "本園"',
        name_kana="ヒダマリホイクエン",
        address="東京都新宿区新宿2-2-2\n2階",
        latitude=Decimal("35.690921"),
        longitude=Decimal("139.700258"),
        phone="03-1234-5678",
        accepts_class_0=False,
        opens_at=dt.time(8, 30),
        closes_at=dt.time(17),
        offers_regular=True,
        allergy_support=True,
        fee_per_hour=350,
        open_data_id="A-001",
        notice_email="office@example.jp",
        bank_account_number="1234567",
    )
    second = f.facility(ward, name="わかば園", name_kana="ワカバエン")
    for weekday in (1, 3):
        PlaceTemplate.objects.create(
            facility=first, weekday=weekday, starts_at=dt.time(9), ends_at=dt.time(12),
            age_class=1, places=4,
        )  # fmt: skip
        PlaceTemplate.objects.create(
            facility=first, weekday=weekday, starts_at=dt.time(9), ends_at=dt.time(12),
            age_class=2, places=3,
        )  # fmt: skip
    f.facility(ward, name="休止中の園", suspended=True)
    return first, second


def _csv(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    lines = body[1:]
    assert lines.split("\r\n")[0] == ",".join(opendata.HEADER)
    return list(csv.DictReader(io.StringIO(lines, newline="")))


# --- the layout --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code,full",
    [("13104", "131041"), ("43100", "431001"), ("08220", "082201"), ("01100", "011002")],
)
def test_the_municipality_code_gets_its_check_digit(code, full):
    assert opendata.full_code(code) == full


# --- publishing ----------------------------------------------------------------------------------


def test_the_csv_is_public_streamed_utf8_with_bom_and_lists_published_facilities(
    client, ward, published
):
    first, second = published
    response = client.get(CSV_URL)
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = _csv(response)
    assert [row["名称"] for row in rows] == ['ひだまり保育園, "本園"', "わかば園"]
    row = rows[0]
    assert row["全国地方公共団体コード"] == opendata.full_code(ward.code)
    assert row["ID"] == "A-001" and rows[1]["ID"] == f"{second.pk:06d}"
    assert row["地方公共団体名"] == f"東京都{ward.name}"
    assert row["所在地_連結表記"] == "東京都新宿区新宿2-2-2\n2階"  # quoted, newline kept
    assert (row["緯度"], row["経度"]) == ("35.690921", "139.700258")
    assert row["電話番号"] == "03-1234-5678" and row["郵便番号"] == "160-0022"
    assert row["受入年齢"] == "1歳児・2歳児"
    assert (row["開始時間"], row["終了時間"]) == ("08:30", "17:00")
    assert row["収容定員"] == "7" and row["利用可能曜日"] == "月,水"
    assert row["種別"] == "乳児等通園支援事業（一般型）"
    assert row["URL"] == f"http://testserver/facilities/{first.pk}/"
    assert (row["定期利用"], row["柔軟利用"], row["アレルギー対応食"]) == ("有", "有", "有")
    assert row["利用料_1時間"] == "350"
    assert rows[1]["収容定員"] == "" and rows[1]["緯度"] == ""
    # Nothing that is not published: the facility's mailbox, bank account, number.
    text = json.dumps(rows, ensure_ascii=False)
    assert "office@example.jp" not in text and "1234567" not in text
    assert first.facility_number not in text


def test_the_json_has_the_same_rows_and_fields(client, ward, published):
    csv_rows = _csv(client.get(CSV_URL))
    response = client.get(JSON_URL)
    assert response.status_code == 200
    document = json.loads(b"".join(response.streaming_content))
    assert document["license"] == "CC BY 4.0" and document["columns"] == list(opendata.HEADER)
    assert document["facilities"] == csv_rows


def test_the_municipality_filter(client, ward, published):
    other = f.municipality(name="中野区")
    f.facility(other, name="中野の園")
    assert len(_csv(client.get(CSV_URL))) == 3
    code = opendata.full_code(ward.code)
    assert [r["名称"] for r in _csv(client.get(CSV_URL, {"municipality": code}))] == [
        'ひだまり保育園, "本園"',
        "わかば園",
    ]
    assert len(_csv(client.get(CSV_URL, {"municipality": other.code}))) == 1
    for bad in ("13104x", code[:5] + "9" if code[5] != "9" else code[:5] + "8", "1"):
        assert client.get(CSV_URL, {"municipality": bad}).status_code == 400
        assert client.get(JSON_URL, {"municipality": bad}).status_code == 400
    assert _csv(client.get(CSV_URL, {"municipality": "99999"})) == []


def test_the_open_data_page_states_the_licence_and_is_linked_from_the_search(
    client, ward, published
):
    page = client.get("/open-data/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "CC BY 4.0" in html and "creativecommons.org/licenses/by/4.0" in html
    assert f"?municipality={opendata.full_code(ward.code)}" in html
    assert 'href="/open-data/"' in client.get(reverse("facilities:search")).content.decode()


# --- importing -----------------------------------------------------------------------------------


def _file(rows: list[dict], *, header=opendata.HEADER, encoding="utf-8-sig", name="list.csv"):
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(column, "") for column in header])
    return SimpleUploadedFile(name, out.getvalue().encode(encoding), content_type="text/csv")


def _row(ward, **changes) -> dict:
    return {
        "全国地方公共団体コード": opendata.full_code(ward.code),
        "ID": "N-1",
        "名称": "あおぞら保育室",
        "名称_カナ": "アオゾラホイクシツ",
        "種別": "乳児等通園支援事業（余裕活用型）",
        "所在地_連結表記": "東京都新宿区西新宿1-1-1",
        "緯度": "35.6895",
        "経度": "139.6917",
        "電話番号": "03-9876-5432",
        "郵便番号": "1600023",
        "受入年齢": "0歳児・1歳児",
        "開始時間": "9:00",
        "終了時間": "16:00",
        "定期利用": "無",
        "柔軟利用": "有",
        "医療的ケア対応": "有",
        "アレルギー対応食": "無",
        "利用料_1時間": "300",
    } | changes


def _upload(client, admin, upload):
    login_with_second_factor(client, admin)
    return client.post(reverse("facilities:ward_import"), {"file": upload})


def _confirm(client, token):
    return client.post(reverse("facilities:ward_import_confirm"), {"confirm": token})


def _facilities(ward):
    with tenancy.cross_tenant("test"):
        return list(Facility.objects.filter(municipality=ward).order_by("pk"))


def test_preview_then_confirm_registers_and_updates_in_one_go_and_audits(
    client, ward, admin, published
):
    first, _second = published
    before = len(_facilities(ward))
    upload = _file(
        [_row(ward), _row(ward, ID="A-001", 名称="ひだまり保育園", 電話番号="03-1111-2222")]
    )
    preview = _upload(client, admin, upload)
    assert preview.status_code == 200
    plan = preview.context["plan"]
    assert [r.open_data_id for r in plan.creates] == ["N-1"]
    assert [r.facility.pk for r in plan.updates] == [first.pk]
    assert {c.field for c in plan.updates[0].changes} >= {"name", "phone", "facility_type"}
    assert len(_facilities(ward)) == before  # a preview writes nothing

    done = _confirm(client, plan.token)
    assert done.status_code == 302 and done.url == reverse("facilities:ward_register")
    with tenancy.cross_tenant("test"):
        created = Facility.objects.get(municipality=ward, open_data_id="N-1")
        first.refresh_from_db()
    assert created.facility_type == "spare_capacity" and created.postal_code == "160-0023"
    assert created.latitude == Decimal("35.689500") and created.opens_at == dt.time(9)
    assert created.accepts_class_0 and created.accepts_class_1 and not created.accepts_class_2
    assert created.medical_care_support and not created.offers_regular
    assert created.facility_number == ""
    assert first.name == "ひだまり保育園" and first.phone == "03-1111-2222"
    events = AuditEvent.objects.filter(object_type="facilities.facility")
    assert events.filter(action="create", object_id=str(created.pk)).exists()
    update = events.get(action="update", object_id=str(first.pk))
    assert "phone" in update.field_names and update.document_sha256 == plan.sha256
    # The file is not held any more: confirming twice does nothing.
    again = _confirm(client, plan.token)
    assert again.status_code == 302 and again.url == reverse("facilities:ward_import")


def test_shift_jis_input_is_read(client, ward, admin):
    preview = _upload(client, admin, _file([_row(ward)], encoding="cp932"))
    assert preview.status_code == 200
    assert preview.context["plan"].creates[0].values["name"] == "あおぞら保育室"


def test_a_wrong_header_is_refused_as_a_whole(client, ward, admin):
    header = tuple(c for c in opendata.HEADER if c not in ("名称", "郵便番号"))
    preview = _upload(client, admin, _file([_row(ward)], header=header))
    assert preview.status_code == 400
    problem = preview.context["plan"].layout_problem
    assert "名称" in problem and "郵便番号" in problem
    assert 'name="confirm"' not in preview.content.decode()


def test_not_text_is_refused(client, ward, admin):
    upload = SimpleUploadedFile("x.csv", b"\x89PNG\r\n\x1a\n\xff\xfe\x00\x81", "text/csv")
    assert _upload(client, admin, upload).status_code == 400


ROW_PROBLEMS = [
    (
        {"全国地方公共団体コード": "131041"},
        "全国地方公共団体コード",
        "not your municipality's code",
    ),
    ({"全国地方公共団体コード": "13104X"}, "全国地方公共団体コード", "six-digit"),
    ({"緯度": "135.6"}, "緯度", "between 20 and 46"),
    ({"経度": "東経139"}, "経度", "between 122 and 154"),
    ({"経度": ""}, "緯度", "both the latitude and the longitude"),
    ({"電話番号": "1234"}, "電話番号", "area code"),
    ({"郵便番号": "16-0022"}, "郵便番号", "seven digits"),
    ({"名称": ""}, "名称", "name of the facility"),
    ({"ID": ""}, "ID", "needs an ID"),
    ({"種別": "認可保育所"}, "種別", "一般型 or 余裕活用型"),
    ({"受入年齢": "3歳児"}, "受入年齢", "age classes"),
    ({"開始時間": "25:00"}, "開始時間", "hours and minutes"),
    ({"終了時間": "08:00"}, "終了時間", "after the opening time"),
    ({"柔軟利用": "無"}, "柔軟利用", "at least one use"),
    ({"医療的ケア対応": "たぶん"}, "医療的ケア対応", "有 or 無"),
    ({"利用料_1時間": "-5"}, "利用料_1時間", "fee per hour"),
]


@pytest.mark.parametrize("changes,column,reason", ROW_PROBLEMS)
def test_a_bad_row_is_reported_with_row_column_and_reason_and_nothing_is_written(
    client, ward, admin, changes, column, reason
):
    good = _row(ward, ID="OK-1")
    preview = _upload(client, admin, _file([good, _row(ward) | changes]))
    assert preview.status_code == 400
    plan = preview.context["plan"]
    assert [(p.number, p.column) for p in plan.problems if p.column == column] == [(3, column)]
    assert any(reason in p.reason for p in plan.problems)
    assert 'name="confirm"' not in preview.content.decode()
    # Confirming anyway (a forged token) writes nothing: the good row is not written alone.
    refused = _confirm(client, plan.token)
    assert refused.status_code == 400
    assert _facilities(ward) == []


def test_a_duplicate_id_is_reported_on_its_second_row(client, ward, admin):
    preview = _upload(client, admin, _file([_row(ward), _row(ward, 名称="別の園")]))
    assert preview.status_code == 400
    [problem] = preview.context["plan"].problems
    assert (problem.number, problem.column) == (3, "ID") and "row 2" in problem.reason


def test_a_register_changed_since_the_preview_is_refused_and_shown_again(
    client, ward, admin, published
):
    first, _ = published
    upload = _file([_row(ward, ID="A-001", 名称="新しい名前")])
    plan = _upload(client, admin, upload).context["plan"]
    with tenancy.cross_tenant("test"):
        Facility.objects.filter(pk=first.pk).update(phone="03-0000-0000")
    refused = _confirm(client, plan.token)
    assert refused.status_code == 400
    assert "Something changed since you checked" in refused.content.decode()
    first.refresh_from_db()
    assert first.name == 'ひだまり保育園, "本園"'
    # The page shows the new plan; its token imports.
    done = _confirm(client, refused.context["plan"].token)
    assert done.status_code == 302
    first.refresh_from_db()
    assert first.name == "新しい名前"


def test_opening_hours_that_leave_template_slots_outside_are_a_row_problem(
    client, ward, admin, published
):
    upload = _file([_row(ward, ID="A-001", 開始時間="10:00", 終了時間="16:00")])
    preview = _upload(client, admin, upload)
    assert preview.status_code == 400
    assert preview.context["plan"].problems[0].column == "開始時間"


def test_malware_is_refused_and_recorded(client, ward, admin):
    upload = SimpleUploadedFile("list.csv", eicar(), content_type="text/csv")
    response = _upload(client, admin, upload)
    assert response.status_code == 400
    assert "malware" in response.content.decode()
    assert AuditEvent.objects.filter(action="malware_found").exists()


def test_a_file_over_the_limit_is_refused(client, ward, admin, settings):
    upload = SimpleUploadedFile("big.csv", b"a" * (service.MAX_IMPORT_BYTES + 1), "text/csv")
    response = _upload(client, admin, upload)
    assert response.status_code == 400 and "too large" in response.content.decode()


def test_only_the_wards_administrator_imports(client, ward, published):
    reviewer = _staff(Role.MUNICIPAL_REVIEWER, ward)
    login_with_second_factor(client, reviewer)
    assert client.get(reverse("facilities:ward_import")).status_code == 404
    assert _confirm(client, "x").status_code == 404
    # Another ward's administrator imports into their own register only: this ward's rows are
    # refused by their code, and its IDs match nothing of theirs.
    other = f.municipality(name="中野区")
    other_admin = _staff(Role.MUNICIPAL_ADMIN, other)
    preview = _upload(client, other_admin, _file([_row(ward, ID="A-001")]))
    assert preview.status_code == 400
    assert preview.context["plan"].problems[0].column == "全国地方公共団体コード"


# --- round trip ----------------------------------------------------------------------------------

#: Columns that describe where a file was made (the municipality, the facility's page), or that
#: come from the weekly template, which an import does not write.
NOT_IMPORTED = {
    "全国地方公共団体コード",
    "地方公共団体名",
    "所在地_全国地方公共団体コード",
    "所在地_都道府県",
    "所在地_市区町村",
    "URL",
    "収容定員",
    "利用可能曜日",
}


def test_round_trip_export_import_into_an_empty_ward_export_again(client, ward, published):
    exported = _csv(client.get(CSV_URL, {"municipality": ward.code}))
    empty = f.municipality(name="港区")
    admin = _staff(Role.MUNICIPAL_ADMIN, empty)
    moved = [
        row | {"全国地方公共団体コード": opendata.full_code(empty.code)} for row in exported
    ]  # the file handed to the other ward: its own code
    preview = _upload(client, admin, _file(moved))
    assert preview.status_code == 200, preview.context["plan"].problems
    assert len(preview.context["plan"].creates) == 2
    assert _confirm(client, preview.context["plan"].token).status_code == 302
    client.logout()
    again = _csv(client.get(CSV_URL, {"municipality": empty.code}))

    def held(rows):
        return [{k: v for k, v in row.items() if k not in NOT_IMPORTED} for row in rows]

    assert held(again) == held(exported)
    assert {row["全国地方公共団体コード"] for row in again} == {opendata.full_code(empty.code)}
    # And importing the same file again changes nothing.
    login_with_second_factor(client, admin)
    plan = client.post(reverse("facilities:ward_import"), {"file": _file(moved)}).context["plan"]
    assert (len(plan.creates), len(plan.updates), len(plan.unchanged)) == (0, 0, 2)


def test_the_files_are_rate_limited_per_address(client, ward, published, settings):
    settings.RATE_LIMITS = settings.RATE_LIMITS | {"open_data": "2/h/ip"}
    assert client.get(CSV_URL).status_code == 200
    assert client.get(JSON_URL).status_code == 200
    assert client.get(CSV_URL).status_code == 429
    assert client.get("/open-data/").status_code == 200  # the page itself reads little
