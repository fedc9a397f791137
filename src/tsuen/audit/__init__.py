"""The audit trail: ``from tsuen.audit import record, record_many, Action``.

The service functions are loaded lazily (PEP 562) because this package is imported while Django
is still loading apps, before models may be imported.
"""

from tsuen.audit.actions import CHANGE_ACTIONS, READ_ACTIONS, Action

_LAZY = {
    "record": "tsuen.audit.services",
    "record_many": "tsuen.audit.services",
    "verify_chain": "tsuen.audit.verify",
    "verify_all": "tsuen.audit.verify",
    "VerifyResult": "tsuen.audit.verify",
    "AuditEvent": "tsuen.audit.models",
}

__all__ = [
    "CHANGE_ACTIONS",
    "READ_ACTIONS",
    "Action",
    "AuditEvent",
    "VerifyResult",
    "record",
    "record_many",
    "verify_all",
    "verify_chain",
]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'tsuen.audit' has no attribute {name!r}")
