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


def _session_errors() -> list[str]:
    from tsuen.core.checks import check_session_store

    return [message.id for message in check_session_store()]


def test_sessions_in_a_per_process_cache_are_refused(settings):
    settings.SESSION_ENGINE = "tsuen.core.sessions"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert _session_errors() == ["core.E002"]


def test_a_store_that_forgives_a_redis_failure_is_refused(settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/0",
        }
    }
    assert _session_errors() == ["core.E003"]


def test_a_sessions_redis_that_does_not_answer_fails_the_deploy_check(settings):
    settings.SESSION_ENGINE = "tsuen.core.sessions"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://:s3cret-pw@127.0.0.1:1/0",  # nothing listens on port 1
            "OPTIONS": {"socket_connect_timeout": 2},
        }
    }
    from tsuen.core.checks import check_session_store

    [error] = check_session_store()
    assert error.id == "core.E004" and "127.0.0.1:1/0" in error.msg
    assert "s3cret-pw" not in error.msg  # the password is never shown


@pytest.mark.postgres_only
def test_the_suites_redis_sessions_pass_the_deploy_check(settings):
    assert settings.SESSION_ENGINE == "tsuen.core.sessions"
    assert _session_errors() == []


@pytest.mark.parametrize("value", ["", "DEV", "1:bm90LWEta2V5"])
def test_the_deploy_check_wants_the_audit_chains_own_key(settings, value):
    settings.AUDIT_KEYS = settings.DEV_AUDIT_KEYS if value == "DEV" else value
    with pytest.raises(SystemCheckError) as caught:
        call_command("check", "--deploy", tags=["security"])
    assert "audit.E001" in str(caught.value)
