"""The webhook screens: a facility's (``/facilities/staff/webhooks/``, its manager) and the
ward's own (``/municipality/webhooks/``, its administrator). One set of views; each route set
answers only its kind of user (404 otherwise)."""

from django.urls import path

from tsuen.webhooks import views

app_name = "webhooks"


def _routes(prefix: str, kind: str) -> list:
    k = {"kind": kind}
    return [
        path(f"{prefix}", views.index, k, name=f"{kind}_index"),
        path(f"{prefix}<id:pk>/", views.endpoint, k, name=f"{kind}_endpoint"),
        path(f"{prefix}<id:pk>/enabled", views.toggle, k, name=f"{kind}_toggle"),
        path(f"{prefix}<id:pk>/rotate", views.rotate, k, name=f"{kind}_rotate"),
        path(f"{prefix}<id:pk>/delete", views.delete, k, name=f"{kind}_delete"),
        path(f"{prefix}<id:pk>/replay/<id:delivery>", views.replay, k, name=f"{kind}_replay"),
    ]


urlpatterns = _routes("facilities/staff/webhooks/", "facility") + _routes(
    "municipality/webhooks/", "ward"
)
