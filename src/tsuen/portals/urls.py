from django.urls import path

from tsuen.portals import views

app_name = "portals"

urlpatterns = [
    path("", views.home, name="home"),
    path("guardian/", views.guardian_home, name="guardian"),
    path("facility/", views.facility_home, name="facility"),
    path("municipality/", views.municipality_home, name="municipality"),
    path("national/", views.national_home, name="national"),
]
