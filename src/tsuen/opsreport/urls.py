from django.urls import path

from tsuen.opsreport import views

app_name = "opsreport"

urlpatterns = [
    path("<id:municipality_id>/", views.report, name="report"),
    path("<id:municipality_id>/report.pdf", views.report_pdf, name="pdf"),
]
