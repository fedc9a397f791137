from django.urls import path

from tsuen.consent import views, views_desk

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
    # The ward's desk: disclosure requests made on paper (docs/consent.md, "At the ward desk").
    path("desk/", views_desk.index, name="desk"),
    path("desk/households/", views_desk.households, name="desk_households"),
    path("desk/households/<id:household_id>/new/", views_desk.new_request, name="desk_new_request"),
    path("desk/requests/<id:request_id>/", views_desk.request_detail, name="desk_request"),
    path("desk/requests/<id:request_id>/produce/", views_desk.produce, name="desk_produce"),
]
