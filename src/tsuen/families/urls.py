from django.urls import path

from tsuen.families import views

app_name = "families"

urlpatterns = [
    path("", views.index, name="index"),
    path("children/<id:child_id>/", views.child, name="child"),
    path("children/<id:child_id>/contacts/", views.edit_contacts, name="child_edit_contacts"),
    path("children/<id:child_id>/meals/", views.edit_meals, name="child_edit_meals"),
    path("children/<id:child_id>/health/", views.edit_health, name="child_edit_health"),
    path("children/<id:child_id>/growth/", views.edit_growth, name="child_edit_growth"),
    path("children/<id:child_id>/pickup/", views.edit_pickup, name="child_edit_pickup"),
    path(
        "children/<id:child_id>/development/",
        views.edit_development,
        name="child_edit_development",
    ),
    path("contacts/<id:contact_id>/", views.contact_edit, name="contact_edit"),
    path("contacts/<id:contact_id>/delete/", views.contact_delete, name="contact_delete"),
    path("growth/<id:record_id>/delete/", views.growth_delete, name="growth_delete"),
    path("proxies/", views.proxies, name="proxies"),
    path("proxies/invite/", views.proxy_invite, name="proxy_invite"),
    path("proxies/accept/<str:token>/", views.proxy_accept, name="proxy_accept"),
    path("proxies/<id:grant_id>/revoke/", views.proxy_revoke, name="proxy_revoke"),
    path(
        "proxies/invitations/<id:invitation_id>/revoke/",
        views.proxy_invitation_revoke,
        name="proxy_invitation_revoke",
    ),
]
