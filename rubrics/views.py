"""Public pages of the rubrics (M§3): what every result is scored against."""

from django.db.models import Prefetch
from django.views.generic import DetailView, ListView

from .enums import RubricState
from .models import Criterion, Rubric


def _public():
    return Rubric.objects.exclude(state=RubricState.DRAFT)


class RubricListView(ListView):
    template_name = "rubrics/list.html"
    context_object_name = "rubrics"

    def get_queryset(self):
        return _public().order_by("kind", "-version")


class RubricDetailView(DetailView):
    template_name = "rubrics/detail.html"
    context_object_name = "rubric"

    def get_queryset(self):
        return _public().prefetch_related(
            Prefetch("criteria", queryset=Criterion.objects.order_by("position", "code")),
            "thresholds",
        )

    def get_context_data(self, **kwargs):
        from applications.enums import CapabilityArea

        rubric = self.object
        criteria = list(rubric.criteria.all())
        areas = [
            (area.label, [c for c in criteria if c.area == area.value]) for area in CapabilityArea
        ]
        return {
            **super().get_context_data(**kwargs),
            "areas": [(label, items) for label, items in areas if items],
            "thresholds": sorted(rubric.thresholds.all(), key=lambda t: t.min_total),
        }
