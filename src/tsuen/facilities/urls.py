from django.urls import path

from tsuen.facilities import views

app_name = "facilities"

urlpatterns = [
    path("", views.search, name="search"),
    path("interviews/", views.interviews, name="interviews"),
    path("interviews/<int:interview_id>/cancel/", views.interview_cancel, name="interview_cancel"),
    path("<int:facility_id>/", views.detail, name="detail"),
    path("<int:facility_id>/interview/", views.interview_request, name="interview_request"),
]
