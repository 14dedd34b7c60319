"""API of institutions, assessors and experts (docs/api.md): the public directories, and the
same services as the pages for designation, roster, supervision and the expert pool."""

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

from ietsportal.api import TenantScopedViewSet
from ietsportal.errors import InvalidInput, NotFound

from . import services
from .enums import ContractType, DesignationDocumentKind, InstitutionLevel, SupervisionGround
from .models import Assessor, Designation, DesignationDocument, Expert, Institution
from .selectors import staffing_of, with_staffing
from .views.public import directory_assessors, directory_institutions

ERRORS = {
    code: OpenApiResponse(description=text)
    for code, text in [
        (400, "invalid data, with a message"),
        (403, "not allowed for you"),
        (404, "not found or outside your scope"),
        (409, "not possible in the current state"),
    ]
}


# ---- public directories (R§13–14)


class InstitutionSerializer(serializers.ModelSerializer):
    region_name = serializers.CharField(read_only=True)
    accepting = serializers.BooleanField(source="is_accepting", read_only=True)
    since = serializers.SerializerMethodField()
    registered_assessors = serializers.IntegerField(source="n_registered", read_only=True)

    class Meta:
        model = Institution
        fields = [
            "id",
            "name",
            "uscc",
            "level",
            "region",
            "region_name",
            "state",
            "since",
            "accepting",
            "registered_assessors",
        ]

    def get_since(self, obj) -> str | None:
        since = obj.state_changed_at or obj.approved_at
        return since.isoformat() if since else None


DIRECTORY_PARAMS = [
    OpenApiParameter("q", str, description="name (part) or USCC"),
    OpenApiParameter("level", str, enum=InstitutionLevel.values),
    OpenApiParameter("region", str, description="two-digit province code"),
    OpenApiParameter(
        "available", bool, description="applicants: only institutions that may take them"
    ),
]


@extend_schema(parameters=DIRECTORY_PARAMS)
class InstitutionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericViewSet):
    """R§13–14: the public directory of approved institutions (suspended ones marked, stopped
    ones gone). An applicant sees which may take it with `?available=1` (M§10)."""

    permission_classes = [AllowAny]
    serializer_class = InstitutionSerializer

    def get_queryset(self):
        user = self.request.user
        if self.request.query_params.get("available") and getattr(user, "is_applicant", False):
            return with_staffing(Institution.objects.available_to(user.organization)).order_by(
                "level", "name", "pk"
            )
        return directory_institutions(self.request.query_params)


class PublicAssessorSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name", read_only=True)
    id_number = serializers.CharField(source="id_number_masked", read_only=True)
    institution = serializers.CharField(source="institution.name", read_only=True)
    institution_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = Assessor
        fields = [
            "id",
            "registration_number",
            "name",
            "id_number",
            "institution",
            "institution_id",
            "state",
            "registered_at",
        ]


@extend_schema(
    parameters=[
        OpenApiParameter("q", str, description="name, registration number or institution"),
        OpenApiParameter("institution", int),
    ]
)
class PublicAssessorViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericViewSet):
    """R§14(3): registered assessors, personal data masked."""

    permission_classes = [AllowAny]
    serializer_class = PublicAssessorSerializer

    def get_queryset(self):
        return directory_assessors(self.request.query_params)


# ---- designation (R§7, R§13)


class OpinionSerializer(serializers.Serializer):
    expert = serializers.CharField(source="expert.username")
    approves = serializers.BooleanField(allow_null=True)
    opinion = serializers.CharField()
    submitted_at = serializers.DateTimeField(allow_null=True)


class DesignationDocumentSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = DesignationDocument
        fields = [
            "id",
            "kind",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "uploaded_at",
            "download_url",
        ]

    def get_download_url(self, obj) -> str:
        return reverse("institutions:designation-document", args=[obj.designation_id, obj.pk])


class DesignationDocumentUploadSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DesignationDocumentKind.choices)
    file = serializers.FileField()


class DesignationSerializer(serializers.ModelSerializer):
    institution = InstitutionSerializer(read_only=True)
    organization = serializers.CharField(source="organization.name", read_only=True)
    opinions = serializers.SerializerMethodField()
    documents = DesignationDocumentSerializer(many=True, read_only=True)

    class Meta:
        model = Designation
        fields = [
            "id",
            "institution",
            "organization",
            "personnel",
            "technical_means",
            "infrastructure",
            "declares_good_credit",
            "declares_independence",
            "submitted_at",
            "review_notes",
            "decision_reason",
            "decided_at",
            "opinions",
            "documents",
        ]

    @extend_schema_field(OpinionSerializer(many=True))
    def get_opinions(self, obj):
        user = self.context["request"].user
        rows = obj.opinions.select_related("expert")
        if not user.is_center_staff:
            rows = rows.filter(expert=user)
        return OpinionSerializer(rows, many=True).data


class DesignationApplySerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    level = serializers.ChoiceField(choices=InstitutionLevel.choices)
    region = serializers.CharField(max_length=2, required=False, allow_blank=True, default="")
    established_on = serializers.DateField()
    personnel = serializers.CharField(max_length=5000)
    technical_means = serializers.CharField(max_length=5000)
    infrastructure = serializers.CharField(max_length=5000)
    declares_good_credit = serializers.BooleanField(default=False)
    declares_independence = serializers.BooleanField(default=False)


class DesignationActionSerializer(serializers.Serializer):
    """`start_review`: notes, panel_size; `opinion`: approves, opinion; `decide`: approve,
    reason."""

    notes = serializers.CharField(required=False, allow_blank=True, default="")
    panel_size = serializers.IntegerField(required=False, min_value=1, max_value=15)
    approves = serializers.BooleanField(required=False, allow_null=True, default=None)
    opinion = serializers.CharField(required=False, allow_blank=True, default="")
    approve = serializers.BooleanField(required=False, allow_null=True, default=None)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class DesignationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    """Designations the caller may see: the center all, an organisation its own, an expert
    those whose panel it sits on."""

    model = Designation
    serializer_class = DesignationSerializer

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("institution", "organization")
            .prefetch_related("documents")
            .order_by("-submitted_at", "-pk")
        )

    def _detail(self, pk, code=status.HTTP_200_OK):
        obj = self.get_queryset().get(pk=pk)
        return Response(self.get_serializer(obj).data, status=code)

    @extend_schema(
        request=DesignationApplySerializer, responses={201: DesignationSerializer, **ERRORS}
    )
    def create(self, request):
        ser = DesignationApplySerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        designation = services.designation_apply(
            actor=request.user, now=timezone.now(), **ser.validated_data
        )
        return self._detail(designation.pk, status.HTTP_201_CREATED)

    @extend_schema(
        request={"multipart/form-data": DesignationDocumentUploadSerializer},
        responses={
            201: DesignationDocumentSerializer,
            413: OpenApiResponse(description="the file is too large"),
            415: OpenApiResponse(description="the file's type is not accepted"),
            **ERRORS,
        },
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def documents(self, request, pk=None):
        """R§13(1): the applicant organisation files a supporting document (`kind`, `file`)."""
        designation = self.get_object()
        document = services.designation_document_add(
            designation_id=designation.pk,
            actor=request.user,
            kind=str(request.data.get("kind", ""))[:32],
            upload=request.FILES.get("file"),
            now=timezone.now(),
        )
        return Response(
            DesignationDocumentSerializer(document).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        request=DesignationActionSerializer, responses={200: DesignationSerializer, **ERRORS}
    )
    @action(detail=True, methods=["post"], url_path=r"actions/(?P<name>[a-z_]{1,20})")
    def actions(self, request, pk=None, name=None):
        """`start_review` (center), `opinion` (panel expert), `decide` (center)."""
        designation = self.get_object()
        ser = DesignationActionSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d, now = ser.validated_data, timezone.now()
        if name == "start_review":
            services.designation_start_expert_review(
                designation_id=designation.pk,
                actor=request.user,
                notes=d["notes"],
                panel_size=d.get("panel_size"),
                now=now,
            )
        elif name == "opinion":
            services.designation_opinion_submit(
                designation_id=designation.pk,
                actor=request.user,
                approves=d["approves"],
                opinion=d["opinion"],
                now=now,
            )
        elif name == "decide":
            services.designation_decide(
                designation_id=designation.pk,
                actor=request.user,
                approve=d["approve"],
                reason=d["reason"],
                now=now,
            )
        else:
            raise NotFound()
        return self._detail(designation.pk)


# ---- roster and supervision (R§8, R§10–11, R§14, R§16)


class StaffingSerializer(serializers.Serializer):
    assessors = serializers.IntegerField()
    full_time = serializers.IntegerField()
    min_assessors = serializers.IntegerField()
    min_full_time = serializers.IntegerField()
    meets = serializers.BooleanField()


class ManagedInstitutionSerializer(InstitutionSerializer):
    staffing = serializers.SerializerMethodField()
    staffing_short_since = serializers.DateTimeField(read_only=True)
    staffing_checked_at = serializers.DateTimeField(read_only=True)

    class Meta(InstitutionSerializer.Meta):
        fields = [
            *InstitutionSerializer.Meta.fields,
            "staffing",
            "staffing_short_since",
            "staffing_checked_at",
        ]

    @extend_schema_field(StaffingSerializer)
    def get_staffing(self, obj):
        s = staffing_of(obj)
        return StaffingSerializer({**s.params(), "meets": s.meets}).data


class SupervisionSerializer(serializers.Serializer):
    grounds = serializers.ChoiceField(
        choices=SupervisionGround.choices, required=False, allow_blank=True, default=""
    )
    explanation = serializers.CharField(max_length=5000, allow_blank=True, default="")
    evidence = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    evidence_file = serializers.FileField(
        required=False, help_text="multipart only: a document the action rests on"
    )


class SupervisionResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    state = serializers.CharField()


class ManagedInstitutionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet
):
    """The institution as its admins and the center see it: staffing (R§8) and supervision
    (R§16: `suspend`, `reinstate`, `stop`, center only)."""

    model = Institution
    serializer_class = ManagedInstitutionSerializer

    def get_queryset(self):
        return with_staffing(super().get_queryset()).order_by("level", "name", "pk")

    @extend_schema(
        request={
            "application/json": SupervisionSerializer,
            "multipart/form-data": SupervisionSerializer,
        },
        responses={200: SupervisionResultSerializer, **ERRORS},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"actions/(?P<name>[a-z_]{1,20})",
        parser_classes=[JSONParser, FormParser, MultiPartParser],
    )
    def actions(self, request, pk=None, name=None):
        institution = self.get_object()
        ser = SupervisionSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d, now = ser.validated_data, timezone.now()
        kwargs = {
            "explanation": d["explanation"],
            "evidence": d["evidence"],
            "evidence_file": d.get("evidence_file"),
            "now": now,
        }
        if name == "suspend":
            row = services.institution_suspend(
                institution_id=institution.pk, actor=request.user, grounds=d["grounds"], **kwargs
            )
        elif name == "stop":
            row = services.institution_stop(
                institution_id=institution.pk, actor=request.user, grounds=d["grounds"], **kwargs
            )
        elif name == "reinstate":
            row = services.institution_reinstate(
                institution_id=institution.pk, actor=request.user, **kwargs
            )
        else:
            raise NotFound()
        institution.refresh_from_db()
        return Response({"id": row.pk, "kind": row.kind, "state": institution.state})


class AssessorSerializer(serializers.ModelSerializer):
    id_number = serializers.CharField(source="id_number_masked", read_only=True)
    username = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = Assessor
        fields = [
            "id",
            "institution",
            "registration_number",
            "full_name",
            "id_number",
            "username",
            "contract_type",
            "full_time",
            "qualifications",
            "state",
            "nominated_at",
            "registered_at",
        ]


class NominationSerializer(serializers.Serializer):
    full_name = serializers.CharField(max_length=100)
    id_number = serializers.CharField(max_length=40)
    username = serializers.CharField(max_length=150)
    email = serializers.EmailField()
    contract_type = serializers.ChoiceField(choices=ContractType.choices)
    full_time = serializers.BooleanField()
    qualifications = serializers.CharField(max_length=5000, required=False, allow_blank=True)


class AssessorActionSerializer(SupervisionSerializer):
    """`register` (center; `explanation` is an optional note), `suspend`, `reinstate`
    (center), `remove` (center, or the institution releasing its own), `update` (the
    institution: `contract_type`, `full_time`)."""

    contract_type = serializers.ChoiceField(choices=ContractType.choices, required=False)
    full_time = serializers.BooleanField(required=False, allow_null=True, default=None)


class AssessorViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    """Nominations and assessors: the center sees all, an institution its own."""

    model = Assessor
    serializer_class = AssessorSerializer
    filterset_fields = ["state", "institution"]

    def get_queryset(self):
        return super().get_queryset().select_related("user").order_by("pk")

    @extend_schema(request=NominationSerializer, responses={201: AssessorSerializer, **ERRORS})
    def create(self, request):
        ser = NominationSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        assessor = services.assessor_nominate(
            actor=request.user, now=timezone.now(), **ser.validated_data
        )
        return Response(AssessorSerializer(assessor).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request={
            "application/json": AssessorActionSerializer,
            "multipart/form-data": AssessorActionSerializer,
        },
        responses={200: AssessorSerializer, **ERRORS},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"actions/(?P<name>[a-z_]{1,20})",
        parser_classes=[JSONParser, FormParser, MultiPartParser],
    )
    def actions(self, request, pk=None, name=None):
        assessor = self.get_object()
        ser = AssessorActionSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d, now, user = ser.validated_data, timezone.now(), request.user
        texts = {
            "explanation": d["explanation"],
            "evidence": d["evidence"],
            "evidence_file": d.get("evidence_file"),
        }
        if name == "register":
            services.assessor_register(
                assessor_id=assessor.pk, actor=user, note=d["explanation"], now=now
            )
        elif name == "suspend":
            services.assessor_suspend(
                assessor_id=assessor.pk, actor=user, grounds=d["grounds"], now=now, **texts
            )
        elif name == "reinstate":
            services.assessor_reinstate(assessor_id=assessor.pk, actor=user, now=now, **texts)
        elif name == "remove":
            services.assessor_remove(
                assessor_id=assessor.pk, actor=user, grounds=d["grounds"], now=now, **texts
            )
        elif name == "update":
            if "contract_type" not in d:
                raise InvalidInput(field="contract_type")
            services.assessor_update(
                assessor_id=assessor.pk,
                actor=user,
                contract_type=d["contract_type"],
                full_time=d["full_time"],
                now=now,
            )
        else:
            raise NotFound()
        assessor.refresh_from_db()
        return Response(AssessorSerializer(assessor).data)


# ---- the expert pool (M§8)


class ExpertSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    name = serializers.CharField(source="user.display_name", read_only=True)
    conflicts = serializers.SerializerMethodField()

    class Meta:
        model = Expert
        fields = [
            "id",
            "username",
            "name",
            "fields_of_expertise",
            "employer",
            "employer_name",
            "available",
            "max_open_reviews",
            "conflicts",
        ]

    def get_conflicts(self, obj) -> list[str]:
        return sorted(obj.user.conflict_declarations.values_list("organization__uscc", flat=True))


class ExpertWriteSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, required=False)
    display_name = serializers.CharField(max_length=100, required=False)
    email = serializers.EmailField(required=False)
    fields_of_expertise = serializers.CharField(max_length=300)
    employer = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1, max_value=2**31 - 1
    )
    employer_name = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
    available = serializers.BooleanField(default=True)
    max_open_reviews = serializers.IntegerField(min_value=1, max_value=50, default=5)


class CenterExpertQuerySetMixin:
    def get_queryset(self):
        user = self.request.user
        if not getattr(user, "is_center_staff", False):
            return Expert.objects.none()
        return Expert.objects.select_related("user").order_by("user__username")


class ExpertViewSet(
    CenterExpertQuerySetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericViewSet
):
    """M§8: the center's expert pool (center staff only; anyone else sees an empty list and
    404s)."""

    serializer_class = ExpertSerializer

    @extend_schema(request=ExpertWriteSerializer, responses={201: ExpertSerializer, **ERRORS})
    def create(self, request):
        if not request.user.is_center_staff:
            raise NotFound()
        ser = ExpertWriteSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = dict(ser.validated_data)
        expert = services.expert_create(
            actor=request.user,
            username=d.pop("username", ""),
            display_name=d.pop("display_name", ""),
            email=d.pop("email", ""),
            employer_id=d.pop("employer"),
            now=timezone.now(),
            **d,
        )
        return Response(ExpertSerializer(expert).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ExpertWriteSerializer, responses={200: ExpertSerializer, **ERRORS})
    def partial_update(self, request, pk=None):
        expert = self.get_object()
        ser = ExpertWriteSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = dict(ser.validated_data)
        for key in ("username", "display_name", "email"):
            d.pop(key, None)
        services.expert_update(
            actor=request.user,
            expert_id=expert.pk,
            employer_id=d.pop("employer"),
            now=timezone.now(),
            **d,
        )
        expert.refresh_from_db()
        return Response(ExpertSerializer(expert).data)
