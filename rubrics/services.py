"""Every write to rubrics (M§3): a new draft version, and publishing it. A published version
never changes; the previous one is retired but stays readable, and results keep theirs."""

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from itertools import pairwise

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from applications.enums import GRADE_ORDER, CapabilityArea
from ietsportal.audit.services import audit_record
from ietsportal.errors import Conflict, InvalidInput, NotFound, NotPermitted, text_value

from . import sample
from .enums import RubricKind, RubricState
from .models import Criterion, GradeThreshold, Rubric

CODE_RE = re.compile(r"[A-Za-z0-9_-]{1,16}")


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


CRITERION_FIELDS = "area code title title_en guidance guidance_en weight max_score position".split()


def _draft_locked(rubric_id: int) -> Rubric:
    rubric = Rubric.objects.select_for_update().filter(pk=rubric_id).first()
    if rubric is None:
        raise NotFound(_("No such rubric."))
    if rubric.state != RubricState.DRAFT:
        raise Conflict(_("A published rubric cannot be changed; create a new version."))
    return rubric


def _clean_criterion(rubric: Rubric, data: dict, *, exclude_pk=None) -> dict:
    """The criterion's fields from `data`, or InvalidInput naming the field."""
    clean = {}
    area = data.get("area")
    if area not in CapabilityArea.values:
        raise InvalidInput(_("Choose one of the four capability areas."), field="area")
    clean["area"] = area
    code = str(data.get("code") or "").strip()
    if not CODE_RE.fullmatch(code):
        raise InvalidInput(_("The code has 1 to 16 letters, digits, “-” or “_”."), field="code")
    if rubric.criteria.filter(code=code).exclude(pk=exclude_pk).exists():
        raise InvalidInput(
            _("This rubric has a criterion %(code)s already.") % {"code": code}, field="code"
        )
    clean["code"] = code
    for name, label, required, limit in (
        ("title", _("Title"), True, 200),
        ("title_en", _("Title in English"), False, 200),
        ("guidance", _("Guidance"), False, 5000),
        ("guidance_en", _("Guidance in English"), False, 5000),
    ):
        value = data.get(name) or ""
        if not isinstance(value, str):
            raise InvalidInput(_("%(field)s must be text.") % {"field": label}, field=name)
        value = value.strip()
        if required and not value:
            raise InvalidInput(_("%(field)s is required.") % {"field": label}, field=name)
        if len(value) > limit:
            raise InvalidInput(
                _("%(field)s is longer than %(max)d characters.") % {"field": label, "max": limit},
                field=name,
            )
        clean[name] = value
    for name, label in (("weight", _("Weight")), ("max_score", _("Maximum score"))):
        try:
            value = Decimal(str(data.get(name)).strip())
        except (InvalidOperation, ValueError):
            value = None
        if value is None or not value.is_finite() or not (Decimal("0.01") <= value < 10000):
            raise InvalidInput(
                _("%(field)s must be a number from 0.01 to 9999.99.") % {"field": label},
                field=name,
            )
        clean[name] = value.quantize(Decimal("0.01"))
    position = data.get("position")
    try:
        clean["position"] = int(position) if position not in (None, "") else 0
    except (TypeError, ValueError):
        raise InvalidInput(_("The position must be a whole number."), field="position") from None
    if not 0 <= clean["position"] <= 32767:
        raise InvalidInput(_("The position must be a whole number."), field="position")
    return clean


def criterion_save(
    *, actor, rubric_id: int, data: dict, now: datetime, criterion_id: int | None = None
) -> Criterion:
    """Add a criterion to a draft, or change one (M§3: only drafts change)."""
    _require_center(actor)
    with transaction.atomic():
        rubric = _draft_locked(rubric_id)
        if criterion_id is None:
            criterion = Criterion(rubric=rubric)
        else:
            criterion = rubric.criteria.filter(pk=criterion_id).first()
            if criterion is None:
                raise NotFound(_("No such criterion."))
        clean = _clean_criterion(rubric, data, exclude_pk=criterion.pk)
        for name, value in clean.items():
            setattr(criterion, name, value)
        criterion.save()
        audit_record(
            actor=actor,
            action="rubric.criterion_added" if criterion_id is None else "rubric.criterion_changed",
            obj=rubric,
            data={
                k: str(v) for k, v in clean.items() if k in ("area", "code", "weight", "max_score")
            },
            now=now,
        )
    return criterion


def criterion_delete(*, actor, rubric_id: int, criterion_id: int, now: datetime) -> None:
    _require_center(actor)
    with transaction.atomic():
        rubric = _draft_locked(rubric_id)
        criterion = rubric.criteria.filter(pk=criterion_id).first()
        if criterion is None:
            raise NotFound(_("No such criterion."))
        code = criterion.code
        criterion.delete()
        audit_record(
            actor=actor, action="rubric.criterion_removed", obj=rubric, data={"code": code}, now=now
        )


def rubric_thresholds_set(
    *, actor, rubric_id: int, thresholds: dict, now: datetime
) -> list[GradeThreshold]:
    """M§11: the lowest total (0–100) for each grade of a draft graded rubric; an empty value
    removes that grade's threshold (`rubric_problems` then says what is missing)."""
    _require_center(actor)
    with transaction.atomic():
        rubric = _draft_locked(rubric_id)
        if rubric.kind != RubricKind.GRADE:
            raise InvalidInput(_("The innovation evaluation has no grades (M§12)."))
        if not isinstance(thresholds, dict):
            raise InvalidInput(_("Give the thresholds as grade: lowest total."))
        unknown = sorted(str(grade) for grade in set(thresholds) - set(GRADE_ORDER))
        if unknown:
            raise InvalidInput(
                _("Unknown grades: %(grades)s.") % {"grades": ", ".join(unknown)[:100]}
            )
        values = {}
        for grade in GRADE_ORDER:
            raw = thresholds.get(grade)
            if raw in (None, ""):
                continue
            try:
                value = Decimal(str(raw).strip())
            except (InvalidOperation, ValueError):
                value = None
            if value is None or not value.is_finite() or not (0 <= value <= 100):
                raise InvalidInput(
                    _("The threshold of %(grade)s must be a number from 0 to 100.")
                    % {"grade": grade},
                    field=grade,
                )
            values[grade] = value.quantize(Decimal("0.01"))
        rubric.thresholds.all().delete()
        rows = GradeThreshold.objects.bulk_create(
            GradeThreshold(rubric=rubric, grade=grade, min_total=value)
            for grade, value in values.items()
        )
        audit_record(
            actor=actor,
            action="rubric.thresholds_set",
            obj=rubric,
            data={grade: str(value) for grade, value in values.items()},
            now=now,
        )
    return rows


def rubric_title_set(*, actor, rubric_id: int, title: str, title_en: str, now: datetime) -> Rubric:
    _require_center(actor)
    title = text_value(title, field="title", label=_("Title"), max_length=200)
    title_en = text_value(
        title_en, field="title_en", label=_("Title in English"), required=False, max_length=200
    )
    with transaction.atomic():
        rubric = _draft_locked(rubric_id)
        rubric.title, rubric.title_en = title, title_en
        rubric.save(update_fields=["title", "title_en"])
        audit_record(
            actor=actor, action="rubric.title_set", obj=rubric, data={"title": title}, now=now
        )
    return rubric


def rubric_draft_discard(*, actor, rubric_id: int, now: datetime) -> None:
    """A draft nobody wants any more goes; a published version never does."""
    _require_center(actor)
    with transaction.atomic():
        rubric = _draft_locked(rubric_id)
        audit_record(
            actor=actor,
            action="rubric.draft_discarded",
            obj=rubric,
            data={"kind": rubric.kind, "version": rubric.version},
            now=now,
        )
        rubric.thresholds.all().delete()
        rubric.criteria.all().delete()
        rubric.delete()
