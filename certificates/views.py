from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.views import View
from django.views.generic import DetailView, ListView

from ietsportal.views import TenantScopedMixin

from .lookups import (
    anonymous_without_messages,
    answer_replay,
    answer_store,
    lookup_gate,
    too_many_requests,
)
from .models import Certificate
from .models import certificate as certificate_model
from .selectors import certificate_public_history
from .services import certificate_pdf_ensure
from .verification import verify_presented

MAX_QUERY = 100


class VerifyView(ListView):
    """M§14(5), M§18: anyone verifies a certificate by number, USCC or organisation name."""

    template_name = "certificates/verify.html"
    context_object_name = "certificates"
    paginate_by = 20

    def get(self, request, *args, **kwargs):
        self.query = request.GET.get("q", "").strip()[:MAX_QUERY]
        allowed, _answer = lookup_gate(
            request, scope="lookup", channel="html" if self.query else None
        )
        if not allowed:
            return too_many_requests(request, None)
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        self.truncated = False
        if not self.query:
            return Certificate.objects.none()
        found, self.truncated = Certificate.objects.lookup_search(self.query)
        return found.select_related("organization", "institution").order_by("-issued_on", "number")

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "query": self.query,
            "truncated": self.truncated,
            "holder_cap": certificate_model.HOLDER_CAP,
        }


class VerifyDetailView(DetailView):
    """A certificate's public record; with `?t=` (the QR code's token) the presented copy is
    checked step by step (M§18)."""

    template_name = "certificates/verify_detail.html"
    context_object_name = "certificate"

    def get(self, request, *args, **kwargs):
        token = request.GET.get("t")
        number = self.kwargs["number"][:32]
        language = get_language()
        # The busiest read of the portal: limited, counted and answered from the cache in one
        # round trip (certificates/lookups.py, which forgets the answer on every change) — for
        # an anonymous visitor the whole page, for a signed-in one the record inside their page.
        whole = token is None and not request.GET and anonymous_without_messages(request)
        allowed, cached = lookup_gate(
            request,
            scope="lookup",
            channel="html" if token is None else "qr",
            number=number if token is None else "",
            variant=f"{'page' if whole else 'html'}-{language}",
        )
        if not allowed:
            return too_many_requests(request, None)
        if cached is not None:
            return answer_replay(cached) if whole else self._page(number, cached.decode())
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
        response = self._page(
            certificate.number if certificate else "",
            record,
            status=200 if certificate is not None else 404,
        )
        if token is None:
            answer_store(certificate.number, f"html-{language}", record.encode())
            if whole:  # recorded with its headers by the fast path (certificates/middleware.py)
                response.public_answer = certificate.number
        return response

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
