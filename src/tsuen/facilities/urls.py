from django.urls import path

from tsuen.facilities import views, views_opendata, views_staff, views_ward

app_name = "facilities"

urlpatterns = [
    path("", views.search, name="search"),
    path("municipalities/", views.municipalities, name="search_municipalities"),
    path("interviews/", views.interviews, name="interviews"),
    path("interviews/<id:interview_id>/cancel/", views.interview_cancel, name="interview_cancel"),
    path("<id:facility_id>/", views.detail, name="detail"),
    path("<id:facility_id>/interview/", views.interview_request, name="interview_request"),
    # The facility's own screens (staff and managers of the facility).
    path("staff/profile/", views_staff.profile, name="staff_profile"),
    path("staff/team/", views_staff.team, name="staff_team"),
    path("staff/invitations/new/", views_staff.invite, name="staff_invite"),
    path("staff/invitations/<str:token>/", views_staff.invite_accept, name="staff_invite_accept"),
    path("staff/places/", views_staff.places, name="staff_places"),
    path("staff/places/generate/", views_staff.generate, name="staff_generate"),
    path("staff/places/<str:date>/", views_staff.day_places, name="staff_day_places"),
    path("staff/closures/", views_staff.closures, name="staff_closures"),
    path("staff/interviews/", views_staff.interviews, name="staff_interviews"),
    path(
        "staff/interviews/<id:interview_id>/",
        views_staff.interview_decide,
        name="staff_interview_decide",
    ),
    # The ward's facility register (issue 5, item 5): the municipality's staff.
    path("ward/", views_ward.register, name="ward_register"),
    path("ward/new/", views_ward.new, name="ward_new"),
    # Importing the register from an open-data file (issue 13, item 6).
    path("ward/import/", views_opendata.ward_import, name="ward_import"),
    path("ward/import/confirm/", views_opendata.ward_import_confirm, name="ward_import_confirm"),
    path("ward/<id:facility_id>/", views_ward.facility, name="ward_facility"),
    path("ward/<id:facility_id>/edit/", views_ward.edit, name="ward_edit"),
    path("ward/<id:facility_id>/invite/", views_ward.invite, name="ward_invite"),
    path("ward/<id:facility_id>/suspension/", views_ward.suspension, name="ward_suspension"),
]
