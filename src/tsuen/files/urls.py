from django.urls import path

from tsuen.files import views

app_name = "files"

urlpatterns = [
    path("<id:file_id>/", views.download, name="download"),
]
