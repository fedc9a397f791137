"""The purpose notice, consent and disclosure (/consent/..., issue 12 item 3): the family reads
the notice (proxies too); the household's guardians agree, withdraw and download everything
held; every other account, and every other family, gets 404."""

from tests import factories as f
from tests.matrix.base import FAMILY, LOGIN, Row, arg, ok


def extend(world):
    # Another family of the same ward (other_household is in another ward).
    _guardian, world["neighbour_household"], _child = f.family(world["ward"])


def _household_rows(route: str, *allowed: str, **extra) -> dict[str, Row]:
    return {
        f"consent:{route}@own": Row(
            404, {"anonymous": LOGIN} | ok(*allowed), args=arg("household"), **extra
        ),
        f"consent:{route}@same_ward_other_family": Row(
            404, {"anonymous": LOGIN}, args=arg("neighbour_household"), **extra
        ),
        f"consent:{route}@other_ward": Row(
            404, {"anonymous": LOGIN}, args=arg("other_household"), **extra
        ),
    }


ROWS = {
    "consent:index": Row(404, {"anonymous": LOGIN} | ok(*FAMILY)),
    **_household_rows("notice", *FAMILY),
    # Agreeing: a guardian only (the world's household has agreed already: the guardian is told
    # so, 400, and nothing is written); a proxy does not agree for the children (404).
    "consent:notice@post": Row(
        404,
        {"anonymous": LOGIN, "guardian": 400},
        args=arg("household"),
        method="post",
        data=lambda w: {"agree": "yes", "version": "1"},
    ),
    # Withdrawing (GET: the page saying what happens). Its POST is checked in
    # tests/consent/test_consent.py: here it would withdraw the world's consent before the
    # profile rows that save sensitive data.
    **_household_rows("withdraw", "guardian"),
    # Disclosure (開示請求): the household's guardians only, never a proxy or staff.
    **_household_rows("disclosure_json", "guardian"),
    **_household_rows("disclosure_pdf", "guardian"),
}
