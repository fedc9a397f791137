"""The vocabulary of the API authorization matrix (tests/api/test_api_matrix.py)."""

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Op:
    #: path parameter -> scene attribute of the object (``other_<attr>`` for the other tenant)
    params: dict = field(default_factory=dict)
    query: dict = field(default_factory=dict)
    body: dict | None = None
    #: a list: the scene attribute whose other-tenant object must not be in ``items``
    listed: str | None = None
    #: a write that overwrites: sent with a stale If-Match (412 on the own object)
    if_match: bool = False
    #: the body as a function of (scene, other): names the own or the other tenant's objects
    body_for: Callable | None = None
    #: the status of the call on the other tenant's object when it is not 404 (the ward's
    #: fee-class write-back reports another ward's certificate as not found in a 422 report)
    other_status: int = 404
