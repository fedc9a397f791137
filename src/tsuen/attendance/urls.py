from django.urls import path

from tsuen.attendance import views, views_qr, views_staff

app_name = "attendance"

urlpatterns = [
    path("", views.visits, name="visits"),
    path("<id:booking_id>/note/", views.morning_note, name="morning_note"),
    path("<id:booking_id>/record/", views.daily_record, name="daily_record"),
    # The facility's day in the room (tsuen.attendance.views_staff).
    path("staff/day/", views_staff.day, name="staff_day"),
    path("staff/<id:booking_id>/tap/", views_staff.tap, name="staff_tap"),
    path("staff/cancel/", views_staff.cancel_day, name="staff_cancel_day"),
    path("staff/<id:booking_id>/record/", views_staff.record, name="staff_record"),
    path("staff/<id:booking_id>/times/", views_staff.times, name="staff_times"),
    # QR check-in (issue 13 item 4): the facility's tablet and the page the phone opens.
    path("staff/qr/", views_qr.tablet, name="staff_qr"),
    path("qr/<id:facility_id>/<str:code>/", views_qr.scan, name="qr_scan"),
    path("staff/day/version/", views_qr.day_version, name="staff_day_version"),
]
