"""The rules tests need neither Django nor a database: run them with `-p no:django`.

Hypothesis settings are applied per test (see factories.PROPERTY) rather than as a global
profile, so other test suites keep their own.
"""
