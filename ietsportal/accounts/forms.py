from django import forms
from django.utils.translation import gettext_lazy as _

from .enums import OrganizationType


class RegistrationForm(forms.Form):
    name = forms.CharField(label=_("Registered name of the organisation"), max_length=200)
    uscc = forms.CharField(
        label=_("Unified social credit code"),
        max_length=18,
        min_length=18,
        help_text=_("18 characters, as on the business licence."),
    )
    org_type = forms.ChoiceField(label=_("Type of organisation"), choices=OrganizationType.choices)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    display_name = forms.CharField(label=_("Your name"), max_length=100)
    email = forms.EmailField(label=_("E-mail"))
    username = forms.CharField(label=_("User name"), max_length=150)
    password = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput,
        strip=False,
        help_text=_("At least 8 characters, not only digits, not a common password."),
    )
    password_again = forms.CharField(
        label=_("Password again"), widget=forms.PasswordInput, strip=False
    )

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", _("The two passwords differ."))
        return data
