from django import forms
from django.utils.translation import gettext_lazy as _

from applications.enums import GRADE_ORDER, CapabilityArea

from .enums import RubricKind


class RubricDraftForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=RubricKind.choices)


class RubricTitleForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    title_en = forms.CharField(label=_("Title in English"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        # Its ids must differ from the criterion form's on the same page (valid HTML).
        kwargs.setdefault("auto_id", "id_rubric_%s")
        super().__init__(*args, **kwargs)


class CriterionForm(forms.Form):
    area = forms.ChoiceField(label=_("Area"), choices=CapabilityArea.choices)
    code = forms.CharField(label=_("Code"), max_length=16)
    title = forms.CharField(label=_("Title"), max_length=200)
    title_en = forms.CharField(label=_("Title in English"), max_length=200, required=False)
    guidance = forms.CharField(
        label=_("Guidance"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    guidance_en = forms.CharField(
        label=_("Guidance in English"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    weight = forms.DecimalField(label=_("Weight"), max_digits=6, decimal_places=2, min_value=0.01)
    max_score = forms.DecimalField(
        label=_("Maximum score"), max_digits=6, decimal_places=2, min_value=0.01
    )
    position = forms.IntegerField(label=_("Position"), min_value=0, max_value=32767, initial=0)


class ThresholdsForm(forms.Form):
    """M§11: the lowest total for each grade, lowest grade first."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for grade in GRADE_ORDER:
            self.fields[grade] = forms.DecimalField(
                label=grade,
                max_digits=5,
                decimal_places=2,
                min_value=0,
                max_value=100,
                required=False,
            )
