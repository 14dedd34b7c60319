from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import permissions, serializers, viewsets

from ..enums import RubricState
from ..models import Criterion, GradeThreshold, Rubric


class CriterionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Criterion
        fields = [
            "code",
            "area",
            "title",
            "title_en",
            "guidance",
            "guidance_en",
            "weight",
            "max_score",
        ]


class GradeThresholdSerializer(serializers.ModelSerializer):
    class Meta:
        model = GradeThreshold
        fields = ["grade", "min_total"]


class RubricSerializer(serializers.ModelSerializer):
    criteria = CriterionSerializer(many=True, read_only=True)
    thresholds = GradeThresholdSerializer(many=True, read_only=True)

    class Meta:
        model = Rubric
        fields = [
            "id",
            "kind",
            "version",
            "title",
            "title_en",
            "is_sample",
            "state",
            "published_at",
            "criteria",
            "thresholds",
        ]


@extend_schema_view(
    list=extend_schema(summary="Published rubrics (M§3), newest version first"),
    retrieve=extend_schema(summary="One rubric with its criteria and grade thresholds"),
)
class RubricViewSet(viewsets.ReadOnlyModelViewSet):
    """Public: the criteria, weights and thresholds results are scored against (M§3)."""

    serializer_class = RubricSerializer
    permission_classes = [permissions.AllowAny]

    def get_queryset(self):
        return (
            Rubric.objects.exclude(state=RubricState.DRAFT)
            .prefetch_related(
                Prefetch("criteria", queryset=Criterion.objects.order_by("position", "code")),
                Prefetch("thresholds", queryset=GradeThreshold.objects.order_by("min_total")),
            )
            .order_by("kind", "-version")
        )
