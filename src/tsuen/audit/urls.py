from django.urls import path

from tsuen.audit import views

app_name = "audit"

urlpatterns = [
    path("", views.log, name="log"),
    path("export/", views.export, name="export"),
]
