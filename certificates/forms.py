from django import forms
from django.utils.translation import gettext_lazy as _

from .enums import DecisionKind, DecisionReason, RequestKind


class DecisionForm(forms.Form):
    # Withdrawing a revocation is the outcome of an upheld reconsideration, not a choice here.
    kind = forms.ChoiceField(
        label=_("Decision"),
        choices=[c for c in DecisionKind.choices if c[0] != DecisionKind.RESTORE],
    )
    grounds = forms.ChoiceField(
        label=_("Grounds (M§19)"),
        choices=[c for c in DecisionReason.choices if c[0] != DecisionReason.RECONSIDERED],
    )
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


class ReconsiderationForm(forms.Form):
    grounds = forms.CharField(
        label=_("Grounds of your request"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ForwardForm(forms.Form):
    note = forms.CharField(
        label=_("Institution's note to the center"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReconsiderationDecideForm(forms.Form):
    upheld = forms.TypedChoiceField(
        label=_("Decision"),
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        choices=[("yes", _("Uphold: withdraw the decision")), ("no", _("Dismiss"))],
    )
    reply = forms.CharField(
        label=_("Reply"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
