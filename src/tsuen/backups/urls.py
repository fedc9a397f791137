from django.urls import path

from tsuen.backups import views

app_name = "backups"

urlpatterns = [
    path("", views.status, name="status"),
]
