"""Production refuses to start on the public development secrets."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError


def test_deploy_check_refuses_development_keys(settings):
    settings.FIELD_ENCRYPTION_KEYS = settings.DEV_FIELD_ENCRYPTION_KEYS
    settings.SECRET_KEY = settings.DEV_SECRET_KEY
    with pytest.raises(SystemCheckError) as caught:
        call_command("check", "--deploy", tags=["security"])
    assert "privacy.E003" in str(caught.value) and "privacy.E004" in str(caught.value)
