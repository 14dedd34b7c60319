"""Reads that carry a rule (STYLE: selectors)."""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from .enums import AssessorState, InstitutionLevel
from .models import Assessor, ConflictDeclaration, DesignationOpinion, Expert


def staffing_requirement(level: str) -> tuple[int, int]:
    """R§8: (assessors, of them full-time) an institution of `level` keeps at all times."""
    bar = settings.INSTITUTION_STAFFING[
        "national" if level == InstitutionLevel.NATIONAL else "local"
    ]
    return bar["assessors"], bar["full_time"]


@dataclass(frozen=True)
class Staffing:
    assessors: int
    full_time: int
    min_assessors: int
    min_full_time: int

    @property
    def meets(self) -> bool:
        return self.assessors >= self.min_assessors and self.full_time >= self.min_full_time

    @property
    def lacking_assessors(self) -> int:
        return max(0, self.min_assessors - self.assessors)

    @property
    def lacking_full_time(self) -> int:
        return max(0, self.min_full_time - self.full_time)

    def params(self) -> dict:
        return {
            "assessors": self.assessors,
            "full_time": self.full_time,
            "min_assessors": self.min_assessors,
            "min_full_time": self.min_full_time,
        }


def with_staffing(queryset):
    """Annotate institutions with their registered assessors and full-time ones (R§8)."""
    registered = Q(assessors__state=AssessorState.REGISTERED)
    return queryset.annotate(
        n_registered=Count("assessors", filter=registered),
        n_full_time=Count("assessors", filter=registered & Q(assessors__full_time=True)),
    )


def staffing_of(institution) -> Staffing:
    if not hasattr(institution, "n_registered"):
        registered = institution.assessors.filter(state=AssessorState.REGISTERED)
        counts = registered.aggregate(n=Count("id"), ft=Count("id", filter=Q(full_time=True)))
        n, ft = counts["n"], counts["ft"]
    else:
        n, ft = institution.n_registered, institution.n_full_time
    need, need_ft = staffing_requirement(institution.level)
    return Staffing(n, ft, need, need_ft)


def year_bounds(year: int) -> tuple[datetime, datetime]:
    from django.utils import timezone

    tz = timezone.get_current_timezone()
    return datetime(year, 1, 1, tzinfo=tz), datetime(year + 1, 1, 1, tzinfo=tz)


def with_participation(queryset, year: int):
    """R§12: evaluations each assessor took part in during `year` — applications accepted in
    that year with the assessor on the team (lead included), from the actual assignments."""
    start, end = year_bounds(year)
    return queryset.annotate(
        evaluations=Count(
            "user__assessed_applications",
            filter=Q(
                user__assessed_applications__accepted_at__gte=start,
                user__assessed_applications__accepted_at__lt=end,
            ),
            distinct=True,
        )
    )


def participation_report(*, year: int, institution_id: int | None = None):
    """R§12: registered and suspended assessors with their evaluations in `year`."""
    qs = Assessor.objects.filter(
        state__in=[AssessorState.REGISTERED, AssessorState.SUSPENDED]
    ).select_related("institution", "user")
    if institution_id is not None:
        qs = qs.filter(institution_id=institution_id)
    return with_participation(qs, year).order_by("evaluations", "institution__name", "id")


def panel_candidates(organization):
    """M§8, R§13: experts who may sit on a panel about `organization`: available, active,
    not employed by it, no declared conflict with it, and below their open-review limit."""
    from applications.models import ExpertReview

    open_designations = (
        DesignationOpinion.objects.filter(expert=OuterRef("user_id"), submitted_at__isnull=True)
        .values("expert")
        .annotate(n=Count("id"))
        .values("n")
    )
    open_applications = (
        ExpertReview.objects.filter(expert=OuterRef("user_id"), submitted_at__isnull=True)
        .values("expert")
        .annotate(n=Count("id"))
        .values("n")
    )
    conflicted = ConflictDeclaration.objects.filter(organization=organization).values("person")
    return (
        Expert.objects.filter(available=True, user__is_active=True, user__role="expert")
        .exclude(employer=organization)
        .exclude(user__in=conflicted)
        .annotate(
            open_reviews=Coalesce(
                Subquery(open_designations, output_field=IntegerField()), Value(0)
            )
            + Coalesce(Subquery(open_applications, output_field=IntegerField()), Value(0))
        )
        .filter(open_reviews__lt=F("max_open_reviews"))
        .select_related("user")
    )
