from django.urls import path

from tsuen.exchange import views

app_name = "exchange"

urlpatterns = [
    path("", views.home, name="home"),
    path("export/", views.export, name="export"),
    path("import/", views.upload, name="upload"),
    path("import/<str:token>/", views.preview, name="preview"),
    path("import/<str:token>/commit/", views.commit, name="commit"),
    path("import/<str:token>/discard/", views.discard, name="discard"),
]
