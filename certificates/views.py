from django.conf import settings
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.views import View
from django.views.generic import DetailView, ListView
from django_ratelimit.decorators import ratelimit

from ietsportal.views import TenantScopedMixin

from .lookups import answer_store, lookup_count, lookup_count_and_answer
from .models import Certificate
from .selectors import certificate_public_history
from .services import certificate_pdf_ensure
from .verification import verify_presented

MAX_QUERY = 100


def public_rate(group, request):
    return settings.PUBLIC_LOOKUP_RATE


rate_limited = method_decorator(
    ratelimit(group="public-lookup", key="ip", rate=public_rate, method=ratelimit.ALL, block=True),
    name="get",
)


@rate_limited
class VerifyView(ListView):
    """M§14(5), M§18: anyone verifies a certificate by number, USCC or organisation name."""

    template_name = "certificates/verify.html"
    context_object_name = "certificates"
    paginate_by = 20

    def get_queryset(self):
        self.query = self.request.GET.get("q", "").strip()[:MAX_QUERY]
        if not self.query:
            return Certificate.objects.none()
        lookup_count("html")
        return (
            Certificate.objects.lookup(self.query)
            .select_related("organization", "institution")
            .order_by("-issued_on", "number")
        )

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "query": self.query}


@rate_limited
class VerifyDetailView(DetailView):
    """A certificate's public record; with `?t=` (the QR code's token) the presented copy is
    checked step by step (M§18)."""

    template_name = "certificates/verify_detail.html"
    context_object_name = "certificate"

    def get(self, request, *args, **kwargs):
        token = request.GET.get("t")
        number = self.kwargs["number"][:32]
        variant = f"html-{get_language()}"
        if token is None:
            # The busiest read of the portal: counted and answered from the cache in one round
            # trip; certificates/lookups.py forgets the answer on every change.
            cached = lookup_count_and_answer("html", number, variant)
            if cached is not None:
                return self._page(number, cached.decode())
        else:
            lookup_count("qr")
        certificate = (
            Certificate.objects.select_related("organization", "institution")
            .filter(number=number)
            .first()
        )
        if certificate is None and token is None:
            return super().get(request, *args, **kwargs)  # the ordinary 404 page
        verification = None
        if token is not None:
            verification = verify_presented(
                number=self.kwargs["number"],
                token=token,
                certificate=certificate,
                today=timezone.localdate(),
            )
        record = render_to_string(
            "certificates/_verify_record.html",
            {
                "certificate": certificate,
                "verification": verification,
                "history": certificate_public_history(certificate) if certificate else [],
            },
        )
        if token is None:
            answer_store(certificate.number, variant, record.encode())
        return self._page(
            certificate.number if certificate else "",
            record,
            status=200 if certificate is not None else 404,
        )

    def _page(self, number: str, record: str, status: int = 200):
        # The record holds no per-request data (no CSRF token, no user): the page around it does.
        context = {"number": number, "record": mark_safe(record)}  # noqa: S308 - our template
        return self.render_to_response(context, status=status)

    def get_object(self, queryset=None):
        return get_object_or_404(Certificate, number=self.kwargs["number"])


class CertificatePdfView(TenantScopedMixin, View):
    """The holder, its institution and the center download the certificate PDF."""

    model = Certificate

    def get(self, request, number):
        certificate = get_object_or_404(self.get_queryset(), number=number)
        certificate = certificate_pdf_ensure(certificate_id=certificate.pk)
        response = FileResponse(
            certificate.pdf.open("rb"),
            as_attachment=True,
            filename=f"{certificate.number}.pdf",
            content_type="application/pdf",
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response
