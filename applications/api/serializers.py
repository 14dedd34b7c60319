from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..enums import EvaluationKind, Grade
from ..models import (
    Application,
    CriterionScore,
    Evidence,
    ExpertReview,
    MaterialRequest,
    Objection,
    PublicityBatch,
)
from ..services import available_transitions


class EvidenceSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()
    criterion = serializers.SlugRelatedField(read_only=True, slug_field="code", allow_null=True)

    class Meta:
        model = Evidence
        fields = [
            "id",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "description",
            "criterion",
            "material_request",
            "uploaded_at",
            "download_url",
        ]

    def get_download_url(self, obj) -> str:
        return reverse("applications:evidence-download", args=[obj.application_id, obj.pk])


class ExpertReviewSerializer(serializers.ModelSerializer):
    expert = serializers.CharField(source="expert.username")

    class Meta:
        model = ExpertReview
        fields = [
            "expert",
            "round",
            "assigned_at",
            "submitted_at",
            "approves",
            "recommended_grade",
            "computed_grade",
            "score_total",
            "opinion",
            "pick_reason",
            "declared_at",
            "conflict_declared",
        ]


class CriterionScoreSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="criterion.code")
    area = serializers.CharField(source="criterion.area")
    max_score = serializers.DecimalField(
        source="criterion.max_score", max_digits=6, decimal_places=2
    )
    scored_by = serializers.CharField(source="scored_by.username")

    class Meta:
        model = CriterionScore
        fields = ["code", "area", "score", "max_score", "comment", "scored_by", "scored_at"]


class MaterialRequestSerializer(serializers.ModelSerializer):
    """补正: the request, its criteria and deadline, the answer and its files."""

    criteria = serializers.SlugRelatedField(many=True, read_only=True, slug_field="code")
    requested_by = serializers.CharField(source="requested_by.username")
    answered_by = serializers.SlugRelatedField(
        read_only=True, slug_field="username", allow_null=True
    )
    files = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = MaterialRequest
        fields = [
            "id",
            "message",
            "criteria",
            "deadline",
            "overdue",
            "requested_by",
            "requested_at",
            "answer",
            "answered_by",
            "answered_at",
            "files",
        ]

    def get_overdue(self, obj) -> bool:
        from django.utils import timezone

        return obj.is_overdue(timezone.localdate())


class RubricRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    version = serializers.IntegerField()
    title = serializers.CharField()
    is_sample = serializers.BooleanField()


class ApplicationSerializer(serializers.ModelSerializer):
    organization = serializers.SerializerMethodField()
    institution = serializers.SerializerMethodField()
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    available_transitions = serializers.SerializerMethodField()
    total_score = serializers.DecimalField(max_digits=5, decimal_places=2, read_only=True)
    assessors = serializers.SlugRelatedField(many=True, read_only=True, slug_field="username")
    lead_assessor = serializers.SlugRelatedField(read_only=True, slug_field="username")
    previous_certificate = serializers.SlugRelatedField(read_only=True, slug_field="number")
    evidence = EvidenceSerializer(many=True, read_only=True)
    expert_reviews = serializers.SerializerMethodField()
    rubric = RubricRefSerializer(read_only=True, allow_null=True)
    material_requests = MaterialRequestSerializer(many=True, read_only=True)
    criterion_scores = serializers.SerializerMethodField()
    grade_override_reason = serializers.SerializerMethodField()

    class Meta:
        model = Application
        fields = [
            "id",
            "number",
            "state",
            "state_display",
            "available_transitions",
            "kind",
            "requested_grade",
            "previous_certificate",
            "organization",
            "institution",
            "description",
            "declares_independent_legal_person",
            "declares_no_violations",
            "created_at",
            "submitted_at",
            "accepted_at",
            "lead_assessor",
            "assessors",
            "document_review_notes",
            "onsite_visit_on",
            "onsite_findings",
            "score_basic",
            "score_technical",
            "score_service",
            "score_operational",
            "total_score",
            "rubric",
            "criterion_scores",
            "computed_grade",
            "recommended_grade",
            "grade_override_reason",
            "report",
            "final_grade",
            "last_reason",
            "publicity_starts_at",
            "publicity_ends_at",
            "evidence",
            "material_requests",
            "expert_reviews",
        ]

    @extend_schema_field(
        {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "uscc": {"type": "string"},
                "org_type": {"type": "string"},
            },
        }
    )
    def get_organization(self, obj):
        org = obj.organization
        return {"name": org.name, "uscc": org.uscc, "org_type": org.org_type}

    @extend_schema_field(
        {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "name": {"type": "string"},
                "level": {"type": "string"},
            },
        }
    )
    def get_institution(self, obj):
        inst = obj.institution
        return {"id": inst.pk, "name": inst.name, "level": inst.level}

    def get_available_transitions(self, obj) -> list[str]:
        return available_transitions(obj, self.context["request"].user)

    @extend_schema_field(CriterionScoreSerializer(many=True))
    def get_criterion_scores(self, obj):
        """The institution's scores, criterion by criterion (M§14(2))."""
        rows = [r for r in obj.criterion_scores.all() if r.review_id is None]
        return CriterionScoreSerializer(rows, many=True).data

    def get_grade_override_reason(self, obj) -> str:
        """Why the institution recommends another grade than the computed one; not shown to
        the applicant."""
        return "" if self.context["request"].user.is_applicant else obj.grade_override_reason

    @extend_schema_field(ExpertReviewSerializer(many=True))
    def get_expert_reviews(self, obj):
        user = self.context["request"].user
        reviews = list(obj.expert_reviews.all())
        if user.is_center_staff:
            visible = reviews
        elif user.is_expert:
            # M§14(3): the others' opinions only after giving one's own in that round.
            done = {r.round for r in reviews if r.expert_id == user.pk and r.submitted_at}
            visible = [
                r for r in reviews if r.expert_id == user.pk or (r.round in done and r.submitted_at)
            ]
        else:
            visible = []
        return ExpertReviewSerializer(visible, many=True).data


class ApplicationListSerializer(serializers.ModelSerializer):
    organization = serializers.CharField(source="organization.name")
    institution = serializers.CharField(source="institution.name")

    class Meta:
        model = Application
        fields = [
            "id",
            "number",
            "state",
            "kind",
            "requested_grade",
            "final_grade",
            "organization",
            "institution",
            "created_at",
            "updated_at",
        ]


class ApplicationCreateSerializer(serializers.Serializer):
    institution = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=EvaluationKind.choices)
    requested_grade = serializers.ChoiceField(
        choices=Grade.choices, required=False, allow_blank=True, default=""
    )
    description = serializers.CharField(
        required=False, allow_blank=True, max_length=5000, default=""
    )
    declares_independent_legal_person = serializers.BooleanField(default=False)
    declares_no_violations = serializers.BooleanField(default=False)
    previous_certificate = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=32,
        help_text="number of the certificate to re-evaluate (M§16)",
    )


class ApplicationUpdateSerializer(serializers.Serializer):
    requested_grade = serializers.ChoiceField(choices=Grade.choices, required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    declares_independent_legal_person = serializers.BooleanField(required=False)
    declares_no_violations = serializers.BooleanField(required=False)


class TransitionDataSerializer(serializers.Serializer):
    """The data of a transition; which fields each one needs is listed in docs/api.md."""

    reason = serializers.CharField(required=False, allow_blank=True)
    note = serializers.CharField(required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    lead_assessor = serializers.CharField(required=False, help_text="username or id")
    assessors = serializers.ListField(child=serializers.CharField(), required=False)
    experts = serializers.ListField(child=serializers.CharField(), required=False)
    onsite_visit_on = serializers.DateField(required=False)
    onsite_findings = serializers.CharField(required=False, allow_blank=True)
    scores = serializers.DictField(
        child=serializers.CharField(),
        required=False,
        help_text="file_report: criterion code → score (0 … the criterion's maximum)",
    )
    comments = serializers.DictField(
        child=serializers.CharField(),
        required=False,
        help_text="file_report: criterion code → comment (required for every criterion)",
    )
    recommended_grade = serializers.ChoiceField(
        choices=Grade.choices,
        required=False,
        allow_blank=True,
        help_text="empty: the grade computed from the thresholds",
    )
    grade_override_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="required when recommended_grade differs from the computed grade",
    )
    final_grade = serializers.ChoiceField(choices=Grade.choices, required=False)
    report = serializers.CharField(required=False, allow_blank=True)
    criteria = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="return_to_applicant: codes of the criteria concerned",
    )
    deadline = serializers.DateField(
        required=False, help_text="return_to_applicant: answer by (default: in 15 days)"
    )


class EvidenceUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    description = serializers.CharField(required=False, allow_blank=True, max_length=200)
    criterion = serializers.CharField(
        required=False, allow_blank=True, max_length=16, help_text="a criterion code (optional)"
    )


class ExpertOpinionSerializer(serializers.Serializer):
    opinion = serializers.CharField()
    approves = serializers.BooleanField()
    recommended_grade = serializers.ChoiceField(
        choices=Grade.choices, required=False, allow_blank=True, default=""
    )
    scores = serializers.DictField(
        child=serializers.CharField(),
        required=False,
        help_text="optional: criterion code → score; then every criterion with a comment",
    )
    comments = serializers.DictField(child=serializers.CharField(), required=False)


class ExpertDeclarationSerializer(serializers.Serializer):
    has_conflict = serializers.BooleanField()
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="required with a conflict"
    )


class ObjectionCreateSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, allow_blank=True, default="")
    contact = serializers.CharField(required=False, allow_blank=True, default="")
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class ObjectionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Objection
        fields = ["id", "state", "filed_at"]


class PublicityBatchSerializer(serializers.ModelSerializer):
    """M§14(4): a published batch: its number (公示〔year〕第N批) and its 7 days."""

    number = serializers.CharField(read_only=True)

    class Meta:
        model = PublicityBatch
        fields = ["id", "number", "year", "sequence", "starts_at", "ends_at"]


class PublicityEntrySerializer(serializers.ModelSerializer):
    batch = PublicityBatchSerializer(source="publicity_batch", read_only=True, allow_null=True)
    organization = serializers.CharField(source="organization.name")
    uscc = serializers.CharField(source="organization.uscc")
    institution = serializers.CharField(source="institution.name")
    objections_url = serializers.SerializerMethodField()

    class Meta:
        model = Application
        fields = [
            "id",
            "number",
            "organization",
            "uscc",
            "institution",
            "kind",
            "final_grade",
            "publicity_starts_at",
            "publicity_ends_at",
            "batch",
            "objections_url",
        ]

    def get_objections_url(self, obj) -> str:
        return reverse("api:publicity-objections", args=[obj.pk])
