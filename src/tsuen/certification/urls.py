from django.urls import path, register_converter

from tsuen.certification import views, views_lifecycle, views_staff


class PostalCodeConverter:
    regex = "[0-9]{7}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(PostalCodeConverter, "postal")

app_name = "certification"

urlpatterns = [
    path("", views.application_list, name="list"),
    path("new/", views.start, name="start"),
    path("postal/<postal:code>/", views.postal_lookup, name="postal"),
    path("<id:application_id>/", views.detail, name="detail"),
    path("<id:application_id>/edit/", views.edit, name="edit"),
    path("<id:application_id>/pdf/", views.pdf, name="pdf"),
    # The ward's review desk.
    path("staff/", views_staff.queue, name="staff_queue"),
    path("staff/<id:application_id>/", views_staff.application, name="staff_application"),
    path(
        "staff/<id:application_id>/correction/",
        views_staff.request_correction,
        name="staff_request_correction",
    ),
    path("staff/<id:application_id>/reject/", views_staff.reject, name="staff_reject"),
    path("staff/<id:application_id>/certify/", views_staff.certify, name="staff_certify"),
    path("staff/children/", views_lifecycle.children, name="staff_children"),
    path(
        "staff/children/<id:child_id>/fee-class/",
        views_lifecycle.fee_class,
        name="staff_fee_class",
    ),
    path("staff/children/<id:child_id>/end/", views_lifecycle.end, name="staff_end"),
    path(
        "staff/certifications/<id:certification_id>/notice/",
        views_staff.notice,
        name="staff_notice",
    ),
    path(
        "staff/<id:application_id>/rejection-notice/",
        views_staff.rejection_notice,
        name="staff_rejection_notice",
    ),
    # The family's own notices.
    path(
        "<id:application_id>/rejection.pdf",
        views.rejection_pdf,
        name="rejection_pdf",
    ),
    path(
        "certifications/<id:certification_id>/notice.pdf",
        views.notice_pdf,
        name="notice_pdf",
    ),
]
