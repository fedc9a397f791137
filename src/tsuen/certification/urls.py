from django.urls import path, register_converter

from tsuen.certification import views


class PostalCodeConverter:
    regex = "[0-9]{7}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(PostalCodeConverter, "postal")

app_name = "certification"

urlpatterns = [
    path("", views.application_list, name="list"),
    path("new/", views.start, name="start"),
    path("postal/<postal:code>/", views.postal_lookup, name="postal"),
    path("<int:application_id>/", views.detail, name="detail"),
    path("<int:application_id>/edit/", views.edit, name="edit"),
    path("<int:application_id>/pdf/", views.pdf, name="pdf"),
]
