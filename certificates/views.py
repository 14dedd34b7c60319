from django.shortcuts import get_object_or_404
from django.views.generic import DetailView, ListView

from .models import Certificate

MAX_QUERY = 100


class VerifyView(ListView):
    """M§14(5), M§18: anyone verifies a certificate by number, USCC or organisation name."""

    template_name = "certificates/verify.html"
    context_object_name = "certificates"
    paginate_by = 20

    def get_queryset(self):
        self.query = self.request.GET.get("q", "").strip()[:MAX_QUERY]
        if not self.query:
            return Certificate.objects.none()
        return (
            Certificate.objects.lookup(self.query)
            .select_related("organization", "institution")
            .order_by("-issued_on", "number")
        )

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "query": self.query}


class VerifyDetailView(DetailView):
    template_name = "certificates/verify_detail.html"
    context_object_name = "certificate"

    def get_object(self, queryset=None):
        return get_object_or_404(
            Certificate.objects.select_related("organization", "institution"),
            number=self.kwargs["number"],
        )
