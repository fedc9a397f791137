from django.urls import path

from tsuen.incident import views

app_name = "incident"

urlpatterns = [
    path("", views.index, name="index"),
    path("pull/", views.pull, name="pull"),
    path("<id:pk>/release/", views.release, name="release"),
    path("blast-radius/", views.blast, name="blast"),
    path("blast-radius/export/", views.blast_export, name="blast_export"),
]
