from django.urls import path

from tsuen.notices import views

app_name = "notices"

urlpatterns = [
    path("", views.calendar_settings, name="calendar_settings"),
    path("<str:token>.ics", views.ical, name="ical"),
]
