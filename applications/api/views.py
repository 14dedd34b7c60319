from django.db.models import Prefetch
from django.http import QueryDict
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

from ietsportal.api import PublicThrottle, TenantScopedViewSet

from .. import services
from ..enums import ApplicationState
from ..models import (
    Application,
    CriterionScore,
    Evidence,
    ExpertReview,
    MaterialRequest,
    PublicityBatch,
)
from . import serializers as s

LIST_FIELDS = {"assessors", "experts", "criteria"}


def request_data(data) -> dict:
    """A plain dict from JSON or form data; the list fields stay lists."""
    if isinstance(data, QueryDict):
        return {key: data.getlist(key) if key in LIST_FIELDS else data.get(key) for key in data}
    return dict(data) if isinstance(data, dict) else {}


ERRORS = {
    code: OpenApiResponse(description=text)
    for code, text in [
        (400, "invalid data, with a message"),
        (403, "not allowed for you"),
        (404, "not found or outside your scope"),
        (409, "not possible in the current state"),
    ]
}


class ApplicationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    """Applications the caller may see. Create: applicants only; transitions: see docs/api.md."""

    model = Application
    filterset_fields = ["state", "kind", "institution"]

    def get_queryset(self):
        qs = super().get_queryset().select_related("organization", "institution")
        if self.action == "list":
            return qs
        return qs.select_related("lead_assessor", "rubric").prefetch_related(
            "assessors",
            Prefetch("evidence", queryset=Evidence.objects.select_related("criterion")),
            Prefetch(
                "material_requests",
                queryset=MaterialRequest.objects.select_related(
                    "requested_by", "answered_by"
                ).prefetch_related("criteria", "files"),
            ),
            Prefetch(
                "criterion_scores",
                queryset=CriterionScore.objects.select_related("criterion", "scored_by"),
            ),
            Prefetch("expert_reviews", queryset=ExpertReview.objects.select_related("expert")),
        )

    def get_serializer_class(self):
        return s.ApplicationListSerializer if self.action == "list" else s.ApplicationSerializer

    def _detail(self, app, code=status.HTTP_200_OK):
        app = self.get_queryset().get(pk=app.pk)
        return Response(
            s.ApplicationSerializer(app, context={"request": self.request}).data, status=code
        )

    @extend_schema(
        request=s.ApplicationCreateSerializer, responses={201: s.ApplicationSerializer, **ERRORS}
    )
    def create(self, request):
        ser = s.ApplicationCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        app = services.application_create(
            actor=request.user,
            now=timezone.now(),
            institution_id=ser.validated_data.pop("institution"),
            **ser.validated_data,
        )
        return self._detail(app, status.HTTP_201_CREATED)

    @extend_schema(
        request=s.ApplicationUpdateSerializer, responses={200: s.ApplicationSerializer, **ERRORS}
    )
    def partial_update(self, request, pk=None):
        app = self.get_object()
        ser = s.ApplicationUpdateSerializer(data=request.data, partial=True)
        ser.is_valid(raise_exception=True)
        services.application_update_draft(
            application=app, actor=request.user, data=ser.validated_data, now=timezone.now()
        )
        return self._detail(app)

    @extend_schema(
        request=s.TransitionDataSerializer, responses={200: s.ApplicationSerializer, **ERRORS}
    )
    @action(detail=True, methods=["post"], url_path=r"transitions/(?P<name>[a-z_]{1,40})")
    def transitions(self, request, pk=None, name=None):
        """Fire one transition by name with its data (reason, scores, report, grade …)."""
        app = self.get_object()
        services.application_transition(
            application_id=app.pk,
            name=name,
            actor=request.user,
            data=request_data(request.data),
            now=timezone.now(),
        )
        return self._detail(app)

    @extend_schema(
        request={"multipart/form-data": s.EvidenceUploadSerializer},
        responses={
            201: s.EvidenceSerializer,
            413: OpenApiResponse(),
            415: OpenApiResponse(),
            **ERRORS,
        },
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def evidence(self, request, pk=None):
        app = self.get_object()
        evidence = services.evidence_add(
            application=app,
            actor=request.user,
            upload=request.FILES.get("file"),
            description=str(request.data.get("description", "")),
            criterion=str(request.data.get("criterion", ""))[:16],
            now=timezone.now(),
        )
        return Response(s.EvidenceSerializer(evidence).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.ExpertOpinionSerializer, responses={201: s.ExpertReviewSerializer, **ERRORS}
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="expert-opinion",
        parser_classes=[JSONParser, FormParser, MultiPartParser],
    )
    def expert_opinion(self, request, pk=None):
        app = self.get_object()
        ser = s.ExpertOpinionSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        review = services.expert_opinion_submit(
            application_id=app.pk, actor=request.user, now=timezone.now(), **ser.validated_data
        )
        return Response(s.ExpertReviewSerializer(review).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.ExpertDeclarationSerializer, responses={200: s.ExpertReviewSerializer, **ERRORS}
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="expert-declaration",
        parser_classes=[JSONParser, FormParser, MultiPartParser],
    )
    def expert_declaration(self, request, pk=None):
        """M§14(3): the drawn expert declares first whether they have a conflict of interest;
        with one they leave the panel and a replacement is drawn."""
        app = self.get_object()
        ser = s.ExpertDeclarationSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        review = services.expert_declare(
            application_id=app.pk, actor=request.user, now=timezone.now(), **ser.validated_data
        )
        return Response(s.ExpertReviewSerializer(review).data)


class PublicityViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericViewSet):
    """M§14(4): results in their 7-day publicity; anyone may object with a real name."""

    permission_classes = [AllowAny]
    authentication_classes = []
    serializer_class = s.PublicityEntrySerializer
    throttle_classes = [PublicThrottle]

    def get_queryset(self):
        return (
            Application.objects.filter(
                state=ApplicationState.PUBLICITY, publicity_starts_at__isnull=False
            )
            .select_related("organization", "institution", "publicity_batch")
            .order_by("publicity_ends_at", "publicity_batch_id", "id")
        )

    @extend_schema(
        request=s.ObjectionCreateSerializer, responses={201: s.ObjectionSerializer, **ERRORS}
    )
    @action(detail=True, methods=["post"], url_name="objections")
    def objections(self, request, pk=None):
        ser = s.ObjectionCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        # A non-numeric id names no entry: the service answers 404 like for any other.
        application_id = int(pk) if pk.isascii() and pk.isdigit() else 0
        objection = services.objection_file(
            application_id=application_id, now=timezone.now(), **ser.validated_data
        )
        return Response(s.ObjectionSerializer(objection).data, status=status.HTTP_201_CREATED)


class PublicityBatchViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericViewSet):
    """M§14(4): the published batches, newest first; their entries are in `public/publicity`
    (each entry names its batch)."""

    permission_classes = [AllowAny]
    authentication_classes = []
    serializer_class = s.PublicityBatchSerializer
    throttle_classes = [PublicThrottle]

    def get_queryset(self):
        return PublicityBatch.objects.filter(starts_at__isnull=False).order_by("-starts_at", "-id")


__all__ = ["ApplicationViewSet", "Evidence", "PublicityBatchViewSet", "PublicityViewSet"]
