from django import forms
from django.utils.translation import gettext_lazy as _

from applications.enums import EvaluationKind, Grade
from ietsportal.accounts.models import Organization
from institutions.models import Institution

from .enums import Sharing
from .models import SelfEvaluation


class SelfEvaluationCreateForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind of evaluation"),
        choices=EvaluationKind.choices,
        widget=forms.RadioSelect,
        initial=EvaluationKind.GRADE,
    )
    title = forms.CharField(
        label=_("Title"),
        max_length=120,
        required=False,
        help_text=_("For example: before the 2026 application."),
    )


class EvidenceForm(forms.Form):
    file = forms.FileField(label=_("Evidence file (PDF, image or Office document)"))
    code = forms.ChoiceField(label=_("Criterion"), required=False)
    description = forms.CharField(label=_("Description"), max_length=200, required=False)

    def __init__(self, *args, criteria=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].choices = [
            ("", _("— the whole self-evaluation —")),
            *((c.code, f"{c.code} {c.display_title}") for c in criteria),
        ]


class ToApplicationForm(forms.Form):
    institution = forms.ModelChoiceField(
        label=_("Evaluation institution"),
        queryset=Institution.objects.none(),
        empty_label=_("— choose —"),
    )
    requested_grade = forms.ChoiceField(
        label=_("Requested grade"),
        choices=[("", _("— the grade this self-evaluation reaches —")), *Grade.choices],
        required=False,
        help_text=_("Graded evaluations (enterprises) only."),
    )

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = Institution.objects.available_to(organization)


class SelectionCreateForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=5000,
    )
    weight_basic = forms.IntegerField(label=_("Weight of basic capability"), initial=25)
    weight_technical = forms.IntegerField(label=_("Weight of technical capability"), initial=25)
    weight_service = forms.IntegerField(label=_("Weight of service capability"), initial=25)
    weight_operational = forms.IntegerField(
        label=_("Weight of operational capability"),
        initial=25,
        help_text=_("Whole numbers from 0 to 100; the four weights add up to 100."),
    )
    min_grade = forms.ChoiceField(
        label=_("Minimum grade (certificate)"),
        choices=[("", _("— none —")), *Grade.choices],
        required=False,
    )
    requires_valid_certificate = forms.BooleanField(
        label=_("Requires a valid certificate"), required=False
    )
    requires_innovation = forms.BooleanField(
        label=_("Requires a valid innovation evaluation (M§12)"), required=False
    )


class InviteForm(forms.Form):
    organization = forms.ModelChoiceField(
        label=_("Organisation registered on the portal"),
        queryset=Organization.objects.none(),
        required=False,
        empty_label=_("— choose —"),
    )
    uscc = forms.CharField(
        label=_("or its unified social credit code"), max_length=40, required=False
    )

    def __init__(self, *args, buyer_id, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = Organization.objects.exclude(pk=buyer_id)


class DecideForm(forms.Form):
    candidate = forms.ChoiceField(label=_("Chosen supplier"))
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["candidate"].choices = [
            ("", _("— choose —")),
            *((c.pk, c.organization.name) for c in candidates),
        ]


class AnswerForm(forms.Form):
    answer = forms.ChoiceField(
        label=_("Your answer"),
        choices=[("accept", _("Accept")), ("decline", _("Decline"))],
        widget=forms.RadioSelect,
    )
    sharing = forms.ChoiceField(
        label=_("What you share"),
        choices=Sharing.choices,
        widget=forms.RadioSelect,
        required=False,
        initial=Sharing.CERTIFICATE,
    )
    self_evaluation = forms.ModelChoiceField(
        label=_("Self-evaluation to share"),
        queryset=SelfEvaluation.objects.none(),
        required=False,
        empty_label=_("— none —"),
        help_text=_("Only completed self-evaluations can be shared."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # All of the organisation's runs: the service explains why a draft or a withdrawn one
        # cannot be shared.
        self.fields["self_evaluation"].queryset = SelfEvaluation.objects.for_user(
            user
        ).select_related("rubric")
        self.fields["self_evaluation"].label_from_instance = lambda e: (
            f"{e.label} · {e.total} · {e.get_state_display()} · {e.rubric}"
        )
