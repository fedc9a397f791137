from django.urls import path

from tsuen.booking import regular_staff, views, views_guardian

app_name = "booking"

urlpatterns: list = [
    path("", views.booking_list, name="list"),
    path("new/", views.book, name="book"),
    path("<id:booking_id>/cancel/", views.cancel, name="cancel"),
    # Waitlist, regular-use requests and hours (tsuen.booking.views_guardian).
    path("waitlist/", views_guardian.waitlist_list, name="waitlist"),
    path("waitlist/join/<id:place_slot_id>/", views_guardian.waitlist_join, name="waitlist_join"),
    path("waitlist/<id:entry_id>/accept/", views_guardian.waitlist_accept, name="waitlist_accept"),
    path(
        "waitlist/<id:entry_id>/withdraw/",
        views_guardian.waitlist_withdraw,
        name="waitlist_withdraw",
    ),
    path("regular/", views_guardian.regular_list, name="regular_list"),
    path("regular/new/", views_guardian.regular_request, name="regular_request"),
    path(
        "regular/<id:request_id>/withdraw/",
        views_guardian.regular_withdraw,
        name="regular_withdraw",
    ),
    path("hours/", views_guardian.hours_page, name="hours"),
    # The facility allocates regular use (tsuen.booking.regular_staff).
    path("staff/regular/", regular_staff.staff_regular, name="staff_regular"),
    path("staff/regular/joint/", regular_staff.staff_regular_joint, name="staff_regular_joint"),
    path(
        "staff/regular/joint/allocate/",
        regular_staff.staff_regular_joint_allocate,
        name="staff_regular_joint_allocate",
    ),
    path(
        "staff/regular/joint/<id:request_id>/decline/",
        regular_staff.staff_regular_joint_decline,
        name="staff_regular_joint_decline",
    ),
    path(
        "staff/regular/<id:request_id>/",
        regular_staff.staff_regular_request,
        name="staff_regular_request",
    ),
    path(
        "staff/regular/<id:request_id>/decline/",
        regular_staff.staff_regular_decline,
        name="staff_regular_decline",
    ),
    path(
        "staff/regular/<id:request_id>/allocate/",
        regular_staff.staff_regular_allocate,
        name="staff_regular_allocate",
    ),
]
