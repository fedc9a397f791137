from django.core.files.uploadedfile import SimpleUploadedFile

from tests.matrix.base import CARE_DESK, FAMILY, MUNICIPAL, RELATED_FACILITY, Row, arg, ok
from tsuen.files.models import Purpose
from tsuen.files.services import Owner, store_upload

PDF = b"%PDF-1.4\n% matrix fixture\n"


def extend(world):
    guardian = world["users"]["guardian"]
    household, child = world["household"], world["own_child"]
    world["fee_evidence"] = store_upload(
        guardian,
        SimpleUploadedFile("課税証明書.pdf", PDF),
        purpose=Purpose.FEE_EVIDENCE,
        owner=Owner(household.municipality_id, household_id=household.pk),
    )
    world["doctor_certificate"] = store_upload(
        guardian,
        SimpleUploadedFile("診断書.pdf", PDF),
        purpose=Purpose.DOCTOR_CERTIFICATE,
        owner=Owner(household.municipality_id, household_id=household.pk, child_id=child.pk),
    )


ROWS = {
    # The household's fee-class evidence: the family and its ward's case workers, never a
    # facility.
    "files:download@fee_evidence": Row(404, ok(*FAMILY, *MUNICIPAL), args=arg("fee_evidence")),
    # A child's doctor's certificate (a care record): also the facilities caring for the child;
    # at the ward the reviewer and the administrator, never the payments officer.
    "files:download@doctor_certificate": Row(
        404,
        ok(*FAMILY, *RELATED_FACILITY, *CARE_DESK),
        args=arg("doctor_certificate"),
    ),
}
