import secrets

from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def export_request_id() -> str:
    """A hidden one-time id for an export form: sending the same form again (a reload) finds
    the export it already made instead of showing a second password."""
    return format_html(
        '<input type="hidden" name="request_id" value="{}">', secrets.token_urlsafe(18)
    )
