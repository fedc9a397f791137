"""The incident screen's forms: pull a switch, release one, ask the blast-radius question."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tsuen.accounts.models import Role
from tsuen.core import tenancy
from tsuen.core.forms import BLANK_LABEL
from tsuen.incident import services
from tsuen.incident.models import Kind
from tsuen.municipalities.models import Municipality

EVERY_WARD = "all"


def ward_choices(user) -> list[tuple[str, str]]:
    if user.role == Role.NATIONAL_OPERATOR:
        with tenancy.cross_tenant("the wards the national operator may switch"):
            wards = [(str(m.pk), m.name) for m in Municipality.objects.order_by("code", "pk")]
        return [(EVERY_WARD, _("Every ward")), *wards]
    with tenancy.cross_tenant("the administrator's own ward"):
        own = Municipality.objects.filter(pk=user.municipality_id).first()
    return [(str(own.pk), own.name)] if own else []


class PullForm(forms.Form):
    kind = forms.ChoiceField(choices=Kind.choices, widget=forms.HiddenInput)
    # Checked by the service, not by the choices: a ward out of reach answers 404.
    ward = forms.RegexField(r"^(all|\d{1,18})$", label=_("Ward"), widget=forms.Select)
    role = forms.ChoiceField(label=_("Role to turn off"), required=False)
    email = forms.EmailField(
        label=_("One account only (email; empty: every account in scope)"), required=False
    )
    reason = forms.CharField(
        label=_("Why (kept in the record and the audit trail)"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    confirm = forms.CharField(required=False, widget=forms.HiddenInput, max_length=64)

    def __init__(self, user, *args, kind: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["ward"].widget.choices = ward_choices(user)
        self.fields["role"].choices = [("", BLANK_LABEL), *services.roles_for(user)]
        if kind:
            self.fields["kind"].initial = kind
            self.auto_id = f"id_{kind}_%s"

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == Kind.DISABLE_ROLE and not data.get("role"):
            self.add_error("role", _("Choose the role to turn off."))
        if kind != Kind.DISABLE_ROLE:
            data["role"] = ""
        if kind != Kind.REVOKE_SESSIONS:
            data["email"] = ""
        return data

    def request(self) -> services.Request:
        """The switch asked for (404 for a ward out of reach; a refusal for an unknown
        account)."""
        data = self.cleaned_data
        ward_id = None if data["ward"] == EVERY_WARD else int(data["ward"])
        ward = services.ward_for(self.user, ward_id)
        account = services.find_account(self.user, ward, data["email"]) if data["email"] else None
        return services.Request(
            kind=data["kind"],
            ward=ward,
            role=data["role"],
            account=account,
            reason=data["reason"],
        )


class ReleaseForm(forms.Form):
    reason = forms.CharField(label=_("Why it is released"), max_length=500)


class BlastForm(forms.Form):
    account = forms.CharField(label=_("Account (email or account id)"), max_length=254)
    date_from = forms.DateField(
        label=_("From (date, JST)"), widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To (date, JST, inclusive)"), widget=forms.DateInput(attrs={"type": "date"})
    )
