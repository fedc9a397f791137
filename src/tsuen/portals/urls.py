from django.urls import path

from tsuen.portals import views

app_name = "portals"

urlpatterns = [
    path("", views.home, name="home"),
]
