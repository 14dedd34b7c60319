"""Reads of self-evaluations and selections: the report of one run, the history of runs and
the buyer's comparison (M§5). Everything here starts from a `for_user` queryset or an object
already read through one."""

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext_lazy as _

from applications.enums import GRADE_ORDER, CapabilityArea, EvaluationKind
from certificates.enums import CertificateStatus
from certificates.models import Certificate
from rubrics.scoring import rubric_loaded, score

from .enums import CandidateState, SelfEvaluationState, Sharing

CENT = Decimal("0.01")


# ---- one self-evaluation


@dataclass
class CriterionRow:
    criterion: object
    score: Decimal | None
    note: str
    evidence: list
    gain: Decimal  # points of total the criterion would add at its maximum


def self_evaluation_report(evaluation) -> dict:
    """Area scores, total, the grade reached and what separates the run from the next grade:
    per area, the criteria whose full marks would gain the most total points."""
    rubric = rubric_loaded(evaluation.rubric)
    rows = {row.code: row for row in evaluation.scores.all()}
    evidence = {}
    for item in evaluation.evidence.all():
        evidence.setdefault(item.code, []).append(item)
    scores = {code: row.score for code, row in rows.items() if row.score is not None}
    result = score(rubric, scores, partial=True)
    total_weight = sum(c.weight for c in rubric.criteria_list) or Decimal(1)
    areas = []
    for area in CapabilityArea:
        criteria = [c for c in rubric.criteria_list if c.area == area.value]
        if not criteria:
            continue
        items = []
        for c in criteria:
            row = rows.get(c.code)
            value = row.score if row else None
            gain = c.weight * (c.max_score - (value or 0)) / c.max_score / total_weight * 100
            items.append(
                CriterionRow(
                    c,
                    value,
                    row.note if row else "",
                    evidence.get(c.code, []),
                    gain.quantize(CENT, rounding=ROUND_HALF_UP),
                )
            )
        best = sorted((i for i in items if i.gain > 0), key=lambda i: -i.gain)[:2]
        areas.append(
            {
                "code": area.value,
                "label": area.label,
                "score": result.areas.get(area.value),
                "rows": items,
                "best_gains": best,
            }
        )
    return {
        "rubric": rubric,
        "result": result,
        "areas": areas,
        "general_evidence": evidence.get("", []),
    }


# ---- runs over time: an inline SVG drawn on the server (no script, CSP-safe)


def history_chart(
    evaluations, *, thresholds=(), width: int = 640, height: int = 240
) -> dict | None:
    """Points of a line chart of the totals (0–100) of the given runs, oldest first, with a
    dashed line at each grade threshold (grade, min_total) of the current rubric."""
    runs = sorted(
        (e for e in evaluations if e.state != SelfEvaluationState.WITHDRAWN),
        key=lambda e: (e.created_at, e.pk),
    )
    if not runs:
        return None
    left, right, top, bottom = 40, 16, 12, 28
    inner_w, inner_h = width - left - right, height - top - bottom
    step = inner_w / max(len(runs) - 1, 1)
    points = []
    for i, run in enumerate(runs):
        x = left + (i * step if len(runs) > 1 else inner_w / 2)
        y = top + inner_h * (1 - float(run.total) / 100)
        points.append({"x": round(x, 1), "y": round(y, 1), "run": run})
    grid = [
        {"value": v, "y": round(top + inner_h * (1 - v / 100), 1)} for v in (0, 25, 50, 75, 100)
    ]
    lines = [
        {"grade": grade, "y": round(top + inner_h * (1 - float(minimum) / 100), 1)}
        for grade, minimum in thresholds
    ]
    return {
        "width": width,
        "height": height,
        "thresholds": lines,
        "left": left,
        "right": width - right,
        "baseline": top + inner_h,
        "points": points,
        "polyline": " ".join(f"{p['x']},{p['y']}" for p in points),
        "grid": grid,
    }


# ---- the buyer's comparison


def effective_status(certificate, today: date) -> str:
    """The register's status, and "expired" for a valid one past its validity (as the public
    verification says, M§18)."""
    if certificate.status == CertificateStatus.VALID and today > certificate.expires_on:
        return CertificateStatus.EXPIRED
    return certificate.status


STATUS_RANK = {CertificateStatus.VALID: 0, CertificateStatus.SUSPENDED: 1}


def _grade_index(grade: str) -> int:
    return GRADE_ORDER.index(grade) if grade in GRADE_ORDER else -1


@dataclass
class ComparisonRow:
    candidate: object
    certificate: object = None  # the organisation's most relevant graded certificate
    status: str = ""  # its live status, "" when it holds none
    innovation: object = None  # a valid innovation certificate, if any
    shared: object = None  # the completed self-evaluation it shared, if any
    weighted: Decimal | None = None
    requirements: list = field(default_factory=list)  # (label, met)
    rank: int | None = None
    ranked_by: str = ""  # "scores" | "certificate" | ""

    @property
    def meets_all(self) -> bool:
        return all(met for _label, met in self.requirements)

    @property
    def status_label(self) -> str:
        return str(CertificateStatus(self.status).label) if self.status else ""

    @property
    def grade(self) -> str:
        return self.certificate.grade if self.status == CertificateStatus.VALID else ""

    @property
    def areas(self) -> dict:
        if self.shared is None:
            return {}
        return {k: Decimal(v) for k, v in self.shared.area_scores.items()}


def weighted_score(weights: dict[str, int], areas: dict[str, Decimal]) -> Decimal:
    """Σ weight × area score / 100 over the buyer's weights; an area the shared rubric does
    not score counts 0."""
    total = sum(Decimal(w) * areas.get(a, Decimal(0)) for a, w in weights.items()) / 100
    return total.quantize(CENT, rounding=ROUND_HALF_UP)


def shared_evaluation(candidate):
    """M§5 privacy: the one place that decides whether the buyer sees a self-evaluation —
    only one the candidate accepted to share, and only while it stays completed."""
    evaluation = candidate.self_evaluation
    if (
        candidate.state == CandidateState.ACCEPTED
        and candidate.sharing == Sharing.SELF_EVALUATION
        and evaluation is not None
        and evaluation.state == SelfEvaluationState.COMPLETED
        and evaluation.organization_id == candidate.organization_id
    ):
        return evaluation
    return None


def comparison(project, *, today: date) -> list[ComparisonRow]:
    """Every candidate with its live certificate status and grade from the register, what it
    shared, the weighted ranking and which requirements it meets. Accepted candidates that
    shared a self-evaluation rank first by weighted score; those that shared none rank after
    them by certificate (valid first, higher grade first); candidates that have not accepted
    are not ranked. Three queries whatever the number of candidates."""
    candidates = list(
        project.candidates.select_related("organization", "self_evaluation__rubric").order_by(
            "invited_at", "id"
        )
    )
    certificates = Certificate.objects.filter(
        organization_id__in=[c.organization_id for c in candidates]
    ).exclude(status=CertificateStatus.REPLACED)
    by_org: dict[int, list] = {}
    for certificate in certificates:
        by_org.setdefault(certificate.organization_id, []).append(certificate)
    weights = project.weights
    rows = []
    for candidate in candidates:
        row = ComparisonRow(candidate)
        held = by_org.get(candidate.organization_id, [])
        graded = [c for c in held if c.kind == EvaluationKind.GRADE]
        if graded:
            best = min(
                graded,
                key=lambda c: (
                    STATUS_RANK.get(effective_status(c, today), 9),
                    -_grade_index(c.grade),
                    -c.issued_on.toordinal(),
                ),
            )
            row.certificate, row.status = best, effective_status(best, today)
        row.innovation = next(
            (
                c
                for c in held
                if c.kind == EvaluationKind.INNOVATION
                and effective_status(c, today) == CertificateStatus.VALID
            ),
            None,
        )
        row.shared = shared_evaluation(candidate)
        if row.shared is not None:
            row.weighted = weighted_score(weights, row.areas)
        valid_any = row.status == CertificateStatus.VALID or row.innovation is not None
        if project.min_grade:
            row.requirements.append(
                (
                    _("Grade %(grade)s or higher") % {"grade": project.min_grade},
                    _grade_index(row.grade) >= _grade_index(project.min_grade),
                )
            )
        if project.requires_valid_certificate:
            row.requirements.append((_("A valid certificate"), valid_any))
        if project.requires_innovation:
            row.requirements.append((_("An innovation evaluation"), row.innovation is not None))
        rows.append(row)
    accepted = [r for r in rows if r.candidate.state == CandidateState.ACCEPTED]
    by_scores = sorted(
        (r for r in accepted if r.weighted is not None),
        key=lambda r: (-r.weighted, -_grade_index(r.grade), r.candidate.pk),
    )
    by_certificate = sorted(
        (r for r in accepted if r.weighted is None),
        key=lambda r: (
            STATUS_RANK.get(r.status, 9) if r.status else 10,
            -_grade_index(r.grade),
            r.candidate.pk,
        ),
    )
    for rank, row in enumerate(by_scores + by_certificate, start=1):
        row.rank = rank
        row.ranked_by = "scores" if row.weighted is not None else "certificate"
    return sorted(rows, key=lambda r: (r.rank is None, r.rank or 0, r.candidate.pk))


def selection_history(project, candidates) -> list[dict]:
    """M§24: the project's audit entries as the buyer reads them — who was invited, who
    answered what, the decision — in one query. Candidates are named by organisation."""
    from ietsportal.audit.models import AuditEntry

    from .enums import CandidateState, Sharing

    names = {c.organization_id: c.organization.name for c in candidates}
    entries = AuditEntry.objects.filter(
        object_type="selection.selectionproject", object_id=str(project.pk)
    ).order_by("seq")
    history = []
    for entry in entries:
        data = entry.data
        if entry.action == "selection.create":
            text = _("Project created by %(user)s.") % {"user": entry.actor_name}
        elif entry.action == "selection.invite":
            text = _("%(name)s invited.") % {"name": data.get("candidate", "")}
        elif entry.action == "selection.answer":
            name = names.get(data.get("candidate"), "")
            if data.get("state") == CandidateState.ACCEPTED:
                sharing = Sharing(data["sharing"]).label if data.get("sharing") else ""
                text = _("%(name)s accepted: %(sharing)s.") % {"name": name, "sharing": sharing}
            else:
                text = _("%(name)s declined.") % {"name": name}
        elif entry.action == "selection.decide":
            text = _("Decision by %(user)s: %(name)s.") % {
                "user": entry.actor_name,
                "name": data.get("chosen", ""),
            }
        else:
            continue
        history.append({"at": entry.created_at, "text": text})
    return history
