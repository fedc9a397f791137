from django.urls import path

from tsuen.national import views

app_name = "national"

urlpatterns = [
    path("municipalities/", views.municipalities, name="municipalities"),
    path("municipalities/new/", views.municipality_new, name="municipality_new"),
    path("municipalities/<id:municipality_id>/", views.municipality_edit, name="municipality_edit"),
    # Issue 9 item 8: a ward's first network ranges and first administrator.
    path(
        "municipalities/<id:municipality_id>/access/",
        views.municipality_access,
        name="municipality_access",
    ),
    path(
        "municipalities/<id:municipality_id>/access/networks/",
        views.municipality_network,
        name="municipality_network",
    ),
    path(
        "municipalities/<id:municipality_id>/access/administrator/",
        views.municipality_administrator,
        name="municipality_administrator",
    ),
    path("rates/", views.rate_tables, name="rate_tables"),
    path("rates/<int:fiscal_year>/", views.rate_table, name="rate_table"),
    path("statistics/", views.statistics, name="statistics"),
]
