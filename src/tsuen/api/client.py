"""What a client may ask about itself: who it is, whom it acts for, which scopes it holds."""

from ninja import Router, Schema

from tsuen.api.security import operation

router = Router(tags=["client"])


class Me(Schema):
    id: int
    name: str
    owner: str  # "ward" or "facility"
    municipality_id: int | None
    facility_id: int | None
    scopes: list[str]


@operation(
    router,
    "get",
    "",
    scope=None,
    response=Me,
    url_name="client_me",
    summary="The calling client: its name, owner and scopes",
)
def client_me(request):
    c = request.auth
    return {
        "id": c.pk,
        "name": c.name,
        "owner": c.owner_kind,
        "municipality_id": c.municipality_id,
        "facility_id": c.facility_id,
        "scopes": list(c.scopes),
    }
