from django.urls import path

from tsuen.families import views

app_name = "families"

urlpatterns = [
    path("", views.index, name="index"),
    path("children/<int:child_id>/", views.child, name="child"),
    path("children/<int:child_id>/contacts/", views.edit_contacts, name="child_edit_contacts"),
    path("children/<int:child_id>/meals/", views.edit_meals, name="child_edit_meals"),
    path("children/<int:child_id>/health/", views.edit_health, name="child_edit_health"),
    path("children/<int:child_id>/growth/", views.edit_growth, name="child_edit_growth"),
    path("children/<int:child_id>/pickup/", views.edit_pickup, name="child_edit_pickup"),
    path(
        "children/<int:child_id>/development/",
        views.edit_development,
        name="child_edit_development",
    ),
    path("contacts/<int:contact_id>/", views.contact_edit, name="contact_edit"),
    path("contacts/<int:contact_id>/delete/", views.contact_delete, name="contact_delete"),
    path("growth/<int:record_id>/delete/", views.growth_delete, name="growth_delete"),
    path("proxies/", views.proxies, name="proxies"),
    path("proxies/invite/", views.proxy_invite, name="proxy_invite"),
    path("proxies/accept/<str:token>/", views.proxy_accept, name="proxy_accept"),
    path("proxies/<int:grant_id>/revoke/", views.proxy_revoke, name="proxy_revoke"),
    path(
        "proxies/invitations/<int:invitation_id>/revoke/",
        views.proxy_invitation_revoke,
        name="proxy_invitation_revoke",
    ),
]
