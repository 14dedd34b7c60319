import json

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _g
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.viewsets import GenericViewSet

from ietsportal.api import PublicThrottle, TenantScopedViewSet

from .. import services
from ..lookups import answer_store, lookup_count, lookup_gate
from ..models import Certificate
from ..models import certificate as certificate_model
from ..models.certificate import HOLDER_CAP
from ..selectors import certificate_public_history
from ..signing import public_key_b64, public_keys
from ..verification import verify_presented
from . import serializers as s
from .serializers import PublicCertificateSerializer

VERIFICATION = inline_serializer(
    "Verification",
    {
        "verdict": serializers.CharField(),
        "message": serializers.CharField(),
        "steps": serializers.ListField(child=serializers.DictField()),
        "certificate": PublicCertificateSerializer(allow_null=True),
        "history": serializers.ListField(child=serializers.DictField()),
    },
)

MAX_QUERY = 100


class LookupThrottle(PublicThrottle):
    """The lookups' limit, shared with the lookup pages; a lookup by number also reads its
    cached answer in the same round trip (`view.cached_answer`)."""

    scope = "lookup"

    def allow_request(self, request, view):
        number = view.kwargs.get("number", "") if view.action == "retrieve" else ""
        allowed, view.cached_answer = lookup_gate(
            request,
            scope=self.scope,
            channel="api" if number else None,
            number=number,
            variant=f"json-{get_language()}",  # the status label is translated
        )
        return allowed


class PublicCertificateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericViewSet):
    """M§14(5), M§18: anyone looks a certificate up by number, USCC or organisation name."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [LookupThrottle]
    cached_answer = None
    serializer_class = PublicCertificateSerializer
    lookup_field = "number"
    lookup_value_regex = r"[A-Za-z0-9\-]{1,32}"

    def get_queryset(self):
        qs = Certificate.objects.select_related("organization", "institution")
        if getattr(self, "swagger_fake_view", False):
            return qs.none()
        if self.action == "list":
            q = self.request.query_params.get("q", "").strip()
            if not q:
                raise ValidationError(
                    {
                        "q": _g(
                            "Enter a certificate number, a unified social "
                            "credit code or an organisation name."
                        )
                    }
                )
            if len(q) > MAX_QUERY:
                raise ValidationError({"q": _g("The search text is too long.")})
            lookup_count("api")
            found, self.holders_truncated = qs.lookup_search(q)
            return found.order_by("-issued_on", "number")
        return qs

    holders_truncated = False

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if self.holders_truncated:
            # More than HOLDER_CAP holders matched: only the first ones by name were searched.
            response["X-Holders-Truncated"] = str(certificate_model.HOLDER_CAP)
        return response

    def retrieve(self, request, *args, **kwargs):
        """Limited, counted and answered from the cache in one round trip (LookupThrottle);
        certificates/lookups.py forgets the answer on every change of what it shows."""
        body = self.cached_answer
        if body is None:
            certificate = self.get_object()
            body = JSONRenderer().render(self.get_serializer(certificate).data)
            answer_store(certificate.number, f"json-{get_language()}", body)
        if request.accepted_renderer.format == "json":
            response = HttpResponse(body, content_type="application/json")
            # recorded with its headers by the fast path (certificates/middleware.py)
            response.public_answer = kwargs.get(self.lookup_field)
            return response
        return Response(json.loads(body))

    @extend_schema(
        parameters=[OpenApiParameter("t", str, required=True, description="the QR token")],
        responses={200: VERIFICATION, 404: VERIFICATION},
    )
    @action(detail=False, url_path=r"(?P<number>[A-Za-z0-9\-]{1,32})/verify")
    def verify(self, request, number=None):
        """M§18: check a presented certificate's QR token step by step."""
        certificate = (
            Certificate.objects.select_related("organization", "institution")
            .filter(number=number)
            .first()
        )
        lookup_count("qr")
        result = verify_presented(
            number=number,
            token=request.query_params.get("t", ""),
            certificate=certificate,
            today=timezone.localdate(),
        )
        history = certificate_public_history(certificate) if certificate else []
        body = {
            "verdict": result.verdict,
            "message": result.message,
            "steps": [{"name": s.name, "label": s.label, "passed": s.passed} for s in result.steps],
            "certificate": PublicCertificateSerializer(certificate).data if certificate else None,
            "history": [{**e, "at": e["at"].isoformat()} for e in history],
        }
        return Response(body, status=200 if certificate else 404)

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, required=True, description="number, USCC or part of a name")
        ],
        description=(
            f"When more than {HOLDER_CAP} organisations have `q` in their name, only the "
            f"certificates of the first {HOLDER_CAP} by name are searched and the response "
            f"carries the header `X-Holders-Truncated: {HOLDER_CAP}`: ask for more of the "
            "name, or use the USCC."
        ),
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


class CertificateListViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    """The certificates the caller holds, issued, or (center staff) all; and what each role
    does with them: decisions (M§19–20), annual reviews (M§15), requests (M§21–22)."""

    model = Certificate
    serializer_class = PublicCertificateSerializer
    lookup_field = "number"
    lookup_value_regex = r"[A-Za-z0-9\-]{1,32}"

    def get_queryset(self):
        return super().get_queryset().select_related("organization", "institution")


class PublicKeysView(APIView):
    """The public keys that verify certificate QR codes offline (current and retired)."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        responses={
            200: inline_serializer(
                "PublicKeys",
                {
                    "algorithm": serializers.CharField(),
                    "keys": serializers.DictField(child=serializers.CharField()),
                },
            )
        }
    )
    def get(self, request):
        return Response(
            {"algorithm": "Ed25519", "keys": {kid: public_key_b64(kid) for kid in public_keys()}}
        )


def _input(serializer_class, request):
    ser = serializer_class(data=request.data)
    ser.is_valid(raise_exception=True)
    return ser.validated_data


def _detail(view, number, code=200):
    certificate = (
        view.get_queryset()
        .prefetch_related("decisions__reconsiderations", "annual_reviews", "requests")
        .get(number=number)
    )
    return Response(s.CertificateDetailSerializer(certificate).data, status=code)


def _own(certificate, related: str, pk) -> None:
    """The decision, review or request named in the URL must be one of this certificate's."""
    from ietsportal.errors import NotFound

    if not getattr(certificate, related).filter(pk=pk).exists():
        raise NotFound()


class CertificateManageMixin:
    """Actions on one certificate; the scope check (404) comes from `get_object`."""

    def retrieve(self, request, number=None):
        self.get_object()
        return _detail(self, number)

    @extend_schema(request=s.DecisionInput, responses={201: s.CertificateDetailSerializer})
    @action(detail=True, methods=["post"])
    def decisions(self, request, number=None):
        self.get_object()
        data = _input(s.DecisionInput, request)
        services.certificate_decide(number=number, actor=request.user, now=timezone.now(), **data)
        return _detail(self, number, 201)

    @extend_schema(request=None, responses={200: s.CertificateDetailSerializer})
    @action(detail=True, methods=["post"], url_path=r"decisions/(?P<decision_id>[0-9]+)/relay")
    def relay(self, request, number=None, decision_id=None):
        _own(self.get_object(), "decisions", decision_id)
        services.certificate_decision_relay(
            decision_id=int(decision_id), actor=request.user, now=timezone.now()
        )
        return _detail(self, number)

    @extend_schema(request=s.GroundsInput, responses={201: s.CertificateDetailSerializer})
    @action(
        detail=True,
        methods=["post"],
        url_path=r"decisions/(?P<decision_id>[0-9]+)/reconsideration",
    )
    def reconsider(self, request, number=None, decision_id=None):
        """M§20: the holder asks for reconsideration through the institution."""
        _own(self.get_object(), "decisions", decision_id)
        data = _input(s.GroundsInput, request)
        services.reconsideration_file(
            decision_id=int(decision_id), actor=request.user, now=timezone.now(), **data
        )
        return _detail(self, number, 201)

    @extend_schema(request=s.NoteInput, responses={200: s.CertificateDetailSerializer})
    @action(
        detail=True,
        methods=["post"],
        url_path=r"reconsiderations/(?P<reconsideration_id>[0-9]+)/forward",
    )
    def reconsideration_forward(self, request, number=None, reconsideration_id=None):
        _own(self.get_object(), "reconsiderations", reconsideration_id)
        data = _input(s.NoteInput, request)
        services.reconsideration_forward(
            reconsideration_id=int(reconsideration_id),
            actor=request.user,
            now=timezone.now(),
            **data,
        )
        return _detail(self, number)

    @extend_schema(
        request=s.ReconsiderationDecideInput, responses={200: s.CertificateDetailSerializer}
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"reconsiderations/(?P<reconsideration_id>[0-9]+)/decide",
    )
    def reconsideration_decide(self, request, number=None, reconsideration_id=None):
        _own(self.get_object(), "reconsiderations", reconsideration_id)
        data = _input(s.ReconsiderationDecideInput, request)
        services.reconsideration_decide(
            reconsideration_id=int(reconsideration_id),
            actor=request.user,
            now=timezone.now(),
            **data,
        )
        return _detail(self, number)

    @extend_schema(request=s.MaterialsInput, responses={200: s.CertificateDetailSerializer})
    @action(detail=True, methods=["post"], url_path=r"annual-reviews/(?P<review_id>[0-9]+)/submit")
    def review_submit(self, request, number=None, review_id=None):
        _own(self.get_object(), "annual_reviews", review_id)
        data = _input(s.MaterialsInput, request)
        services.annual_review_submit(
            review_id=int(review_id), actor=request.user, now=timezone.now(), **data
        )
        return _detail(self, number)

    @extend_schema(request=s.DecideInput, responses={200: s.CertificateDetailSerializer})
    @action(detail=True, methods=["post"], url_path=r"annual-reviews/(?P<review_id>[0-9]+)/decide")
    def review_decide(self, request, number=None, review_id=None):
        _own(self.get_object(), "annual_reviews", review_id)
        data = _input(s.DecideInput, request)
        services.annual_review_decide(
            review_id=int(review_id),
            actor=request.user,
            passed=data["approve"],
            note=data["note"],
            now=timezone.now(),
        )
        return _detail(self, number)

    @extend_schema(request=s.RequestInput, responses={201: s.CertificateDetailSerializer})
    @action(detail=True, methods=["post"], url_path="requests")
    def request_file(self, request, number=None):
        self.get_object()
        data = _input(s.RequestInput, request)
        services.certificate_request_file(
            number=number, actor=request.user, now=timezone.now(), **data
        )
        return _detail(self, number, 201)

    @extend_schema(request=s.DecideInput, responses={200: s.CertificateDetailSerializer})
    @action(detail=True, methods=["post"], url_path=r"requests/(?P<request_id>[0-9]+)/verify")
    def request_verify(self, request, number=None, request_id=None):
        _own(self.get_object(), "requests", request_id)
        data = _input(s.DecideInput, request)
        services.certificate_request_verify(
            request_id=int(request_id), actor=request.user, now=timezone.now(), **data
        )
        return _detail(self, number)

    @extend_schema(request=s.DecideInput, responses={200: s.CertificateDetailSerializer})
    @action(detail=True, methods=["post"], url_path=r"requests/(?P<request_id>[0-9]+)/decide")
    def request_decide(self, request, number=None, request_id=None):
        _own(self.get_object(), "requests", request_id)
        data = _input(s.DecideInput, request)
        services.certificate_request_decide(
            request_id=int(request_id), actor=request.user, now=timezone.now(), **data
        )
        return _detail(self, number)


class CertificateViewSet(CertificateManageMixin, CertificateListViewSet):
    """The certificates the caller holds, issued, or (center staff) all; and what each role
    does with them: decisions (M§19–20), annual reviews (M§15), requests (M§21–22)."""

    def get_serializer_class(self):
        return (
            s.CertificateDetailSerializer
            if self.action == "retrieve"
            else PublicCertificateSerializer
        )


class CredentialView(APIView):
    """A certificate as a W3C Verifiable Credential 2.0 (JSON)."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [PublicThrottle]

    @extend_schema(responses={200: dict, 404: None})
    def get(self, request, number):
        from django.shortcuts import get_object_or_404

        from ..credentials import certificate_credential

        certificate = get_object_or_404(
            Certificate.objects.select_related("organization", "institution"), number=number
        )
        lookup_count("api")
        return Response(certificate_credential(certificate), content_type="application/vc+ld+json")


class StatusListView(APIView):
    """Bitstring Status List credentials: `revocation` and `suspension`."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(responses={200: dict, 404: None})
    def get(self, request, purpose):
        from django.http import Http404

        from ..credentials import PURPOSES, status_list_credential

        if purpose not in PURPOSES:
            raise Http404
        return Response(status_list_credential(purpose), content_type="application/vc+ld+json")
