"""The pages a visitor sees before logging in work on a phone and pass axe-core."""

import pytest

from tests.browser_support import check_accessibility

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.mark.parametrize(
    "path", ["/", "/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"]
)
def test_public_page_is_accessible_in_japanese(phone, path):
    phone.goto(path)
    assert phone.locator("html").get_attribute("lang") == "ja"
    check_accessibility(phone)
