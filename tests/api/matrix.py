"""The vocabulary of the API authorization matrix (tests/api/test_api_matrix.py)."""

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
