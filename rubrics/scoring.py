"""M§3, M§11: from criterion scores to area scores, a total and the grade it reaches.

Every criterion score s is within 0…max; its share is weight × s / max. An area's score is the
weighted share of its criteria × 100, the total the weighted share of all criteria × 100, so
both are on 0–100 whatever the maxima. The grade is the highest whose threshold the total
reaches. Pure functions over a rubric whose criteria and thresholds are loaded once
(`rubric_loaded`), so scoring many results costs no queries.
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext as _

from applications.enums import GRADE_ORDER, CapabilityArea
from ietsportal.errors import InvalidInput

from .models import Rubric

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Result:
    areas: dict[str, Decimal]
    total: Decimal
    grade: str  # "" when no threshold is reached or the rubric is ungraded
    next_grade: str  # the next grade up, "" at the top or for ungraded rubrics
    gap_to_next: Decimal | None  # points of total missing for next_grade
    missing: list[str] = field(default_factory=list)  # codes of unscored criteria


def rubric_loaded(rubric: Rubric) -> Rubric:
    """The rubric with its criteria and thresholds fetched (two queries, once)."""
    rubric.criteria_list = list(rubric.criteria.order_by("position", "code"))
    rubric.thresholds_list = sorted(
        rubric.thresholds.all(), key=lambda t: GRADE_ORDER.index(t.grade)
    )
    return rubric


def plain(number: Decimal) -> str:
    """10.00 → "10", 7.50 → "7.5" (never "1E+1")."""
    text = f"{number:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def parse_score(value, *, criterion) -> Decimal:
    """One criterion's score from user input, or InvalidInput naming the criterion."""
    try:
        score = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise InvalidInput(
            _("%(code)s: enter a number.") % {"code": criterion.code}, field=criterion.code
        ) from None
    if not score.is_finite() or score < 0 or score > criterion.max_score:
        raise InvalidInput(
            _("%(code)s: the score must be between 0 and %(max)s.")
            % {"code": criterion.code, "max": plain(criterion.max_score)},
            field=criterion.code,
        )
    return score.quantize(CENT, rounding=ROUND_HALF_UP)


def score(rubric: Rubric, scores: dict[str, Decimal], *, partial: bool = False) -> Result:
    """Area scores, total and grade for `scores` (criterion code → score).

    With partial=False every criterion must be scored (InvalidInput otherwise); with
    partial=True (a self-evaluation in progress) unscored criteria count as 0 and are listed
    in `missing`. Scores outside 0…max are refused either way.
    """
    if not hasattr(rubric, "criteria_list"):
        rubric_loaded(rubric)
    known = {c.code for c in rubric.criteria_list}
    unknown = sorted(set(scores) - known)
    if unknown:
        raise InvalidInput(
            _("Unknown criteria for this rubric: %(codes)s.") % {"codes": ", ".join(unknown)}
        )
    missing = [c.code for c in rubric.criteria_list if scores.get(c.code) in (None, "")]
    if missing and not partial:
        raise InvalidInput(
            _("Score every criterion; missing: %(codes)s.") % {"codes": ", ".join(missing)}
        )
    earned = {area: Decimal(0) for area in CapabilityArea.values}
    weights = {area: Decimal(0) for area in CapabilityArea.values}
    for criterion in rubric.criteria_list:
        raw = scores.get(criterion.code)
        value = Decimal(0) if raw in (None, "") else parse_score(raw, criterion=criterion)
        earned[criterion.area] += criterion.weight * value / criterion.max_score
        weights[criterion.area] += criterion.weight
    areas = {
        area: (earned[area] / weights[area] * 100).quantize(CENT, rounding=ROUND_HALF_UP)
        for area in CapabilityArea.values
        if weights[area]
    }
    total_weight = sum(weights.values())
    total = (
        (sum(earned.values()) / total_weight * 100).quantize(CENT, rounding=ROUND_HALF_UP)
        if total_weight
        else Decimal("0.00")
    )
    grade, next_grade, gap = grade_for(rubric, total)
    return Result(areas, total, grade, next_grade, gap, missing)


def grade_for(rubric: Rubric, total: Decimal) -> tuple[str, str, Decimal | None]:
    """M§11: (the highest grade reached, the next one up, the points missing for it)."""
    if not hasattr(rubric, "thresholds_list"):
        rubric_loaded(rubric)
    grade = ""
    for threshold in rubric.thresholds_list:
        if total >= threshold.min_total:
            grade = threshold.grade
    above = [t for t in rubric.thresholds_list if t.min_total > total]
    if not above:
        return grade, "", None
    nxt = min(above, key=lambda t: t.min_total)
    return grade, nxt.grade, (nxt.min_total - total).quantize(CENT)
