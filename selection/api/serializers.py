from django.urls import reverse
from rest_framework import serializers

from applications.enums import EvaluationKind, Grade

from ..enums import Sharing
from ..models import Candidate, SelectionProject, SelfEvaluation, SelfEvaluationEvidence


class SelfEvaluationEvidenceSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = SelfEvaluationEvidence
        fields = [
            "id",
            "code",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "description",
            "uploaded_at",
            "download_url",
        ]

    def get_download_url(self, obj) -> str:
        return reverse("selection:self-evaluation-evidence", args=[obj.evaluation_id, obj.pk])


class SelfEvaluationListSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(source="rubric.kind")
    rubric_version = serializers.IntegerField(source="rubric.version")

    class Meta:
        model = SelfEvaluation
        fields = [
            "id",
            "title",
            "kind",
            "rubric",
            "rubric_version",
            "state",
            "total",
            "grade",
            "area_scores",
            "created_at",
            "completed_at",
            "withdrawn_at",
        ]


class CriterionResultSerializer(serializers.Serializer):
    code = serializers.CharField()
    area = serializers.CharField()
    score = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    max_score = serializers.DecimalField(max_digits=6, decimal_places=2)
    note = serializers.CharField()
    gain = serializers.DecimalField(
        max_digits=6, decimal_places=2, help_text="points of total at full marks"
    )


class ResultSerializer(serializers.Serializer):
    areas = serializers.DictField(child=serializers.DecimalField(max_digits=5, decimal_places=2))
    total = serializers.DecimalField(max_digits=5, decimal_places=2)
    grade = serializers.CharField()
    next_grade = serializers.CharField()
    gap_to_next = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    missing = serializers.ListField(child=serializers.CharField())
    best_gains = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="per area, the codes of the criteria that would gain most",
    )


class SelfEvaluationSerializer(SelfEvaluationListSerializer):
    criteria = serializers.SerializerMethodField()
    result = serializers.SerializerMethodField()
    evidence = SelfEvaluationEvidenceSerializer(many=True, read_only=True)
    application = serializers.SlugRelatedField(slug_field="number", read_only=True)

    class Meta(SelfEvaluationListSerializer.Meta):
        fields = [
            *SelfEvaluationListSerializer.Meta.fields,
            "criteria",
            "result",
            "evidence",
            "application",
        ]

    def _report(self, obj):
        from ..selectors import self_evaluation_report

        if not hasattr(obj, "_report"):
            obj._report = self_evaluation_report(obj)
        return obj._report

    @staticmethod
    def _rows(report):
        return [row for area in report["areas"] for row in area["rows"]]

    def get_criteria(self, obj) -> CriterionResultSerializer(many=True):
        return CriterionResultSerializer(
            [
                {
                    "code": r.criterion.code,
                    "area": r.criterion.area,
                    "score": r.score,
                    "max_score": r.criterion.max_score,
                    "note": r.note,
                    "gain": r.gain,
                }
                for r in self._rows(self._report(obj))
            ],
            many=True,
        ).data

    def get_result(self, obj) -> ResultSerializer:
        report = self._report(obj)
        result = report["result"]
        return ResultSerializer(
            {
                "areas": result.areas,
                "total": result.total,
                "grade": result.grade,
                "next_grade": result.next_grade,
                "gap_to_next": result.gap_to_next,
                "missing": result.missing,
                "best_gains": {
                    area["code"]: [r.criterion.code for r in area["best_gains"]]
                    for area in report["areas"]
                },
            }
        ).data


class SelfEvaluationCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=EvaluationKind.choices)
    title = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")


class ScoresSerializer(serializers.Serializer):
    scores = serializers.DictField(
        child=serializers.CharField(allow_blank=True, allow_null=True),
        required=False,
        default=dict,
        help_text="criterion code → score (0 … its maximum); empty clears it",
    )
    notes = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=2000),
        required=False,
        default=dict,
    )


class SelfEvaluationEvidenceUploadSerializer(serializers.Serializer):
    file = serializers.FileField(required=False)
    code = serializers.CharField(required=False, allow_blank=True, default="", max_length=16)
    description = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=200
    )


class ToApplicationSerializer(serializers.Serializer):
    institution = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    requested_grade = serializers.ChoiceField(
        choices=Grade.choices, required=False, allow_blank=True, default=""
    )


class ApplicationRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()


# ---- selection


class WeightsSerializer(serializers.Serializer):
    basic = serializers.IntegerField()
    technical = serializers.IntegerField()
    service = serializers.IntegerField()
    operational = serializers.IntegerField()


class SelectionListSerializer(serializers.ModelSerializer):
    weights = WeightsSerializer(read_only=True)

    class Meta:
        model = SelectionProject
        fields = [
            "id",
            "title",
            "description",
            "weights",
            "min_grade",
            "requires_valid_certificate",
            "requires_innovation",
            "state",
            "created_at",
        ]


class CertificateRefSerializer(serializers.Serializer):
    number = serializers.CharField()
    kind = serializers.CharField()
    status = serializers.CharField(help_text="live, from the register")
    grade = serializers.CharField()
    expires_on = serializers.DateField()


class SharedEvaluationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    rubric_kind = serializers.CharField()
    rubric_version = serializers.IntegerField()
    total = serializers.DecimalField(max_digits=5, decimal_places=2)
    grade = serializers.CharField()
    areas = serializers.DictField(child=serializers.CharField())


class RequirementSerializer(serializers.Serializer):
    label = serializers.CharField()
    met = serializers.BooleanField()


class ComparisonRowSerializer(serializers.Serializer):
    candidate = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    organization = serializers.CharField()
    uscc = serializers.CharField()
    state = serializers.CharField()
    sharing = serializers.CharField()
    certificate = CertificateRefSerializer(allow_null=True)
    innovation_certificate = serializers.CharField(allow_null=True)
    shared_self_evaluation = SharedEvaluationSerializer(allow_null=True)
    weighted_score = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    rank = serializers.IntegerField(allow_null=True)
    ranked_by = serializers.CharField()
    requirements = RequirementSerializer(many=True)
    meets_all = serializers.BooleanField()


def comparison_data(rows) -> list[dict]:
    data = []
    for row in rows:
        c, shared = row.candidate, row.shared
        data.append(
            {
                "candidate": c.pk,
                "organization": c.organization.name,
                "uscc": c.organization.uscc,
                "state": c.state,
                "sharing": c.sharing,
                "certificate": {
                    "number": row.certificate.number,
                    "kind": row.certificate.kind,
                    "status": row.status,
                    "grade": row.certificate.grade,
                    "expires_on": row.certificate.expires_on,
                }
                if row.certificate
                else None,
                "innovation_certificate": row.innovation.number if row.innovation else None,
                "shared_self_evaluation": {
                    "id": shared.pk,
                    "rubric_kind": shared.rubric.kind,
                    "rubric_version": shared.rubric.version,
                    "total": shared.total,
                    "grade": shared.grade,
                    "areas": shared.area_scores,
                }
                if shared
                else None,
                "weighted_score": row.weighted,
                "rank": row.rank,
                "ranked_by": row.ranked_by,
                "requirements": [
                    {"label": str(label), "met": met} for label, met in row.requirements
                ],
                "meets_all": row.meets_all,
            }
        )
    return ComparisonRowSerializer(data, many=True).data


class SelectionDecisionSerializer(serializers.Serializer):
    chosen = serializers.CharField(allow_null=True)
    reason = serializers.CharField()
    decided_at = serializers.DateTimeField(allow_null=True)


class SelectionSerializer(SelectionListSerializer):
    comparison = serializers.SerializerMethodField()
    decision = serializers.SerializerMethodField()

    class Meta(SelectionListSerializer.Meta):
        fields = [*SelectionListSerializer.Meta.fields, "comparison", "decision"]

    def get_comparison(self, obj) -> ComparisonRowSerializer(many=True):
        from django.utils import timezone

        from ..selectors import comparison

        return comparison_data(comparison(obj, today=timezone.localdate()))

    def get_decision(self, obj) -> SelectionDecisionSerializer(allow_null=True):
        if obj.chosen_id is None:
            return None
        return SelectionDecisionSerializer(
            {
                "chosen": obj.chosen.organization.name,
                "reason": obj.decision_reason,
                "decided_at": obj.decided_at,
            }
        ).data


class SelectionCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(
        max_length=5000, required=False, allow_blank=True, default=""
    )
    weights = serializers.DictField(
        child=serializers.CharField(),
        help_text="basic, technical, service, operational: whole numbers adding up to 100",
    )
    min_grade = serializers.ChoiceField(
        choices=Grade.choices, required=False, allow_blank=True, default=""
    )
    requires_valid_certificate = serializers.BooleanField(required=False, default=False)
    requires_innovation = serializers.BooleanField(required=False, default=False)


class InviteSerializer(serializers.Serializer):
    organization = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1, max_value=2**63 - 1
    )
    uscc = serializers.CharField(required=False, allow_blank=True, default="", max_length=40)


class DecideSerializer(serializers.Serializer):
    candidate = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    reason = serializers.CharField(max_length=5000)


class InvitationSerializer(serializers.ModelSerializer):
    """The candidate's view: the buyer, its weights and requirements, its own answer —
    never the other candidates."""

    project = serializers.CharField(source="project.title")
    buyer = serializers.CharField(source="project.buyer.name")
    weights = WeightsSerializer(source="project.weights")
    min_grade = serializers.CharField(source="project.min_grade")
    requires_valid_certificate = serializers.BooleanField(
        source="project.requires_valid_certificate"
    )
    requires_innovation = serializers.BooleanField(source="project.requires_innovation")
    project_state = serializers.CharField(source="project.state")

    class Meta:
        model = Candidate
        fields = [
            "id",
            "project",
            "buyer",
            "weights",
            "min_grade",
            "requires_valid_certificate",
            "requires_innovation",
            "project_state",
            "state",
            "sharing",
            "self_evaluation",
            "invited_at",
            "answered_at",
        ]


class AnswerSerializer(serializers.Serializer):
    accept = serializers.BooleanField()
    sharing = serializers.ChoiceField(
        choices=Sharing.choices, required=False, allow_blank=True, default=""
    )
    self_evaluation = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1, max_value=2**63 - 1
    )
