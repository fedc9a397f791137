from django.urls import path

from tsuen.retention import views

app_name = "retention"

urlpatterns = [
    path("", views.index, name="index"),
    path("schedule/", views.schedule, name="schedule"),
    path("holds/", views.hold_set, name="hold_set"),
    path("holds/<id:hold_id>/release/", views.hold_release, name="hold_release"),
    path("runs/", views.run_request, name="run_request"),
    path("runs/<id:run_id>/approve/", views.run_approve, name="run_approve"),
    path("runs/<id:run_id>/execute/", views.run_execute, name="run_execute"),
    path("runs/<id:run_id>/cancel/", views.run_cancel, name="run_cancel"),
    path("runs/<id:run_id>/report.pdf", views.report_download, name="report"),
]
