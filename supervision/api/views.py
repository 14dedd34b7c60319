from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

from ietsportal.api import PublicThrottle, TenantScopedViewSet

from .. import services
from ..enums import CaseKind
from ..models import Case
from . import serializers as s


def _input(serializer_class, request):
    ser = serializer_class(data=request.data)
    ser.is_valid(raise_exception=True)
    return ser.validated_data


def _files(request, name="evidence"):
    return request.FILES.getlist(name) if hasattr(request.FILES, "getlist") else []


class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    """M§23–26: cases. The center sees all; a filer sees their own; others get 404."""

    model = Case
    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        qs = (
            super()
            .get_queryset()
            .select_related("owner", "application", "certificate", "institution", "assessor")
        )
        if self.action == "list":
            state = self.request.query_params.get("state")
            if state:
                qs = qs.filter(state=state[:16])
            return qs
        return qs.prefetch_related("notes__author", "evidence")

    def get_serializer_class(self):
        return s.CaseListSerializer if self.action == "list" else s.CaseSerializer

    def _detail(self, pk, code=200):
        case = self.get_queryset().prefetch_related("notes__author", "evidence").get(pk=pk)
        return Response(s.CaseSerializer(case, context={"request": self.request}).data, status=code)

    @extend_schema(request=s.CaseInput, responses={201: s.CaseSerializer})
    def create(self, request):
        data = _input(s.CaseInput, request)
        data.pop("evidence", None)
        case, _code = services.case_file(
            actor=request.user, evidence=_files(request), now=timezone.now(), **data
        )
        return self._detail(case.pk, 201)

    @extend_schema(request=s.CaseStartInput, responses={200: s.CaseSerializer})
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        case = self.get_object()
        data = _input(s.CaseStartInput, request)
        services.case_start(
            case_id=case.pk, actor=request.user, owner_id=data["owner"], now=timezone.now()
        )
        return self._detail(case.pk)

    @extend_schema(request=s.CaseNoteInput, responses={201: s.CaseSerializer})
    @action(detail=True, methods=["post"])
    def notes(self, request, pk=None):
        case = self.get_object()
        data = _input(s.CaseNoteInput, request)
        services.case_note_add(case_id=case.pk, actor=request.user, now=timezone.now(), **data)
        return self._detail(case.pk, 201)

    @extend_schema(request=s.CaseEvidenceInput, responses={201: s.CaseSerializer})
    @action(detail=True, methods=["post"])
    def evidence(self, request, pk=None):
        case = self.get_object()
        data = _input(s.CaseEvidenceInput, request)
        services.case_evidence_add(
            case_id=case.pk, actor=request.user, upload=data["file"], now=timezone.now()
        )
        return self._detail(case.pk, 201)

    @extend_schema(request=s.CaseDecideInput, responses={200: s.CaseSerializer})
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        case = self.get_object()
        data = _input(s.CaseDecideInput, request)
        services.case_decide(case_id=case.pk, actor=request.user, now=timezone.now(), **data)
        return self._detail(case.pk)


class PublicReportViewSet(GenericViewSet):
    """M§23: anyone reports misconduct (举报) without an account, and follows the report with
    the receipt code returned once."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [PublicThrottle]
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    serializer_class = s.ReportInput
    queryset = Case.objects.none()

    @extend_schema(request=s.ReportInput, responses={201: s.ReportReceipt})
    def create(self, request):
        data = _input(s.ReportInput, request)
        data.pop("evidence", None)
        case, code = services.case_file(
            actor=None,
            kind=CaseKind.REPORT,
            evidence=_files(request),
            now=timezone.now(),
            **data,
        )
        return Response(
            {"number": case.number, "receipt_code": code, "deadline": case.deadline},
            status=201,
            headers={"Cache-Control": "no-store"},
        )

    @extend_schema(request=s.ReceiptInput, responses={200: s.ReceiptCase})
    @action(detail=False, methods=["post"])
    def receipt(self, request):
        data = _input(s.ReceiptInput, request)
        case = services.case_by_receipt(data["code"])
        return Response(s.ReceiptCase(case).data, headers={"Cache-Control": "no-store"})
