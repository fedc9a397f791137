from tests.matrix.base import Row

ROWS = {
    # The monitor's health check: public, names no one's data (tests/test_health.py).
    "healthz": Row(200),
    # The load balancer's: database and cache only.
    "healthz_app": Row(200),
}
