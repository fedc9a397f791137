"""The public open-data page and files (issue 13, item 6), mounted at /open-data/."""

from django.urls import path

from tsuen.facilities import views_opendata

app_name = "opendata"

urlpatterns = [
    path("", views_opendata.index, name="index"),
    path("facilities.csv", views_opendata.facilities_csv, name="facilities_csv"),
    path("facilities.json", views_opendata.facilities_json, name="facilities_json"),
]
