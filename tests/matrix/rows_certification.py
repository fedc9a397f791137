"""Applications for certification: the family's pages (list, start, edit, status, PDF) and the
postal-code lookup."""

from django.utils import timezone

from tests.matrix.base import FAMILY, LOGIN, MUNICIPAL, Row, arg, ok
from tsuen.certification.models import (
    Application,
    ApplicationChild,
    ApplicationStatus,
    ApplicationStatusChange,
)
from tsuen.certification.services import empty_entries


def _application(guardian_user, household, child, status):
    entries = empty_entries()
    entries["fee_class"] = "none"
    entries["children"] = [
        {
            "family_name": child.family_name,
            "given_name": child.given_name,
            "family_name_kana": child.family_name_kana,
            "given_name_kana": child.given_name_kana,
            "birth_date": child.birth_date.isoformat(),
            "sex": child.sex,
            "medical_care": False,
            "disability": False,
            "declares_no_excluded_enrolment": True,
            "child_id": child.pk,
        }
    ]
    now = timezone.now()
    application = Application.objects.create(
        municipality=household.municipality,
        household=household,
        applicant=guardian_user,
        status=status,
        declared_fee_class="none",
        message_to_applicant="",
        entries=entries,
        submitted_at=None if status == ApplicationStatus.DRAFT else now,
    )
    ApplicationChild.objects.create(
        application=application, child=child, declares_no_excluded_enrolment=True
    )
    ApplicationStatusChange.objects.create(
        application=application, from_status="", to_status=status, at=now, by=guardian_user
    )
    return application


def extend(world):
    guardian = world["users"]["guardian"]
    world["application"] = _application(
        guardian, world["household"], world["own_child"], ApplicationStatus.SUBMITTED
    )
    world["draft_application"] = _application(
        guardian, world["household"], world["own_child"], ApplicationStatus.DRAFT
    )
    other_user = world["other_guardian"]
    world["other_application"] = _application(
        other_user, world["other_household"], world["other_child"], ApplicationStatus.SUBMITTED
    )


def _save_draft(world):
    return {
        "action": "save",
        "g-family_name": "試験",
        "c-TOTAL_FORMS": "0",
        "c-INITIAL_FORMS": "0",
        "c-MIN_NUM_FORMS": "0",
        "c-MAX_NUM_FORMS": "1000",
    }


ROWS = {
    # Lists narrow to what each may see; roles that see no application get 404.
    "certification:list": Row(
        404, {"anonymous": LOGIN} | ok(*FAMILY, *MUNICIPAL, "other_ward_reviewer")
    ),
    # Only a guardian starts an application (a proxy acts on the household's existing ones).
    "certification:start": Row(404, {"anonymous": LOGIN} | ok("guardian")),
    # Public postal data, but only for people who are logged in.
    "certification:postal": Row(200, {"anonymous": LOGIN}, args=lambda w: ["1600022"]),
    "certification:detail@own": Row(
        404, {"anonymous": LOGIN} | ok(*FAMILY, *MUNICIPAL), args=arg("application")
    ),
    "certification:detail@other_ward": Row(
        404, {"anonymous": LOGIN} | ok("other_ward_reviewer"), args=arg("other_application")
    ),
    # Editing: the family, while the application is a draft or awaits a correction.
    "certification:edit@draft": Row(
        404, {"anonymous": LOGIN} | ok(*FAMILY), args=arg("draft_application")
    ),
    "certification:edit@submitted": Row(404, {"anonymous": LOGIN}, args=arg("application")),
    "certification:edit@save_draft": Row(
        404,
        {"anonymous": LOGIN} | ok(*FAMILY, status=302),
        args=arg("draft_application"),
        method="post",
        data=_save_draft,
    ),
    "certification:pdf@own": Row(
        404, {"anonymous": LOGIN} | ok(*FAMILY, *MUNICIPAL), args=arg("application")
    ),
    "certification:pdf@draft": Row(404, {"anonymous": LOGIN}, args=arg("draft_application")),
}
