from django import forms
from django.utils.translation import gettext_lazy as _

from institutions.models import Institution

from .enums import EvaluationKind, Grade


class ApplicationCreateForm(forms.Form):
    institution = forms.ModelChoiceField(
        label=_("Evaluation institution"),
        queryset=Institution.objects.none(),
        empty_label=_("— choose —"),
    )
    kind = forms.ChoiceField(
        label=_("Kind of evaluation"),
        choices=EvaluationKind.choices,
        widget=forms.RadioSelect,
        initial=EvaluationKind.GRADE,
    )
    requested_grade = forms.ChoiceField(
        label=_("Requested grade"),
        choices=[("", _("— none —")), *Grade.choices],
        required=False,
        help_text=_("Graded evaluations (enterprises) only."),
    )
    description = forms.CharField(
        label=_("Description of the organisation's capability"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        max_length=5000,
    )
    declares_independent_legal_person = forms.BooleanField(
        label=_("The organisation is an independent legal person registered in the PRC"),
        required=False,
    )
    declares_no_violations = forms.BooleanField(
        label=_("No violations of law or serious dishonesty in the last three years"),
        required=False,
    )
    previous_certificate = forms.ChoiceField(
        label=_("Certificate to re-evaluate (M§16)"),
        required=False,
        help_text=_("Only in the 3 months before the certificate expires."),
    )
    file = forms.FileField(label=_("Evidence file (PDF, image or Office document)"), required=False)

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = Institution.objects.available_to(organization)
        from certificates.enums import CertificateStatus

        numbers = organization.certificates.filter(status=CertificateStatus.VALID).values_list(
            "number", flat=True
        )
        self.fields["previous_certificate"].choices = [
            ("", _("— none: a first evaluation —")),
            *((n, n) for n in numbers),
        ]


class EvidenceForm(forms.Form):
    previous_certificate = forms.ChoiceField(
        label=_("Certificate to re-evaluate (M§16)"),
        required=False,
        help_text=_("Only in the 3 months before the certificate expires."),
    )
    file = forms.FileField(label=_("Evidence file"))
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    criterion = forms.ChoiceField(
        label=_("Evidence for criterion"),
        required=False,
        help_text=_("Optional: the rubric criterion this file supports."),
    )

    def __init__(self, *args, criteria=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["criterion"].choices = [
            ("", _("— none —")),
            *((c.code, f"{c.code} {c.display_title}") for c in criteria),
        ]


class ExpertDeclarationForm(forms.Form):
    has_conflict = forms.TypedChoiceField(
        label=_("Conflict of interest with the applicant"),
        coerce=lambda v: v == "yes",
        choices=[
            ("no", _("I declare that I have no conflict of interest with the applicant")),
            ("yes", _("I have a conflict of interest (I leave the panel)")),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("The conflict of interest, if any"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        required=False,
    )


class ExpertOpinionForm(forms.Form):
    approves = forms.TypedChoiceField(
        label=_("Your recommendation"),
        coerce=lambda v: v == "yes",
        choices=[("yes", _("Pass")), ("no", _("Do not pass"))],
        widget=forms.RadioSelect,
    )
    recommended_grade = forms.ChoiceField(
        label=_("Grade you support"),
        choices=[("", _("— none, or the one my scores give —")), *Grade.choices],
        required=False,
    )
    opinion = forms.CharField(
        label=_("Opinion"), widget=forms.Textarea(attrs={"rows": 4}), max_length=10000
    )


class ObjectionForm(forms.Form):
    name = forms.CharField(label=_("Your real name"), max_length=100)
    contact = forms.CharField(label=_("Contact (phone or e-mail)"), max_length=200)
    reason = forms.CharField(
        label=_("Reasons for the objection"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
    )


class DismissObjectionForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=5000
    )
