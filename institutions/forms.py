from django import forms
from django.utils.translation import gettext_lazy as _

from ietsportal.accounts.models import Organization
from ietsportal.accounts.regions import REGION_CHOICES

from .enums import ContractType, DesignationDocumentKind, InstitutionLevel, SupervisionGround

YES_NO = [("yes", _("Yes")), ("no", _("No"))]


def _yes(value) -> bool:
    return value == "yes"


class DesignationForm(forms.Form):
    """R§7: what an organisation files to become an evaluation institution."""

    name = forms.CharField(label=_("Name of the institution"), max_length=200)
    level = forms.ChoiceField(
        label=_("Level"), choices=InstitutionLevel.choices, widget=forms.RadioSelect
    )
    region = forms.ChoiceField(
        label=_("Region served"),
        choices=[("", _("— national: none —")), *REGION_CHOICES],
        required=False,
        help_text=_("Local institutions only (M§10)."),
    )
    established_on = forms.DateField(
        label=_("Established on"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("More than one year ago (R§7(1))."),
    )
    personnel = forms.CharField(
        label=_("Personnel"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        help_text=_("Assessors you plan to nominate, their contracts and qualifications."),
    )
    technical_means = forms.CharField(
        label=_("Technical means"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000
    )
    infrastructure = forms.CharField(
        label=_("Infrastructure"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000
    )
    declares_good_credit = forms.BooleanField(
        label=_("The organisation has a good credit record (R§7(1))"), required=False
    )
    declares_independence = forms.BooleanField(
        label=_(
            "The organisation runs no business that could compromise the independence and "
            "impartiality of evaluation (R§7(3))"
        ),
        required=False,
    )


class PanelForm(forms.Form):
    notes = forms.CharField(
        label=_("Review notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    panel_size = forms.IntegerField(label=_("Experts on the panel"), min_value=1, max_value=15)


class OpinionForm(forms.Form):
    approves = forms.TypedChoiceField(
        label=_("Do you recommend approval?"),
        coerce=_yes,
        choices=YES_NO,
        widget=forms.RadioSelect,
    )
    opinion = forms.CharField(
        label=_("Opinion"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000
    )


class DocumentForm(forms.Form):
    """R§13(1): one supporting document of a designation (PDF, image or office file)."""

    kind = forms.ChoiceField(
        label=_("What the document shows"), choices=DesignationDocumentKind.choices
    )
    file = forms.FileField(
        label=_("File"),
        help_text=_("PDF, PNG, JPEG, DOCX, XLSX or PPTX, at most 10 MB."),
        allow_empty_file=True,  # an empty file gets the upload check's own message
    )


class DecisionForm(forms.Form):
    approve = forms.TypedChoiceField(
        label=_("Decision"),
        coerce=_yes,
        choices=[("yes", _("Approve")), ("no", _("Refuse"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reasons"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )


class NominationForm(forms.Form):
    """R§10, R§14(1): the institution nominates a person."""

    full_name = forms.CharField(label=_("Full name"), max_length=100)
    id_number = forms.CharField(
        label=_("Resident identity number"),
        max_length=18,
        help_text=_("Stored encrypted and shown masked."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    username = forms.CharField(label=_("User name for the portal"), max_length=150)
    email = forms.EmailField(label=_("E-mail"))
    contract_type = forms.ChoiceField(
        label=_("Contract"), choices=ContractType.choices, widget=forms.RadioSelect
    )
    full_time = forms.TypedChoiceField(
        label=_("Full-time?"), coerce=_yes, choices=YES_NO, widget=forms.RadioSelect
    )
    qualifications = forms.CharField(
        label=_("Qualifications"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=5000,
    )


class AssessorUpdateForm(forms.Form):
    contract_type = forms.ChoiceField(
        label=_("Contract"), choices=ContractType.choices, widget=forms.RadioSelect
    )
    full_time = forms.TypedChoiceField(
        label=_("Full-time?"), coerce=_yes, choices=YES_NO, widget=forms.RadioSelect
    )


class SupervisionForm(forms.Form):
    """R§15–16: grounds, explanation and evidence of a supervision action."""

    grounds = forms.ChoiceField(
        label=_("Grounds (R§16)"),
        choices=[("", _("— none (reinstatement or release) —")), *SupervisionGround.choices],
        required=False,
    )
    explanation = forms.CharField(
        label=_("Explanation"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )
    evidence = forms.CharField(
        label=_("Evidence"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=5000,
        help_text=_("What the decision rests on: documents, findings, case numbers."),
    )
    evidence_file = forms.FileField(
        label=_("Evidence file"),
        required=False,
        allow_empty_file=True,  # an empty file gets the upload check's own message
        help_text=_(
            "An inspection report or finding: PDF, PNG, JPEG, DOCX, XLSX or PPTX, at most 10 MB."
        ),
    )


class ExpertForm(forms.Form):
    fields_of_expertise = forms.CharField(label=_("Fields of expertise"), max_length=300)
    employer = forms.ModelChoiceField(
        label=_("Employer (registered organisation)"),
        queryset=Organization.objects.order_by("name"),
        required=False,
        empty_label=_("— none —"),
        help_text=_("The expert is never drawn for its employer."),
    )
    employer_name = forms.CharField(label=_("Employer name"), max_length=200, required=False)
    available = forms.BooleanField(label=_("Available for reviews"), required=False)
    max_open_reviews = forms.IntegerField(
        label=_("Maximum open reviews"), min_value=1, max_value=50, initial=5
    )


class ExpertCreateForm(ExpertForm):
    username = forms.CharField(label=_("User name for the portal"), max_length=150)
    display_name = forms.CharField(label=_("Name"), max_length=100)
    email = forms.EmailField(label=_("E-mail"))

    field_order = ["username", "display_name", "email"]


class ConflictForm(forms.Form):
    organization = forms.ModelChoiceField(
        label=_("Organisation"),
        queryset=Organization.objects.order_by("name"),
        empty_label=_("— choose —"),
    )
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=5000
    )


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=5000
    )
