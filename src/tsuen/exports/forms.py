from django import forms
from django.utils.translation import gettext_lazy as _

#: What ``{% export_request_id %}`` writes: URL-safe base64 of random bytes.
REQUEST_ID = r"^[A-Za-z0-9_-]{16,64}$"


class ExportRequestForm(forms.Form):
    """The part every export form shares: the form's one-time id."""

    request_id = forms.RegexField(
        REQUEST_ID,
        error_messages={
            "required": _("This form has expired: reload the page and try again."),
            "invalid": _("This form has expired: reload the page and try again."),
        },
    )
