from django.urls import path

from tsuen.files import views

app_name = "files"

urlpatterns = [
    path("<int:file_id>/", views.download, name="download"),
]
