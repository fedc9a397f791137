"""The API (``/api/v1/``, its OpenAPI document and docs page) and the screens where a ward's
administrator or a facility's manager keeps the API clients (issue 13)."""

from django.urls import include, path

from tsuen.api import views, views_docs
from tsuen.api.api import api

app_name = "api"


def screens(kind: str) -> tuple[list, str]:
    """The same four screens for a ward's clients and for a facility's."""
    owner = {"kind": kind}
    return [
        path("", views.client_list, owner, name="clients"),
        path("new/", views.client_new, owner, name="client_new"),
        path("<id:client_id>/rotate/", views.client_rotate, owner, name="client_rotate"),
        path("<id:client_id>/revoke/", views.client_revoke, owner, name="client_revoke"),
    ], kind


urlpatterns = [
    path("api/v1/docs", views_docs.docs, name="docs"),
    path("api/v1/", api.urls),
    path("municipality/api-clients/", include(screens("ward"))),
    path("facilities/staff/api-clients/", include(screens("facility"))),
]
