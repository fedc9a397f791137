from django import forms
from django.utils.translation import gettext_lazy as _

from tsuen.api import scopes
from tsuen.api.services import NAME_MAX_LENGTH


class ClientForm(forms.Form):
    name = forms.CharField(
        label=_("Name of the system"),
        max_length=NAME_MAX_LENGTH,
        help_text=_("For example the product name of the facility's childcare system."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("What the system may do"), widget=forms.CheckboxSelectMultiple, choices=()
    )

    def __init__(self, *args, owner: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scopes"].choices = [
            (s.name, f"{s.label} ({s.name})") for s in scopes.for_owner(owner)
        ]
