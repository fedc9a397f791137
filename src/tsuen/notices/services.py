"""Notices to people (emails), sent in the background after the change that caused them commits.

Every notice is one ``Notice`` kind with two templates in ``templates/notices/``:
``<kind>.subject.txt`` (one line) and ``<kind>.body.txt``. They are rendered in the recipient's
language (``User.language``) and queued on the ``django.tasks`` database backend; run
``manage.py db_worker`` to send them. A notice never carries sensitive (S-class) data: it says
that something happened and links to the page, where the reader logs in to see the details.

The worker renders the email when it sends it, from the values kept with the task (dates as
dates, not text): a ward that switches to western years, or renames its service, between the
queuing and the sending is written in its new style (:func:`stored`), and the request that
queued it renders nothing (a booking at the 09:00 rush spends no time on its email). Only when
the context holds a value that cannot be kept (a lazy string, a model instance) is the notice
rendered at queue time, and that text is sent.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.tasks import task
from django.template.loader import render_to_string
from django.utils import translation

from tsuen.core import dates
from tsuen.notices.kinds import Notice


def render(kind: Notice, language: str, context: dict, ward=None) -> tuple[str, str]:
    """Subject and body in ``language``, dates in ``ward``'s style (``core.dates``): date and
    datetime values in ``context`` become text (令和8年12月3日, 3 Dec 2026); the subject starts
    with the service's name as the ward brands it."""
    with translation.override(language), dates.ward_style(ward):
        context = dates.texts(context)
        subject = render_to_string(f"notices/{kind}.subject.txt", context).strip()
        body = render_to_string(f"notices/{kind}.body.txt", context)
    service = ward.service_label if ward is not None else settings.SERVICE_NAME
    return f"【{service}】" + " ".join(subject.split()), body


class _NotKept(Exception):
    pass


def _pack(value):
    """``value`` as JSON, its dates, moments and months tagged so that they come back as such."""
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    if isinstance(value, dt.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, dates.Month):
        return {"$month": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, list | tuple):
        return [_pack(v) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"$dict": {k: _pack(v) for k, v in value.items()}}
    raise _NotKept(type(value).__name__)


def _unpack(value):
    if isinstance(value, list):
        return [_unpack(v) for v in value]
    if not isinstance(value, dict):
        return value
    [(tag, inner)] = value.items()
    if tag == "$dict":
        return {k: _unpack(v) for k, v in inner.items()}
    if tag == "$datetime":
        return dt.datetime.fromisoformat(inner)
    day = dt.date.fromisoformat(inner)
    return dates.Month(day.year, day.month, day.day) if tag == "$month" else day


def stored(kind: Notice, language: str, context: dict, recipient_id: int | None) -> dict | None:
    """What the worker needs to render the email when it sends it (JSON), or None when the
    context holds a value that cannot be kept (then the text rendered at queue time is sent).
    ``recipient_id``: the account whose ward styles the email (None: the site's style)."""
    try:
        packed = {k: _pack(v) for k, v in context.items() if k != "user"}
    except _NotKept:
        return None
    return {
        "kind": str(kind),
        "language": language,
        "recipient": recipient_id,
        "context": packed,
    }


def render_stored(notice: dict) -> tuple[str, str]:
    """Subject and body of a stored notice, in its recipient's ward's style and service name
    as they are now (the ward looked up now: the request that queued the notice did not)."""
    from tsuen.accounts.models import User
    from tsuen.municipalities.models import Municipality

    if notice.get("recipient"):
        ward = dates.ward_of(User.objects.filter(pk=notice["recipient"]).first())
    elif notice.get("ward"):  # queued before the recipient was kept instead of the ward
        ward = Municipality.objects.filter(pk=notice["ward"]).first()
    else:
        ward = None
    context = {k: _unpack(v) for k, v in notice["context"].items()}
    return render(Notice(notice["kind"]), notice["language"], context, ward)


@task()
def send_email(to: str, subject: str, body: str, notice: dict | None = None) -> None:
    """Send one email: rendered from ``notice`` (see :func:`stored`) when given, else
    ``subject`` and ``body`` as queued."""
    from django.core.mail import EmailMessage

    if notice is not None:
        subject, body = render_stored(notice)
    EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
    ).send()


def notify(kind: Notice, user, **context) -> None:
    """Queue notice ``kind`` to ``user`` with the current transaction (:func:`_queue`).

    ``context`` goes to the templates (plus ``user`` and ``site_url``); pass ids, display
    strings and dates (written in the recipient's style), not model instances with sensitive
    fields. The recipient's ward (``core.dates.ward_of``) names the service in the subject."""
    context = {"user": user, "site_url": settings.SITE_URL, **context}
    _queue(user.email, kind, user.language, context, user)


def notify_facility(kind: Notice, facility, **context) -> None:
    """Queue notice ``kind`` to the facility's notice address with the current transaction;
    nothing when the facility has set no address (the setting is off by default).

    The email goes to a shared mailbox: it says what happened and when, never who (staff log in
    to see the child). It is written in the site's language (Japanese)."""
    address = facility.notice_email
    if not address:
        return
    context = {"facility_name": facility.name, "site_url": settings.SITE_URL, **context}
    _queue(address, kind, settings.LANGUAGE_CODE, context, None)


def _queue(address: str, kind: Notice, language: str, context: dict, recipient) -> None:
    """Queue the email with the current transaction: the worker renders it from the kept
    context, or (a context that cannot be kept) it is rendered now and sent as it is.
    ``recipient``: the account whose ward styles the email (None, or someone without an
    account yet: the site's style).

    The task queue is a table of the same database (``django_tasks_db``): the task's row is
    written inside the transaction of the change it tells of, so it exists exactly when the
    change does (a rolled-back booking leaves no email) and costs no commit of its own (the
    09:00 rush: one COMMIT a booking, not two). This relies on ``settings.TASKS``."""
    account = recipient.pk if getattr(recipient, "is_authenticated", False) else None
    again = stored(kind, language, context, account)
    if again is not None:
        subject, body = "", ""
    else:
        subject, body = render(kind, language, context, dates.ward_of(recipient))
    send_email.enqueue(address, subject, body, notice=again)
