from django.urls import path

from tsuen.municipalities import views_policy

app_name = "municipalities"

urlpatterns = [
    path("policy/", views_policy.index, name="policy"),
    path("policy/new/", views_policy.new, name="policy_new"),
    path("policy/<id:policy_id>/", views_policy.detail, name="policy_detail"),
]
