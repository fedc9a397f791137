"""The deletion report (消去報告書) of an executed purge run, as a PDF.

Always in Japanese with 和暦 dates (a document the ward files and may send to its privacy
council), set in IPAex Gothic by WeasyPrint like the ward's other notices (``tsuen.core.pdf``).
It names the ward, each record class with the rule applied (period and cutoff day) and the
rows deleted, the method, the start and end of the run, who asked for it (the operator) and who
approved it. Its SHA-256 is recorded in the audit chain with the run's ``purge`` event.
"""

from __future__ import annotations

import datetime as dt

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from tsuen.core.pdf import render_pdf
from tsuen.core.wareki import wareki
from tsuen.retention.purge import ORDER
from tsuen.retention.schedule import RecordClass


def _moment(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    local = timezone.localtime(value)
    return f"{wareki(local.date())} {local:%H時%M分%S秒}"


#: The rows a run deletes, as the report names them.
MODEL_NAMES = {
    "accounts.User": _("log-in accounts anonymised"),
    "account.EmailAddress": _("verified email addresses of the accounts"),
    "mfa.Authenticator": _("second factors of the accounts"),
    "axes.AccessAttempt": _("lockout counters of the accounts"),
    "axes.AccessFailureLog": _("failed sign-in records of the accounts"),
    "axes.AccessLog": _("sign-in records of the accounts"),
    "attendance.Attendance": _("attendance records"),
    "attendance.DailyRecord": _("daily records (連絡帳)"),
    "attendance.MorningNote": _("morning notes"),
    "billing.Claim": _("claims (every version of a correction chain)"),
    "billing.ClaimLine": _("claim lines (visits claimed)"),
    "billing.ClaimQuery": _("queries on claims"),
    "booking.Booking": _("bookings"),
    "booking.WaitlistEntry": _("waitlist entries"),
    "booking.RegularUseRequest": _("regular-use requests"),
    "certification.Application": _("applications"),
    "certification.ApplicationChild": _("children named in applications"),
    "certification.ApplicationStatusChange": _("application status history"),
    "certification.Certification": _("certifications"),
    "certification.CertificationStatusChange": _("certification status history"),
    "certification.CertificationChange": _("certification change feed entries"),
    "families.EmergencyContact": _("emergency contacts"),
    "families.Household": _("households"),
    "families.Guardian": _("guardians"),
    "families.Child": _("children"),
    "families.Child.care": _(
        "children: care fields erased (health, allergies, meals, development, pick-up)"
    ),
    "families.ProxyGrant": _("proxy grants"),
    "families.ProxyInvitation": _("proxy invitations"),
    "facilities.StaffInvitation": _("invitations to a facility's staff"),
    "accounts.WardInvitation": _("invitations to the ward's staff"),
    "facilities.Interview": _("first interviews"),
    "facilities.Interview.notes": _("first interviews: notes and message erased"),
    "consent.Consent": _("consents to the purpose notice"),
    "notices.CalendarFeed": _("calendar feeds"),
    "retention.LegalHold": _("released legal holds"),
    "families.GrowthRecord": _("growth records"),
    "families.HouseholdFeeClass": _("household fee classes"),
    "files.StoredFile": _("uploaded files"),
    "files.StoredFileBlob": _("contents of uploaded files"),
    "notices.ReminderSent": _("reminders sent"),
}


def _model_name(label: str) -> str:
    return str(MODEL_NAMES.get(label, label))


def rows_of(run) -> list[dict]:
    """One row per record class: its name, rule, cutoff, total and the rows per model."""
    from tsuen.retention.services import label, period_text

    rows = []
    for record_class in ORDER:
        counts = run.deleted.get(record_class.value, {})
        rule = run.rules.get(record_class.value, {})
        cutoff = dt.date.fromisoformat(rule["cutoff"]) if rule.get("cutoff") else None
        rows.append(
            {
                "name": label(RecordClass(record_class)),
                "rule": period_text(RecordClass(record_class), rule.get("period")),
                "cutoff": wareki(cutoff) if cutoff else "",
                "total": sum(counts.values()),
                "details": [(_model_name(k), n) for k, n in sorted(counts.items())],
            }
        )
    return rows


def render_report(run) -> bytes:
    ward = run.municipality
    with translation.override("ja"):
        rows = rows_of(run)
        html = render_to_string(
            "retention/report_pdf.html",
            {
                "run": run,
                "m": ward,
                "rows": rows,
                "total": sum(r["total"] for r in rows),
                "issued_on": wareki(timezone.localdate(run.finished_at)),
                "started": _moment(run.started_at),
                "finished": _moment(run.finished_at),
                "requested": _moment(run.requested_at),
                "approved": _moment(run.approved_at),
            },
        )
    return render_pdf(html)
