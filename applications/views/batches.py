"""The center's publicity batches (M§14(4)): open a batch, see its entries, publish it.
Everyone else: 404. Errors re-render the page with the message and the error's status."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.views import View

from ietsportal.errors import DomainError

from ..batches import publicity_batch_create, publicity_batch_publish
from ..enums import ApplicationState
from ..models import PublicityBatch


class CenterOnlyMixin(LoginRequiredMixin):
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.is_center_staff:
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class PublicityBatchManageListView(CenterOnlyMixin, View):
    """The batches, newest first, with their number of entries; a button opens a new one."""

    template_name = "applications/batch_manage_list.html"

    def get(self, request, error=None, status=200):
        batches = PublicityBatch.objects.annotate(entries=Count("applications")).order_by(
            "-year", "-sequence"
        )[:200]
        return render(
            request, self.template_name, {"batches": batches, "error": error}, status=status
        )

    def post(self, request):
        try:
            batch = publicity_batch_create(actor=request.user, now=timezone.now())
        except DomainError as exc:
            return self.get(request, error=str(exc.message), status=exc.status_code)
        messages.success(
            request,
            _g("Batch %(number)s is open: confirmed results join it until it is published.")
            % {"number": batch.number},
        )
        return redirect("publicity-batch-manage", pk=batch.pk)


class PublicityBatchManageView(CenterOnlyMixin, View):
    template_name = "applications/batch_manage.html"

    def get(self, request, pk, error=None, status=200):
        batch = get_object_or_404(PublicityBatch, pk=pk)
        entries = (
            batch.applications.filter(state=ApplicationState.PUBLICITY)
            .select_related("organization", "institution")
            .order_by("organization__name", "id")
        )
        return render(
            request,
            self.template_name,
            {"batch": batch, "entries": entries, "error": error},
            status=status,
        )


class PublicityBatchPublishView(PublicityBatchManageView):
    http_method_names = ["post"]

    def post(self, request, pk):
        try:
            batch = publicity_batch_publish(batch_id=pk, actor=request.user, now=timezone.now())
        except DomainError as exc:
            if exc.status_code == 404:
                raise Http404 from exc
            return self.get(request, pk, error=str(exc.message), status=exc.status_code)
        messages.success(
            request,
            _g("Batch %(number)s is published: objections may be filed until %(end)s.")
            % {
                "number": batch.number,
                "end": timezone.localtime(batch.ends_at).strftime("%Y-%m-%d %H:%M"),
            },
        )
        return redirect("publicity-batch-manage", pk=batch.pk)
