"""The API authorization matrix's rows for a ward system's operations (tests/api/ward.py, see
tests/api/test_api_matrix.py): the change feed lists the ward's certificates and never the
other ward's; the fee-class write-back names the own certificate (written) or the other
ward's (refused as not found in the 422 report, nothing written); the claims and the register
list the ward's own only."""

from tests import factories as f
from tests.api.matrix import Op
from tsuen.accounts.models import Role
from tsuen.billing.models import Claim, ClaimStatus
from tsuen.certification import changes
from tsuen.certification.models import ChangeKind
from tsuen.core import tenancy


def extend(scene) -> None:
    with tenancy.cross_tenant("test set-up"):
        for prefix, ward, facility in (
            ("", scene.ward, scene.facility),
            ("other_", scene.other_ward, scene.other_facility),
        ):
            staff = f.user(Role.MUNICIPAL_REVIEWER, municipality=ward)
            certification = f.certification(f.child(f.household(ward)), staff)
            changes.note([certification], ChangeKind.CERTIFIED)
            setattr(scene, f"{prefix}certification", certification)
            claim = Claim.objects.create(
                facility=facility, paying_municipality=ward, year=2026, month=10
            )
            Claim.objects.filter(pk=claim.pk).update(status=ClaimStatus.SUBMITTED)
            setattr(scene, f"{prefix}ward_claim", claim)


def _fee_classes(scene, other: bool) -> dict:
    certification = scene.other_certification if other else scene.certification
    return {
        "rows": [
            {"number": certification.number, "fee_class": "tax_exempt", "valid_from": "2026-04-01"}
        ]
    }


OPS = {
    "GET /api/v1/ward/certifications/changes": Op(listed="certification"),
    "POST /api/v1/ward/fee-classes": Op(body_for=_fee_classes, other_status=422),
    "GET /api/v1/ward/claims": Op(listed="ward_claim"),
    "GET /api/v1/ward/facilities": Op(listed="facility"),
}
