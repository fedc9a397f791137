import pytest
from django.utils import translation

from tests import factories as f
from tsuen.accounts.models import Role
from tsuen.accounts.testing import login_with_second_factor


@pytest.fixture(autouse=True)
def _english(settings):
    """These tests read the pages and refusals in English."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def operator(db):
    user = f.user(Role.NATIONAL_OPERATOR)
    f.second_factor(user)
    return user


@pytest.fixture
def operator_client(client, operator):
    login_with_second_factor(client, operator)
    return client
