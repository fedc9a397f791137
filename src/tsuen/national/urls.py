from django.urls import path

from tsuen.national import views

app_name = "national"

urlpatterns = [
    path("municipalities/", views.municipalities, name="municipalities"),
    path("municipalities/new/", views.municipality_new, name="municipality_new"),
    path("municipalities/<id:municipality_id>/", views.municipality_edit, name="municipality_edit"),
    path("rates/", views.rate_tables, name="rate_tables"),
    path("rates/<int:fiscal_year>/", views.rate_table, name="rate_table"),
    path("statistics/", views.statistics, name="statistics"),
]
