from django.utils import timezone
from django.utils.translation import gettext as _g
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.viewsets import GenericViewSet

from applications.api.views import PublicThrottle
from ietsportal.api import TenantScopedViewSet

from ..models import Certificate
from ..selectors import certificate_public_history
from ..signing import public_key_b64, public_keys
from ..verification import verify_presented
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


class PublicCertificateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericViewSet):
    """M§14(5), M§18: anyone looks a certificate up by number, USCC or organisation name."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [PublicThrottle]
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
            return qs.lookup(q).order_by("-issued_on", "number")
        return qs

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
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


class CertificateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    """The certificates the caller holds, issued, or (center staff) all."""

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
