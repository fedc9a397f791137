from django.urls import path

from tsuen.municipalities import views_policy, views_settings, views_staff

app_name = "municipalities"

urlpatterns = [
    path("policy/", views_policy.index, name="policy"),
    path("policy/new/", views_policy.new, name="policy_new"),
    path("policy/<id:policy_id>/", views_policy.detail, name="policy_detail"),
    # Issue 9 item 8: the ward's staff accounts and network ranges.
    path("staff/", views_staff.staff_list, name="staff"),
    path("staff/invite/", views_staff.invite, name="staff_invite"),
    path("staff/<id:user_id>/", views_staff.member, name="staff_member"),
    path("staff/<id:user_id>/role/", views_staff.change_role, name="staff_role"),
    path("staff/<id:user_id>/active/", views_staff.set_active, name="staff_active"),
    path(
        "staff/invitations/<id:invitation_id>/withdraw/",
        views_staff.withdraw_invitation,
        name="staff_invitation_withdraw",
    ),
    path(
        "staff/invitations/<str:token>/",
        views_staff.invite_accept,
        name="staff_invite_accept",
    ),
    path("networks/", views_staff.network_list, name="networks"),
    path("networks/<id:network_id>/remove/", views_staff.network_remove, name="network_remove"),
    # Issue 10: the ward's letterhead and branding.
    path("settings/", views_settings.edit, name="settings"),
]
