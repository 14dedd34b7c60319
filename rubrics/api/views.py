from decimal import Decimal

from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from applications.enums import CapabilityArea
from ietsportal.api import TenantScopedViewSet

from .. import services
from ..enums import RubricKind, RubricState
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


class ManagedCriterionSerializer(CriterionSerializer):
    class Meta(CriterionSerializer.Meta):
        fields = ["id", *CriterionSerializer.Meta.fields, "position"]


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


# ---- the center's rubric editing (M§3): the services of /center/rubrics/


class ManagedRubricSerializer(RubricSerializer):
    criteria = serializers.SerializerMethodField()
    problems = serializers.SerializerMethodField()

    class Meta(RubricSerializer.Meta):
        fields = [*RubricSerializer.Meta.fields, "created_at", "problems"]

    @extend_schema_field(ManagedCriterionSerializer(many=True))
    def get_criteria(self, obj):
        return ManagedCriterionSerializer(obj.criteria.all(), many=True).data

    def get_problems(self, obj) -> list[str]:
        """What stops a draft from being published (empty once it may be)."""
        if obj.state != RubricState.DRAFT:
            return []
        return [str(p) for p in services.rubric_problems(obj)]


class RubricDraftSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=RubricKind.choices)


class RubricTitleSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    title_en = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class CriterionWriteSerializer(serializers.Serializer):
    area = serializers.ChoiceField(choices=CapabilityArea.choices)
    code = serializers.CharField(max_length=16)
    title = serializers.CharField(max_length=200)
    title_en = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    guidance = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    guidance_en = serializers.CharField(
        max_length=5000, required=False, allow_blank=True, default=""
    )
    weight = serializers.DecimalField(max_digits=6, decimal_places=2, min_value=Decimal("0.01"))
    max_score = serializers.DecimalField(max_digits=6, decimal_places=2, min_value=Decimal("0.01"))
    position = serializers.IntegerField(min_value=0, max_value=32767, default=0)


class ThresholdsWriteSerializer(serializers.Serializer):
    """The lowest total (0–100) of each grade; a grade left out has no threshold."""

    thresholds = serializers.DictField(
        child=serializers.DecimalField(
            max_digits=5, decimal_places=2, min_value=Decimal("0"), max_value=Decimal("100")
        )
    )


class CenterOnly(permissions.BasePermission):
    """To anyone but the center these endpoints do not exist (as the pages: 404)."""

    def has_permission(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return False
        if not request.user.is_center_staff:
            raise NotFound()
        return True


@extend_schema_view(
    list=extend_schema(summary="Every version of every rubric, drafts included (center)"),
    retrieve=extend_schema(summary="One version with its criteria, thresholds and problems"),
)
class ManagedRubricViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    """The center maintains the rubrics (M§3): a new draft version copies the current one; a
    draft's title, criteria and thresholds change until it is published, when the previous
    version retires; a published version never changes."""

    model = Rubric
    serializer_class = ManagedRubricSerializer
    permission_classes = [permissions.IsAuthenticated, CenterOnly]

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .prefetch_related(
                Prefetch("criteria", queryset=Criterion.objects.order_by("position", "code")),
                Prefetch("thresholds", queryset=GradeThreshold.objects.order_by("min_total")),
            )
            .order_by("kind", "-version")
        )

    def _detail(self, pk, code=status.HTTP_200_OK):
        return Response(self.get_serializer(self.get_queryset().get(pk=pk)).data, status=code)

    @extend_schema(request=RubricDraftSerializer, responses={201: ManagedRubricSerializer})
    def create(self, request):
        ser = RubricDraftSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        draft = services.rubric_draft_create(
            actor=request.user, kind=ser.validated_data["kind"], now=timezone.now()
        )
        return self._detail(draft.pk, status.HTTP_201_CREATED)

    @extend_schema(request=RubricTitleSerializer, responses={200: ManagedRubricSerializer})
    def partial_update(self, request, pk=None):
        rubric = self.get_object()
        ser = RubricTitleSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        services.rubric_title_set(
            actor=request.user, rubric_id=rubric.pk, now=timezone.now(), **ser.validated_data
        )
        return self._detail(rubric.pk)

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        """Discard a draft (a published version is never deleted: 409)."""
        rubric = self.get_object()
        services.rubric_draft_discard(actor=request.user, rubric_id=rubric.pk, now=timezone.now())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: ManagedRubricSerializer})
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        rubric = self.get_object()
        services.rubric_publish(actor=request.user, rubric_id=rubric.pk, now=timezone.now())
        return self._detail(rubric.pk)

    @extend_schema(request=ThresholdsWriteSerializer, responses={200: ManagedRubricSerializer})
    @action(detail=True, methods=["put"])
    def thresholds(self, request, pk=None):
        rubric = self.get_object()
        ser = ThresholdsWriteSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        services.rubric_thresholds_set(
            actor=request.user,
            rubric_id=rubric.pk,
            thresholds=ser.validated_data["thresholds"],
            now=timezone.now(),
        )
        return self._detail(rubric.pk)

    @extend_schema(request=CriterionWriteSerializer, responses={201: ManagedCriterionSerializer})
    @action(detail=True, methods=["post"])
    def criteria(self, request, pk=None):
        rubric = self.get_object()
        ser = CriterionWriteSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        criterion = services.criterion_save(
            actor=request.user, rubric_id=rubric.pk, data=ser.validated_data, now=timezone.now()
        )
        return Response(ManagedCriterionSerializer(criterion).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=CriterionWriteSerializer, responses={200: ManagedCriterionSerializer, 204: None}
    )
    @action(
        detail=True,
        methods=["patch", "delete"],
        url_path=r"criteria/(?P<criterion_id>[0-9]{1,18})",
    )
    def criterion(self, request, pk=None, criterion_id=None):
        """Change a draft's criterion (every field, as when adding it), or delete it."""
        rubric = self.get_object()
        now = timezone.now()
        if request.method == "DELETE":
            services.criterion_delete(
                actor=request.user, rubric_id=rubric.pk, criterion_id=int(criterion_id), now=now
            )
            return Response(status=status.HTTP_204_NO_CONTENT)
        ser = CriterionWriteSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        criterion = services.criterion_save(
            actor=request.user,
            rubric_id=rubric.pk,
            criterion_id=int(criterion_id),
            data=ser.validated_data,
            now=now,
        )
        return Response(ManagedCriterionSerializer(criterion).data)
