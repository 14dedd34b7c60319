"""The certificate's own page for its holder, its institution and the center (M§15–22)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.views.generic import DetailView

from ietsportal.errors import DomainError, InvalidInput
from ietsportal.views import TenantScopedMixin

from . import services
from .enums import (
    AnnualReviewState,
    CertificateStatus,
    DecisionKind,
    ReconsiderationState,
    RequestState,
)
from .forms import (
    AnnualReviewSubmitForm,
    CertificateRequestForm,
    DecideForm,
    DecisionForm,
    ForwardForm,
    ReconsiderationDecideForm,
    ReconsiderationForm,
)
from .models import Certificate
from .selectors import certificate_public_history


def _valid(form):
    if not form.is_valid():
        raise InvalidInput(" ".join(e for errors in form.errors.values() for e in errors))
    return form.cleaned_data


def _decide(request, certificate, obj_id):
    data = _valid(DecisionForm(request.POST, request.FILES))
    services.certificate_decide(
        number=certificate.number,
        actor=request.user,
        kind=data["kind"],
        grounds=data["grounds"],
        explanation=data["explanation"],
        evidence=data["evidence"],
        now=timezone.now(),
    )


def _relay(request, certificate, obj_id):
    services.certificate_decision_relay(decision_id=obj_id, actor=request.user, now=timezone.now())


def _review_submit(request, certificate, obj_id):
    data = _valid(AnnualReviewSubmitForm(request.POST))
    services.annual_review_submit(
        review_id=obj_id, actor=request.user, materials=data["materials"], now=timezone.now()
    )


def _review_decide(request, certificate, obj_id):
    data = _valid(DecideForm(request.POST))
    services.annual_review_decide(
        review_id=obj_id,
        actor=request.user,
        passed=data["approve"],
        note=data["note"],
        now=timezone.now(),
    )


def _request_file(request, certificate, obj_id):
    data = _valid(CertificateRequestForm(request.POST))
    services.certificate_request_file(
        number=certificate.number, actor=request.user, now=timezone.now(), **data
    )


def _request_verify(request, certificate, obj_id):
    data = _valid(DecideForm(request.POST))
    services.certificate_request_verify(
        request_id=obj_id,
        actor=request.user,
        approve=data["approve"],
        note=data["note"],
        now=timezone.now(),
    )


def _request_decide(request, certificate, obj_id):
    data = _valid(DecideForm(request.POST))
    services.certificate_request_decide(
        request_id=obj_id,
        actor=request.user,
        approve=data["approve"],
        note=data["note"],
        now=timezone.now(),
    )


# The actions on one object of the certificate: the object must be one of its own.
def _reconsider(request, certificate, obj_id):
    data = _valid(ReconsiderationForm(request.POST))
    services.reconsideration_file(
        decision_id=obj_id, actor=request.user, grounds=data["grounds"], now=timezone.now()
    )


def _reconsideration_forward(request, certificate, obj_id):
    data = _valid(ForwardForm(request.POST))
    services.reconsideration_forward(
        reconsideration_id=obj_id, actor=request.user, note=data["note"], now=timezone.now()
    )


def _reconsideration_decide(request, certificate, obj_id):
    data = _valid(ReconsiderationDecideForm(request.POST))
    services.reconsideration_decide(
        reconsideration_id=obj_id,
        actor=request.user,
        upheld=data["upheld"],
        reply=data["reply"],
        now=timezone.now(),
    )


CHILDREN = {
    "relay": "decisions",
    "reconsider": "decisions",
    "reconsideration-forward": "reconsiderations",
    "reconsideration-decide": "reconsiderations",
    "review-submit": "annual_reviews",
    "review-decide": "annual_reviews",
    "request-verify": "requests",
    "request-decide": "requests",
}

ACTIONS = {
    "decide": _decide,
    "reconsider": _reconsider,
    "reconsideration-forward": _reconsideration_forward,
    "reconsideration-decide": _reconsideration_decide,
    "relay": _relay,
    "review-submit": _review_submit,
    "review-decide": _review_decide,
    "request-file": _request_file,
    "request-verify": _request_verify,
    "request-decide": _request_decide,
}


class CertificateDetailView(TenantScopedMixin, DetailView):
    model = Certificate
    template_name = "certificates/detail.html"
    context_object_name = "certificate"
    slug_field = slug_url_kwarg = "number"

    def get_queryset(self):
        return super().get_queryset().select_related("organization", "institution")

    def get_context_data(self, error=None, **kwargs):
        certificate, user = self.object, self.request.user
        opens, closes = services.reevaluation_window(certificate)
        decisions = list(
            certificate.decisions.select_related("decided_by", "relayed_by").prefetch_related(
                "reconsiderations"
            )
        )
        for decision in decisions:
            # M§20: the holder, told of a suspension or revocation, may ask once at a time.
            decision.may_reconsider = (
                user.is_applicant
                and decision.relayed_at is not None
                and decision.kind in (DecisionKind.SUSPEND, DecisionKind.REVOKE)
                and not any(
                    r.state in (ReconsiderationState.FILED, ReconsiderationState.FORWARDED)
                    for r in decision.reconsiderations.all()
                )
            )
        today = timezone.localdate()
        return {
            **super().get_context_data(**kwargs),
            "error": error,
            "decisions": list(
                certificate.decisions.select_related("decided_by", "relayed_by").prefetch_related(
                    "reconsiderations"
                )
            ),
            "reconsider_form": ReconsiderationForm(),
            "forward_form": ForwardForm(),
            "reconsideration_decide_form": ReconsiderationDecideForm(),
            "reviews": list(certificate.annual_reviews.all()),
            "requests": list(certificate.requests.all()),
            "history": certificate_public_history(certificate),
            "decision_form": DecisionForm() if user.is_center_staff else None,
            "review_form": AnnualReviewSubmitForm(),
            "decide_form": DecideForm(),
            "request_form": CertificateRequestForm()
            if user.is_applicant
            and certificate.status == CertificateStatus.VALID
            and not certificate.requests.filter(
                state__in=[RequestState.FILED, RequestState.VERIFIED]
            ).exists()
            else None,
            "review_due": AnnualReviewState.DUE,
            "review_submitted": AnnualReviewState.SUBMITTED,
            "request_filed": RequestState.FILED,
            "request_verified": RequestState.VERIFIED,
            "window": (opens, closes),
            "can_reevaluate": user.is_applicant
            and certificate.status == CertificateStatus.VALID
            and opens <= today <= closes,
        }

    def post(self, request, number, action, obj_id=None):
        self.object = self.get_object()
        handler = ACTIONS.get(action)
        related = CHILDREN.get(action)
        if handler is None or (
            related and not getattr(self.object, related).filter(pk=obj_id).exists()
        ):
            from django.http import Http404

            raise Http404
        try:
            handler(request, self.object, obj_id)
        except DomainError as exc:
            return render(
                request,
                self.template_name,
                self.get_context_data(error=str(exc.message), object=self.object),
                status=exc.status_code,
            )
        messages.success(request, _g("Done."))
        return redirect("certificate-detail", number=self.object.number)
