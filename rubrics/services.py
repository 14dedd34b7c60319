"""Every write to rubrics (M§3): a new draft version, and publishing it. A published version
never changes; the previous one is retired but stays readable, and results keep theirs."""

from datetime import datetime
from itertools import pairwise

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from applications.enums import GRADE_ORDER, CapabilityArea
from ietsportal.audit.services import audit_record
from ietsportal.errors import Conflict, InvalidInput, NotPermitted

from . import sample
from .enums import RubricKind, RubricState
from .models import Criterion, GradeThreshold, Rubric


def rubric_samples_ensure(*, now: datetime) -> None:
    """Install the sample rubrics where a kind has none (the migration did it once; a test
    database emptied between transactional tests, or `seed_demo`, calls this)."""
    with transaction.atomic():
        sample.install(Rubric, Criterion, GradeThreshold, now=now)


def _require_center(actor):
    if not getattr(actor, "is_center_staff", False):
        raise NotPermitted(_("Only the evaluation center maintains rubrics."))


def rubric_draft_create(*, actor, kind: str, now: datetime) -> Rubric:
    """A new draft version of `kind`, a copy of the current published one (if any)."""
    _require_center(actor)
    if kind not in RubricKind.values:
        raise InvalidInput(_("Unknown rubric kind."), field="kind")
    with transaction.atomic():
        if Rubric.objects.filter(kind=kind, state=RubricState.DRAFT).exists():
            raise Conflict(_("A draft of this rubric already exists; edit or publish it first."))
        current = Rubric.objects.current(kind)
        last = Rubric.objects.filter(kind=kind).aggregate(v=Max("version"))["v"] or 0
        draft = Rubric.objects.create(
            kind=kind,
            version=last + 1,
            title=current.title if current else "",
            title_en=current.title_en if current else "",
            is_sample=current.is_sample if current else False,
            created_at=now,
            created_by=actor,
        )
        if current:
            Criterion.objects.bulk_create(
                Criterion(
                    rubric=draft,
                    **{
                        f: getattr(c, f)
                        for f in (
                            "area code title title_en guidance guidance_en weight max_score "
                            "position"
                        ).split()
                    },
                )
                for c in current.criteria.all()
            )
            GradeThreshold.objects.bulk_create(
                GradeThreshold(rubric=draft, grade=t.grade, min_total=t.min_total)
                for t in current.thresholds.all()
            )
        audit_record(actor=actor, action="rubric.draft_created", obj=draft, now=now)
    return draft


def rubric_problems(rubric: Rubric) -> list[str]:
    """What stops a draft from being published, in the user's language."""
    problems = []
    criteria = list(rubric.criteria.all())
    if not criteria:
        problems.append(_("The rubric has no criteria."))
    if rubric.kind == RubricKind.GRADE:
        areas = {c.area for c in criteria}
        for area in CapabilityArea:
            if area.value not in areas:
                problems.append(_("The area “%(area)s” has no criterion.") % {"area": area.label})
        thresholds = {t.grade: t.min_total for t in rubric.thresholds.all()}
        missing = [g for g in GRADE_ORDER if g not in thresholds]
        if missing:
            problems.append(
                _("Thresholds are missing for: %(grades)s.") % {"grades": ", ".join(missing)}
            )
        else:
            totals = [thresholds[g] for g in GRADE_ORDER]
            if any(a >= b for a, b in pairwise(totals)):
                problems.append(_("Each higher grade needs a higher threshold."))
    elif rubric.thresholds.exists():
        problems.append(_("The innovation evaluation has no grades (M§12): remove thresholds."))
    return problems


def rubric_publish(*, actor, rubric_id: int, now: datetime) -> Rubric:
    """Publish a draft: it becomes the current version of its kind; the previous one retires."""
    _require_center(actor)
    with transaction.atomic():
        rubric = Rubric.objects.select_for_update().filter(pk=rubric_id).first()
        if rubric is None:
            raise InvalidInput(_("No such rubric."))
        if rubric.state != RubricState.DRAFT:
            raise Conflict(_("Only a draft can be published."))
        problems = rubric_problems(rubric)
        if problems:
            raise InvalidInput(" ".join(problems))
        Rubric.objects.filter(kind=rubric.kind, state=RubricState.PUBLISHED).update(
            state=RubricState.RETIRED
        )
        rubric.state = RubricState.PUBLISHED
        rubric.published_at = now
        rubric.save(update_fields=["state", "published_at"])
        audit_record(
            actor=actor,
            action="rubric.published",
            obj=rubric,
            data={"kind": rubric.kind, "version": rubric.version},
            now=now,
        )
    return rubric
