"""Control: the accessibility check really fails on a page with violations (so a green
journey test means something)."""

import pytest

from tests.browser_support import check_accessibility

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_axe_reports_an_image_without_alt_and_an_unlabelled_input(phone):
    phone.goto("/")
    phone.evaluate(
        "document.querySelector('main').insertAdjacentHTML('beforeend', "
        '\'<img src="/static/tsuen/site.css"><input type="text">\')'
    )
    with pytest.raises(AssertionError, match="image-alt"):
        check_accessibility(phone)
