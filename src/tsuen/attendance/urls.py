from django.urls import path

from tsuen.attendance import views

app_name = "attendance"

urlpatterns = [
    path("", views.visits, name="visits"),
    path("<int:booking_id>/note/", views.morning_note, name="morning_note"),
    path("<int:booking_id>/record/", views.daily_record, name="daily_record"),
]
