from django.urls import path

from tsuen.exports import views

app_name = "exports"

urlpatterns = [
    path("<str:token>/", views.ready, name="ready"),
    path("<str:token>/download/", views.download, name="download"),
]
