from django.urls import path

from tsuen.monitoring import views

app_name = "monitoring"

urlpatterns = [
    path("", views.anomalies, name="anomalies"),
    path("<id:anomaly_id>/", views.anomaly, name="anomaly"),
]
