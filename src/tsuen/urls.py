from django.urls import include, path, register_converter

from tsuen.core import health
from tsuen.core.converters import RowIdConverter

register_converter(RowIdConverter, "id")  # before the apps' URLs below use it

urlpatterns = [
    # The monitor's health check, and the load balancer's (docs/deploy.md, Health check).
    path("healthz", health.healthz, name="healthz"),
    path("healthz/app", health.healthz_app, name="healthz_app"),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("files/", include("tsuen.files.urls")),
    path("profile/", include("tsuen.families.urls")),
    path("consent/", include("tsuen.consent.urls")),  # purpose notice and disclosure (issue 12)
    path("applications/", include("tsuen.certification.urls")),
    path("", include("tsuen.api.urls")),  # /api/v1/ and the API clients screens (issue 13)
    path("facilities/", include("tsuen.facilities.urls")),
    path("open-data/", include("tsuen.facilities.urls_opendata")),  # issue 13 item 6
    path("bookings/", include("tsuen.booking.urls")),
    path("visits/", include("tsuen.attendance.urls")),
    path("calendar/", include("tsuen.notices.urls")),
    path("billing/", include("tsuen.billing.urls")),
    path("audit/", include("tsuen.audit.urls")),
    path("exports/", include("tsuen.exports.urls")),
    path("incident/", include("tsuen.incident.urls")),
    path("municipality/retention/", include("tsuen.retention.urls")),
    path("municipality/exchange/", include("tsuen.exchange.urls")),  # issue 13 item 7
    path("municipality/", include("tsuen.municipalities.urls")),
    path("municipality/dashboard/", include("tsuen.reports.urls")),
    path("operations/backups/", include("tsuen.backups.urls")),  # issue 12 item 7
    path("operations/report/", include("tsuen.opsreport.urls")),  # issue 12 item 5
    path("municipality/anomalies/", include("tsuen.monitoring.urls")),  # issue 12 item 4
    path("", include("tsuen.webhooks.urls")),  # facility and ward webhook screens (issue 13)
    path("national/", include("tsuen.national.urls")),  # its home stays portals:national
    path("", include("tsuen.portals.urls")),
]

# allauth answers its own rate limits (ACCOUNT_RATE_LIMITS) through this: tsuen's 429 page.
handler429 = "tsuen.core.ratelimit.allauth_too_many_requests"
