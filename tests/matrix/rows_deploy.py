from tests.matrix.base import Row

ROWS = {
    # The proxy's health check: public, names no one's data (tests/test_health.py).
    "healthz": Row(200),
}
