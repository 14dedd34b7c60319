from django import forms
from django.utils.translation import gettext_lazy as _

from .enums import DecisionKind, DecisionReason, RequestKind


class DecisionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Decision"), choices=DecisionKind.choices)
    grounds = forms.ChoiceField(label=_("Grounds (M§19)"), choices=DecisionReason.choices)
    explanation = forms.CharField(
        label=_("Explanation"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    evidence = forms.FileField(label=_("Evidence (optional)"), required=False)


class AnnualReviewSubmitForm(forms.Form):
    materials = forms.CharField(
        label=_("Annual materials"), max_length=10000, widget=forms.Textarea(attrs={"rows": 4})
    )


class DecideForm(forms.Form):
    approve = forms.TypedChoiceField(
        label=_("Decision"),
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        choices=[("yes", _("Approve")), ("no", _("Reject"))],
    )
    note = forms.CharField(
        label=_("Reason"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )


class CertificateRequestForm(forms.Form):
    kind = forms.ChoiceField(label=_("Request"), choices=RequestKind.choices)
    changed_on = forms.DateField(
        label=_("Date of the change"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    new_name = forms.CharField(
        label=_("New registered name (if it changed)"), max_length=200, required=False
    )
    details = forms.CharField(
        label=_("Details"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
