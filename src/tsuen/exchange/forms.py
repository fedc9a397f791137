from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tsuen.exchange import layout

ENCODING_CHOICES = [
    (layout.UTF8, _("UTF-8 with BOM (recommended)")),
    (layout.CP932, _("Shift_JIS (for systems that read only Shift_JIS)")),
]


class ExportForm(forms.Form):
    encoding = forms.ChoiceField(
        label=_("Character encoding"),
        choices=ENCODING_CHOICES,
        widget=forms.RadioSelect,
        initial=layout.UTF8,
        error_messages={
            "invalid_choice": _("Choose UTF-8 or Shift_JIS."),
            "required": _("Choose UTF-8 or Shift_JIS."),
        },
    )


#: On import a BOM is optional: the encodings by name.
READ_CHOICES = [
    ("", _("Find out from the file")),
    (layout.UTF8, "UTF-8"),
    (layout.CP932, "Shift_JIS"),
]


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Exchange file (CSV)"),
        error_messages={"required": _("Choose the file to import.")},
    )
    encoding = forms.ChoiceField(
        label=_("Character encoding"),
        choices=READ_CHOICES,
        widget=forms.RadioSelect,
        required=False,
        initial="",
        error_messages={"invalid_choice": _("Choose UTF-8 or Shift_JIS.")},
    )


class ReadAsForm(forms.Form):
    encoding = forms.ChoiceField(
        choices=READ_CHOICES,
        required=False,
        error_messages={"invalid_choice": _("Choose UTF-8 or Shift_JIS.")},
    )
