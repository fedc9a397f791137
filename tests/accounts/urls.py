"""The project's routes plus one page that needs a login and shows who is in."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import path

from tsuen.urls import urlpatterns as project_urlpatterns


@login_required
def probe(request):
    return HttpResponse(f"signed in as {request.user.email}")


urlpatterns = [path("probe/", probe, name="probe"), *project_urlpatterns]
