"""Forms of the national operator's screens."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from tsuen.core.forms import BLANK_LABEL
from tsuen.core.kana import normalise_kana
from tsuen.municipalities.models import Municipality
from tsuen.municipalities.services_settings import clean_text
from tsuen.national.models import NationalRateTable
from tsuen.national.prefectures import CHOICES, CODE_OF

_PREFECTURES = [("", BLANK_LABEL), *CHOICES]


class MunicipalityFilterForm(forms.Form):
    prefecture = forms.ChoiceField(label=_("Prefecture"), required=False, choices=_PREFECTURES)
    code = forms.CharField(label=_("Municipality code"), required=False, max_length=5)
    name = forms.CharField(label=_("Name or reading"), required=False, max_length=50)


class MunicipalityForm(forms.ModelForm):
    """A municipality: its code (全国地方公共団体コード, five digits, the first two being the
    prefecture's), name, reading, prefecture and certificate number prefix."""

    prefecture = forms.ChoiceField(label=_("Prefecture"), choices=_PREFECTURES)

    class Meta:
        model = Municipality
        fields = [
            "code",
            "name",
            "name_kana",
            "prefecture",
            "certificate_prefix",
            "service_name",
            "western_years",
        ]
        help_texts = {
            "certificate_prefix": _(
                "Two to six capital letters, e.g. SJ: certificate numbers read SJ2026-00001."
            )
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name_kana"].required = True
        self.fields["certificate_prefix"].required = True
        self.fields["code"].widget.attrs.update(inputmode="numeric", autocomplete="off")

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        if not re.fullmatch(r"\d{5}", code):
            raise ValidationError(_("Enter the five-digit municipality code."), code="invalid")
        clash = Municipality.objects.filter(code=code).exclude(pk=self.instance.pk)
        if clash.exists():
            raise ValidationError(
                _("Municipality code %(code)s is already registered (%(name)s)."),
                code="unique",
                params={"code": code, "name": clash.first()},
            )
        return code

    def clean_name_kana(self):
        return normalise_kana(self.cleaned_data["name_kana"]).replace("\u3000", "")

    def clean_certificate_prefix(self):
        prefix = self.cleaned_data["certificate_prefix"].strip().upper()
        if not re.fullmatch(r"[A-Z]{2,6}", prefix):
            raise ValidationError(
                _("Enter two to six capital letters (A to Z) for the prefix."), code="invalid"
            )
        clash = Municipality.objects.filter(certificate_prefix=prefix).exclude(pk=self.instance.pk)
        if clash.exists():
            raise ValidationError(
                _("The prefix %(prefix)s is already used by %(name)s."),
                code="unique",
                params={"prefix": prefix, "name": clash.first()},
            )
        return prefix

    def clean_service_name(self):
        return clean_text("service_name", self.cleaned_data["service_name"])

    def clean(self):
        data = super().clean()
        code, prefecture = data.get("code"), data.get("prefecture")
        if code and prefecture and CODE_OF[prefecture] != code[:2]:
            self.add_error(
                "code",
                ValidationError(
                    _(
                        "A municipality code in %(prefecture)s starts with %(digits)s: check "
                        "the code or the prefecture."
                    ),
                    code="prefecture_mismatch",
                    params={"prefecture": prefecture, "digits": CODE_OF[prefecture]},
                ),
            )
        return data

    def _post_clean(self):
        # The service writes (and audits); the model's own uniqueness check would duplicate
        # the messages above.
        pass


class RateTableForm(forms.ModelForm):
    class Meta:
        model = NationalRateTable
        fields = list(NationalRateTable.AMOUNTS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.fields:
            self.fields[name].widget.attrs.update(inputmode="numeric", min="0", step="1")

    def _post_clean(self):
        pass  # the service checks the table with the rules
