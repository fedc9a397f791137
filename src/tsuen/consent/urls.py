from django.urls import path

from tsuen.consent import views

app_name = "consent"

urlpatterns = [
    path("", views.index, name="index"),
    path("households/<id:household_id>/", views.notice, name="notice"),
    path("households/<id:household_id>/withdraw/", views.withdraw, name="withdraw"),
    path(
        "households/<id:household_id>/disclosure.json",
        views.disclosure_json,
        name="disclosure_json",
    ),
    path(
        "households/<id:household_id>/disclosure.pdf",
        views.disclosure_pdf,
        name="disclosure_pdf",
    ),
]
