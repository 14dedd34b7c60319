from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .enums import CaseKind, SubjectKind

PUBLIC_SUBJECTS = [
    (SubjectKind.CERTIFICATE, _("A certificate (give its number)")),
    (SubjectKind.INSTITUTION, _("An evaluation institution (give its name)")),
    (SubjectKind.ASSESSOR, _("An assessor (give the registration number)")),
]


class CaseForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of case"), choices=CaseKind.choices)
    subject_kind = forms.ChoiceField(label=_("It concerns"), choices=SubjectKind.choices)
    reference = forms.CharField(
        label=_("Number, name or registration number"),
        max_length=64,
        help_text=_(
            "The application or certificate number, the institution's name, or the assessor's "
            "registration number."
        ),
    )
    summary = forms.CharField(label=_("Summary"), max_length=200)
    details = forms.CharField(label=_("Details"), widget=forms.Textarea, max_length=5000)
    evidence = forms.FileField(label=_("Evidence (optional)"), required=False)


class ReportForm(forms.Form):
    """M§23: a public report (举报); name and contact are optional."""

    subject_kind = forms.ChoiceField(label=_("It concerns"), choices=PUBLIC_SUBJECTS)
    reference = forms.CharField(label=_("Number, name or registration number"), max_length=64)
    summary = forms.CharField(label=_("Summary"), max_length=200)
    details = forms.CharField(label=_("What happened"), widget=forms.Textarea, max_length=5000)
    filer_name = forms.CharField(label=_("Your name (optional)"), max_length=100, required=False)
    filer_contact = forms.CharField(
        label=_("How to reach you (optional)"),
        max_length=200,
        required=False,
        help_text=_("Only the evaluation center sees it."),
    )
    evidence = forms.FileField(label=_("Evidence (optional)"), required=False)


class ReceiptForm(forms.Form):
    code = forms.CharField(
        label=_("Receipt code"),
        max_length=40,
        help_text=_("The code shown when you filed the report, e.g. ABCD-EFGH-JKLM-NPQR-STUV."),
    )


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Message"), widget=forms.Textarea, max_length=5000)
    internal = forms.BooleanField(
        label=_("Internal note (never shown to the filer)"), required=False
    )


class EvidenceForm(forms.Form):
    file = forms.FileField(label=_("File"))


class StartForm(forms.Form):
    owner = forms.TypedChoiceField(label=_("Owner"), coerce=int, required=False, choices=[])

    def __init__(self, *args, owners=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [("", _("Me"))] + [(u.pk, str(u)) for u in owners]


class DecideForm(forms.Form):
    upheld = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[
            ("true", pgettext_lazy("case decision", "Upheld")),
            ("false", pgettext_lazy("case decision", "Dismissed")),
        ],
        coerce=lambda v: v == "true",
        widget=forms.RadioSelect,
    )
    reply = forms.CharField(
        label=_("Written reply to the filer"), widget=forms.Textarea, max_length=10000
    )
    actions = forms.MultipleChoiceField(
        label=_("Actions (only when upheld)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[],
    )

    def __init__(self, *args, actions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["actions"].choices = [(a.name, a.label) for a in actions]


class RecordAuditForm(forms.Form):
    institution = forms.ModelChoiceField(
        label=_("Evaluation institution"), queryset=None, empty_label=None
    )
    period_start = forms.DateField(
        label=_("Period from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    period_end = forms.DateField(
        label=_("Period to"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs):
        from institutions.models import Institution

        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = Institution.objects.order_by("name")


class FindingForm(forms.Form):
    application = forms.TypedChoiceField(
        label=_("Application (optional)"), required=False, coerce=int, choices=[]
    )
    text = forms.CharField(label=_("Finding"), widget=forms.Textarea, max_length=5000)

    def __init__(self, *args, applications=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["application"].choices = [("", "—")] + [(a.pk, a.number) for a in applications]


class ConclusionForm(forms.Form):
    conclusion = forms.CharField(label=_("Conclusion"), widget=forms.Textarea, max_length=5000)
