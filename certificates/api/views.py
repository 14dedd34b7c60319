from django.utils.translation import gettext as _g
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.viewsets import GenericViewSet

from applications.api.views import PublicThrottle
from ietsportal.api import TenantScopedViewSet

from ..models import Certificate
from .serializers import PublicCertificateSerializer

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
