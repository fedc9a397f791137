"""A second URLconf for tests/test_links.py: the same name at another path."""

from django.http import HttpResponse
from django.urls import include, path


def _page(request):
    return HttpResponse()


urlpatterns = [
    path("elsewhere/", include(([path("", _page, name="list")], "booking"))),
]
