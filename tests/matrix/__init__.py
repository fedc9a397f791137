"""The authorization matrix, one module per bounded context (see tests/test_authz_matrix.py).

Each module ``rows_<context>.py`` defines ``ROWS: dict[str, Row]`` (route name, optionally
``@variant``, to expectations) and may define ``extend(world)`` to add the objects its routes
need to the shared world (built in world.py).
"""
