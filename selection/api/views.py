"""M§5 over the API: `/api/v1/self-evaluations/`, `/api/v1/selections/` (the buyer's side)
and `/api/v1/selection-invitations/` (the candidate's side). Every read goes through the
models' `for_user`, so another organisation gets 404."""

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from applications.enums import CapabilityArea
from ietsportal.api import TenantScopedViewSet
from ietsportal.errors import NotPermitted

from .. import services
from ..models import Candidate, SelectionProject, SelfEvaluation
from . import serializers as s

ERRORS = {
    code: OpenApiResponse(description=text)
    for code, text in [
        (400, "invalid data, with a message"),
        (403, "not allowed for you"),
        (404, "not found or outside your scope"),
        (409, "not possible in the current state"),
    ]
}


def _valid(serializer_class, request):
    ser = serializer_class(data=request.data)
    ser.is_valid(raise_exception=True)
    return ser.validated_data


@extend_schema_view(
    list=extend_schema(summary="Your organisation's self-evaluations (M§5)"),
    retrieve=extend_schema(summary="One self-evaluation with its result and gaps"),
)
class SelfEvaluationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    """Self-evaluations (M§5): private to the organisation that ran them."""

    model = SelfEvaluation
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        qs = super().get_queryset().select_related("rubric", "application")
        return qs if self.action == "list" else qs.prefetch_related("scores", "evidence")

    def get_serializer_class(self):
        if self.action == "list":
            return s.SelfEvaluationListSerializer
        return s.SelfEvaluationSerializer

    def _detail(self, pk, code=status.HTTP_200_OK):
        evaluation = self.get_queryset().prefetch_related("scores", "evidence").get(pk=pk)
        return Response(s.SelfEvaluationSerializer(evaluation).data, status=code)

    @extend_schema(
        request=s.SelfEvaluationCreateSerializer,
        responses={201: s.SelfEvaluationSerializer, **ERRORS},
    )
    def create(self, request):
        data = _valid(s.SelfEvaluationCreateSerializer, request)
        evaluation = services.self_evaluation_create(actor=request.user, now=timezone.now(), **data)
        return self._detail(evaluation.pk, status.HTTP_201_CREATED)

    @extend_schema(
        request=s.ScoresSerializer, responses={200: s.SelfEvaluationSerializer, **ERRORS}
    )
    def partial_update(self, request, pk=None):
        evaluation = self.get_object()
        data = _valid(s.ScoresSerializer, request)
        services.self_evaluation_score(
            actor=request.user, evaluation_id=evaluation.pk, now=timezone.now(), **data
        )
        return self._detail(evaluation.pk)

    @extend_schema(
        request={"multipart/form-data": s.SelfEvaluationEvidenceUploadSerializer},
        responses={201: s.SelfEvaluationEvidenceSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def evidence(self, request, pk=None):
        evaluation = self.get_object()
        data = _valid(s.SelfEvaluationEvidenceUploadSerializer, request)
        item = services.self_evaluation_evidence_add(
            actor=request.user,
            evaluation_id=evaluation.pk,
            upload=data.get("file"),
            code=data["code"],
            description=data["description"],
            now=timezone.now(),
        )
        return Response(s.SelfEvaluationEvidenceSerializer(item).data, status=201)

    @extend_schema(request=None, responses={200: s.SelfEvaluationSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        evaluation = self.get_object()
        services.self_evaluation_complete(
            actor=request.user, evaluation_id=evaluation.pk, now=timezone.now()
        )
        return self._detail(evaluation.pk)

    @extend_schema(request=None, responses={200: s.SelfEvaluationSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        evaluation = self.get_object()
        services.self_evaluation_withdraw(
            actor=request.user, evaluation_id=evaluation.pk, now=timezone.now()
        )
        return self._detail(evaluation.pk)

    @extend_schema(
        request=s.ToApplicationSerializer, responses={201: s.ApplicationRefSerializer, **ERRORS}
    )
    @action(detail=True, methods=["post"])
    def application(self, request, pk=None):
        evaluation = self.get_object()
        data = _valid(s.ToApplicationSerializer, request)
        application = services.self_evaluation_to_application(
            actor=request.user,
            evaluation_id=evaluation.pk,
            institution_id=data["institution"],
            requested_grade=data["requested_grade"],
            now=timezone.now(),
        )
        return Response({"id": application.pk, "number": application.number}, status=201)


@extend_schema_view(
    list=extend_schema(summary="Your organisation's selection projects (M§5)"),
    retrieve=extend_schema(summary="A selection project with its comparison and decision"),
)
class SelectionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    """Supplier selection (M§5), the buyer's side."""

    model = SelectionProject

    def get_queryset(self):
        return super().get_queryset().select_related("chosen__organization")

    def get_serializer_class(self):
        return s.SelectionListSerializer if self.action == "list" else s.SelectionSerializer

    def _detail(self, pk, code=status.HTTP_200_OK):
        return Response(s.SelectionSerializer(self.get_queryset().get(pk=pk)).data, status=code)

    @extend_schema(
        request=s.SelectionCreateSerializer, responses={201: s.SelectionSerializer, **ERRORS}
    )
    def create(self, request):
        if not request.user.is_applicant:
            raise NotPermitted()
        data = dict(_valid(s.SelectionCreateSerializer, request))
        weights = data.pop("weights")
        unknown = set(weights) - set(CapabilityArea.values)
        if unknown:
            from django.utils.translation import gettext as _

            from ietsportal.errors import InvalidInput

            raise InvalidInput(
                _("Weights are given for basic, technical, service and operational."),
                field="weights",
            )
        project = services.selection_create(
            actor=request.user, weights=weights, now=timezone.now(), **data
        )
        return self._detail(project.pk, status.HTTP_201_CREATED)

    @extend_schema(request=s.InviteSerializer, responses={201: s.SelectionSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def candidates(self, request, pk=None):
        project = self.get_object()
        data = _valid(s.InviteSerializer, request)
        services.selection_invite(
            actor=request.user,
            project_id=project.pk,
            organization_id=data["organization"],
            uscc=data["uscc"],
            now=timezone.now(),
        )
        return self._detail(project.pk, status.HTTP_201_CREATED)

    @extend_schema(request=s.DecideSerializer, responses={200: s.SelectionSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def decision(self, request, pk=None):
        project = self.get_object()
        data = _valid(s.DecideSerializer, request)
        services.selection_decide(
            actor=request.user,
            project_id=project.pk,
            candidate_id=data["candidate"],
            reason=data["reason"],
            now=timezone.now(),
        )
        return self._detail(project.pk)


@extend_schema_view(
    list=extend_schema(summary="Invitations your organisation received as a candidate"),
    retrieve=extend_schema(summary="One invitation"),
)
class InvitationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    """Supplier selection (M§5), the candidate's side: its own invitations only."""

    model = Candidate
    serializer_class = s.InvitationSerializer

    def get_queryset(self):
        return super().get_queryset().select_related("project__buyer")

    @extend_schema(request=s.AnswerSerializer, responses={200: s.InvitationSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        candidate = self.get_object()
        data = _valid(s.AnswerSerializer, request)
        services.candidate_answer(
            actor=request.user,
            candidate_id=candidate.pk,
            accept=data["accept"],
            sharing=data["sharing"],
            self_evaluation_id=data["self_evaluation"],
            now=timezone.now(),
        )
        return Response(s.InvitationSerializer(self.get_queryset().get(pk=candidate.pk)).data)
