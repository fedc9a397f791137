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

from tsuen.notices.kinds import Notice


def render(kind: Notice, language: str, context: dict) -> tuple[str, str]:
    with translation.override(language):
        subject = render_to_string(f"notices/{kind}.subject.txt", context).strip()
        body = render_to_string(f"notices/{kind}.body.txt", context)
    return " ".join(subject.split()), body


@task()
def send_email(to: str, subject: str, body: str) -> None:
    from django.core.mail import EmailMessage

    EmailMessage(
        subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
    ).send()


def notify(kind: Notice, user, **context) -> None:
    """Queue notice ``kind`` to ``user`` once the current transaction commits.

    ``context`` goes to the templates (plus ``user`` and ``site_url``); pass ids and display
    strings, not model instances with sensitive fields."""
    context = {"user": user, "site_url": settings.SITE_URL, **context}
    subject, body = render(kind, user.language, context)
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
