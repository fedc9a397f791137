"""The ward's review desk: queue, application page, decisions, and the certification notice.

Reviewers and administrators of the application's ward review and decide; the payments officer
does not (casework on fee classes and claims, not certification), nor does the auditor.
The notice PDF: the child's family and the ward's case workers."""

from tests import factories as f
from tests.matrix.base import FAMILY, LOGIN, MUNICIPAL, Row, export_rows, ok
from tests.matrix.rows_certification import _application
from tsuen.certification.models import ApplicationStatus, Certification, CertificationStatus
from tsuen.core import clock

DESK = ("municipal_reviewer", "municipal_admin")


def extend(world):
    guardian = world["users"]["guardian"]
    world["review_application"] = _application(
        guardian, world["household"], world["own_child"], ApplicationStatus.SUBMITTED
    )
    world["correction_application"] = _application(
        guardian, world["household"], world["own_child"], ApplicationStatus.SUBMITTED
    )
    world["other_review_application"] = _application(
        world["other_guardian"],
        world["other_household"],
        world["other_child"],
        ApplicationStatus.SUBMITTED,
    )
    # Certifying needs children without an active certification.
    world["certify_application"] = _application(
        guardian, world["household"], f.child(world["household"]), ApplicationStatus.SUBMITTED
    )
    world["other_certify_application"] = _application(
        world["other_guardian"],
        world["other_household"],
        f.child(world["other_household"]),
        ApplicationStatus.SUBMITTED,
    )
    certification = Certification.objects.filter(child=world["own_child"]).first()
    if certification is None:
        today = clock.today()
        certification = Certification.objects.create(
            municipality=world["ward"],
            child=world["own_child"],
            number="MX2026-99999",
            valid_from=today,
            valid_to=today.replace(year=today.year + 1),
            status=CertificationStatus.ACTIVE,
            certified_at=clock.now(),
            certified_by=world["users"]["municipal_admin"],
        )
    world["notice_certification"] = certification
    rejected = _application(
        guardian, world["household"], world["own_child"], ApplicationStatus.REJECTED
    )
    rejected.message_to_applicant = "matrix"
    rejected.save()
    world["rejected_application"] = rejected


def _pk(key):
    return lambda world: [world[key].pk]


ROWS = {
    "certification:staff_queue": Row(404, {"anonymous": LOGIN} | ok(*DESK, "other_ward_reviewer")),
    "certification:staff_application@own": Row(
        404, {"anonymous": LOGIN} | ok(*DESK), args=_pk("review_application")
    ),
    "certification:staff_application@other_ward": Row(
        404, {"anonymous": LOGIN} | ok("other_ward_reviewer"), args=_pk("other_review_application")
    ),
    "certification:staff_reject": Row(
        404,
        {"anonymous": LOGIN} | ok(*DESK),  # the confirmation page: nothing decided yet
        args=_pk("review_application"),
        method="post",
        data=lambda world: {"reason": "matrix"},
    ),
    "certification:staff_reject@confirmed": Row(
        404,
        {"anonymous": LOGIN} | ok(*DESK, status=302),
        args=_pk("review_application"),
        method="post",
        data=lambda world: {"reason": "matrix", "confirm": _token(world, "review_application")},
    ),
    "certification:staff_request_correction": Row(
        404,
        {"anonymous": LOGIN} | ok(*DESK, status=302),
        args=_pk("correction_application"),
        method="post",
        data=lambda world: {"message": "matrix"},
    ),
    # Certifying: the first post answers the confirmation page (200); the post with its token
    # certifies (302).
    "certification:staff_certify": Row(
        404,
        {"anonymous": LOGIN} | ok(*DESK),
        args=_pk("certify_application"),
        method="post",
    ),
    "certification:staff_certify@confirmed": Row(
        404,
        {"anonymous": LOGIN} | ok(*DESK, status=302),
        args=_pk("certify_application"),
        method="post",
        data=lambda world: {"confirm": _token(world, "certify_application", "certify")},
    ),
    "certification:staff_certify@other_ward": Row(
        404,
        {"anonymous": LOGIN} | ok("other_ward_reviewer", status=302),
        args=_pk("other_certify_application"),
        method="post",
        data=lambda world: {
            "confirm": _token(
                world, "other_certify_application", "certify", user="other_ward_reviewer"
            )
        },
    ),
    # The notice: the family opens its own (not a protected export: its own document); the
    # ward's case workers take it as a protected export (issue 9 item 4).
    "certification:notice_pdf": Row(
        404, {"anonymous": LOGIN} | ok(*FAMILY), args=_pk("notice_certification")
    ),
    **export_rows("certification:staff_notice", MUNICIPAL, args=_pk("notice_certification")),
    # The notice of rejection (却下通知書): the same two ways.
    "certification:rejection_pdf": Row(
        404, {"anonymous": LOGIN} | ok(*FAMILY), args=_pk("rejected_application")
    ),
    **export_rows(
        "certification:staff_rejection_notice", MUNICIPAL, args=_pk("rejected_application")
    ),
}


def _token(world, key, decision="reject", user="municipal_reviewer"):
    """The confirmation token the desk's confirmation page would carry."""
    from tsuen.certification import services
    from tsuen.core import tenancy

    with tenancy.cross_tenant("matrix: the token of the confirmation page"):
        staff = world["users"][user]
        return services.decision_effects(staff, world[key].pk, decision).token
