"""Notices to people (emails), sent in the background after the change that caused them commits.

Every notice is one ``Notice`` kind with two templates in ``templates/notices/``:
``<kind>.subject.txt`` (one line) and ``<kind>.body.txt``. They are rendered in the recipient's
language (``User.language``) and queued on the ``django.tasks`` database backend; run
``manage.py db_worker`` to send them. A notice never carries sensitive (S-class) data: it says
that something happened and links to the page, where the reader logs in to see the details.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
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


@task()
def send_email(to: str, subject: str, body: str) -> None:
    from django.core.mail import EmailMessage

    EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
    ).send()


def notify(kind: Notice, user, **context) -> None:
    """Queue notice ``kind`` to ``user`` once the current transaction commits.

    ``context`` goes to the templates (plus ``user`` and ``site_url``); pass ids, display
    strings and dates (written in the recipient's style), not model instances with sensitive
    fields. The recipient's ward (``core.dates.ward_of``) names the service in the subject."""
    context = {"user": user, "site_url": settings.SITE_URL, **context}
    subject, body = render(kind, user.language, context, dates.ward_of(user))
    address = user.email
    transaction.on_commit(lambda: send_email.enqueue(address, subject, body))


def notify_facility(kind: Notice, facility, **context) -> None:
    """Queue notice ``kind`` to the facility's notice address once the current transaction
    commits; nothing when the facility has set no address (the setting is off by default).

    The email goes to a shared mailbox: it says what happened and when, never who (staff log in
    to see the child). It is written in the site's language (Japanese)."""
    address = facility.notice_email
    if not address:
        return
    context = {"facility_name": facility.name, "site_url": settings.SITE_URL, **context}
    subject, body = render(kind, settings.LANGUAGE_CODE, context)
    transaction.on_commit(lambda: send_email.enqueue(address, subject, body))
