from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.views.generic import DetailView, ListView

from ietsportal.errors import DomainError

from .. import services
from ..enums import ApplicationState
from ..forms import ObjectionForm
from ..models import Application, PublicityBatch


def publicity_queryset():
    """Entries whose batch is published (an entry of a batch in preparation has no dates)."""
    return (
        Application.objects.filter(
            state=ApplicationState.PUBLICITY, publicity_starts_at__isnull=False
        )
        .select_related("organization", "institution", "publicity_batch")
        .order_by("publicity_ends_at", "publicity_batch_id", "id")
    )


class PublicityBatchDetailView(DetailView):
    """M§14(4): one published batch (公示〔year〕第N批) with its dates and entries; printable."""

    template_name = "applications/publicity_batch.html"
    context_object_name = "batch"

    def get_queryset(self):
        return PublicityBatch.objects.filter(starts_at__isnull=False)

    def get_context_data(self, **kwargs):
        entries = (
            self.object.applications.filter(
                state__in=[ApplicationState.PUBLICITY, ApplicationState.ISSUED],
                publicity_starts_at=self.object.starts_at,
            )
            .select_related("organization", "institution")
            .order_by("organization__name", "id")
        )
        return {
            **super().get_context_data(**kwargs),
            "entries": entries,
            "open": timezone.now() < self.object.ends_at,
        }


class PublicityListView(ListView):
    """M§14(4): the public list of results in their 7-day publicity, grouped by batch."""

    template_name = "applications/publicity_list.html"
    context_object_name = "entries"
    paginate_by = 50

    def get_queryset(self):
        return publicity_queryset()


class PublicityDetailView(DetailView):
    template_name = "applications/publicity_detail.html"
    context_object_name = "entry"

    def get_queryset(self):
        return publicity_queryset()

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "form": kwargs.get("form") or ObjectionForm(),
            "open": timezone.now() < self.object.publicity_ends_at,
        }

    def post(self, request, pk):
        self.object = self.get_object()
        form = ObjectionForm(request.POST)
        if form.is_valid():
            try:
                services.objection_file(
                    application_id=self.object.pk, now=timezone.now(), **form.cleaned_data
                )
            except DomainError as exc:
                form.add_error(None, str(exc.message))
                return render(
                    request,
                    self.template_name,
                    self.get_context_data(form=form),
                    status=exc.status_code,
                )
            messages.success(
                request,
                _g("Your objection has been received. The evaluation center will contact you."),
            )
            return redirect("publicity-detail", pk=self.object.pk)
        return render(request, self.template_name, self.get_context_data(form=form), status=400)
