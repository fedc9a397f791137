"""The embedded database is opened in WAL mode with immediate (write-locking) transactions."""

import pytest
from django.conf import settings
from django.db.backends.sqlite3.base import DatabaseWrapper


@pytest.mark.django_db
def test_embedded_database_uses_wal_and_immediate_transactions(tmp_path):
    config = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(tmp_path / "embedded.sqlite3"),
        "OPTIONS": dict(settings.SQLITE_OPTIONS),
        "TIME_ZONE": None,
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
        "AUTOCOMMIT": True,
        "ATOMIC_REQUESTS": False,
        "USER": "",
        "PASSWORD": "",
        "HOST": "",
        "PORT": "",
        "TEST": {},
    }
    wrapper = DatabaseWrapper(config, alias="embedded_check")
    try:
        with wrapper.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"
        assert wrapper.transaction_mode == "IMMEDIATE"
    finally:
        wrapper.close()
