"""The form of the ward's letterhead and branding (issue 10). It parses, with the same checks
as the service (``services_settings.clean_text``); the service decides."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from tsuen.core import clock
from tsuen.core.wareki import japanese_date
from tsuen.municipalities.models import Municipality
from tsuen.municipalities.services_settings import LETTERHEAD_FIELDS, TEXT_FIELDS, clean_text


def _style_choices():
    # The choice is how Japanese reads (English always writes "3 Dec 2026"): its examples too.
    today = clock.today()
    era, western = japanese_date(today, era=True), japanese_date(today, era=False)
    return [
        ("0", _("Japanese era years (%(example)s)") % {"example": era}),
        ("1", _("Western years (%(example)s)") % {"example": western}),
    ]


class WardSettingsForm(forms.ModelForm):
    western_years = forms.TypedChoiceField(
        label=_("Years in dates"),
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
        help_text=_("On every screen, PDF, CSV and email of the ward, in Japanese."),
    )

    class Meta:
        model = Municipality
        fields = list(LETTERHEAD_FIELDS)
        help_texts = {
            "head_title": _(
                "Printed as the sender of the notices, e.g. 新宿区長. Empty: %(head)s."
            ),
            "office_department": _("The contact section of the notices, e.g. 子ども家庭部 保育課."),
            "office_phone": _("e.g. 03-5273-0000"),
            "service_name": _(
                "At the start of every email subject, between 【 and 】. Empty: %(service)s."
            ),
        }
        widgets = {
            "office_phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"})
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        defaults = {
            "head": f"{self.instance.name}長",
            "service": f"{self.instance.name} {settings.SERVICE_NAME}",
        }
        for field in ("head_title", "service_name"):
            self.fields[field].help_text = str(self.fields[field].help_text) % defaults
        self.fields["western_years"].choices = _style_choices()
        if not self.is_bound:
            self.initial["western_years"] = "1" if self.instance.western_years else "0"
        for field in TEXT_FIELDS:
            self.fields[field].required = False

    def clean(self):
        data = super().clean()
        for name in TEXT_FIELDS:
            if name in data:
                try:
                    data[name] = clean_text(name, data[name])
                except ValidationError as error:
                    self.add_error(name, error)
        return data

    def _post_clean(self):
        pass  # the service writes (and audits); the instance stays as saved

    def summary(self) -> list[tuple[str, str]]:
        """Every error as (message, id of its field), in the order of the form, for the summary
        at the top of the page."""
        items = [(m, "ward-settings-form") for m in self.non_field_errors()]
        for name in self.fields:
            field_id = self[name].id_for_label or self[name].auto_id
            items += [(m, field_id) for m in self.errors.get(name, ())]
        return items
