"""Every write of self-evaluations and supplier selection (M§5), in one transaction each:
permission → conditions → row lock → save → audit entry."""

from datetime import datetime

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from stdnum.cn import uscc as uscc_check

from applications.enums import GRADE_ORDER, CapabilityArea, EvaluationKind
from ietsportal.accounts.models import Organization
from ietsportal.audit.services import audit_record
from ietsportal.errors import Conflict, InvalidInput, NotFound, NotPermitted, text_value
from ietsportal.notifications.services import notification_create
from ietsportal.uploads import upload_row, upload_validate, uploads_stored
from rubrics.models import Rubric
from rubrics.scoring import parse_score, rubric_loaded, score

from .enums import CandidateState, ProjectState, SelfEvaluationState, Sharing
from .models import (
    Candidate,
    SelectionProject,
    SelfEvaluation,
    SelfEvaluationEvidence,
    SelfEvaluationScore,
)

S = SelfEvaluationState


def _require_organisation(actor) -> None:
    if not getattr(actor, "is_applicant", False) or not actor.organization_id:
        raise NotPermitted(_("Only users of a registered organisation can do this."))


# ---- self-evaluation (M§5)


def self_evaluation_create(*, actor, kind: str, title: str = "", now: datetime) -> SelfEvaluation:
    """M§5: an organisation starts a self-evaluation against the current rubric of a kind."""
    _require_organisation(actor)
    if kind not in EvaluationKind.values:
        raise InvalidInput(_("Choose a kind of evaluation."), field="kind")
    title = text_value(title, field="title", label=_("Title"), required=False, max_length=120)
    with transaction.atomic():
        rubric = Rubric.objects.current(kind)
        if rubric is None:
            raise Conflict(_("No rubric of this kind is published yet."), field="kind")
        evaluation = SelfEvaluation.objects.create(
            organization_id=actor.organization_id,
            rubric=rubric,
            title=title,
            created_by=actor,
            created_at=now,
            updated_at=now,
        )
        audit_record(
            actor=actor,
            action="self_evaluation.create",
            obj=evaluation,
            now=now,
            data={"kind": kind, "rubric_version": rubric.version},
        )
    return evaluation


def _locked(actor, evaluation_id) -> SelfEvaluation:
    _require_organisation(actor)
    evaluation = (
        SelfEvaluation.objects.for_user(actor)
        .select_for_update()
        .filter(pk=evaluation_id)
        .select_related("rubric")
        .first()
    )
    if evaluation is None:
        raise NotFound()
    return evaluation


def _require_draft(evaluation: SelfEvaluation) -> None:
    if evaluation.state != S.DRAFT:
        raise Conflict(_("Only a draft self-evaluation can be changed."))


def current_scores(evaluation: SelfEvaluation) -> dict:
    return {row.code: row.score for row in evaluation.scores.all() if row.score is not None}


def _store_result(evaluation: SelfEvaluation, *, partial: bool = True):
    result = score(rubric_loaded(evaluation.rubric), current_scores(evaluation), partial=partial)
    evaluation.total = result.total
    evaluation.grade = result.grade
    evaluation.area_scores = {area: str(value) for area, value in result.areas.items()}
    return result


def self_evaluation_score(
    *, actor, evaluation_id: int, scores: dict, notes: dict | None = None, now: datetime
) -> SelfEvaluation:
    """Record criterion scores (0…max, empty clears one) and notes on a draft (M§3, M§5)."""
    notes = notes or {}
    if not isinstance(scores, dict) or not isinstance(notes, dict):
        raise InvalidInput(_("Scores and notes are given per criterion code."))
    with transaction.atomic():
        evaluation = _locked(actor, evaluation_id)
        _require_draft(evaluation)
        rubric = rubric_loaded(evaluation.rubric)
        criteria = {c.code: c for c in rubric.criteria_list}
        unknown = sorted((set(scores) | set(notes)) - set(criteria))
        if unknown:
            raise InvalidInput(
                _("Unknown criteria for this rubric: %(codes)s.") % {"codes": ", ".join(unknown)}
            )
        parsed = {}
        for code, value in scores.items():
            empty = value is None or str(value).strip() == ""
            parsed[code] = None if empty else parse_score(value, criterion=criteria[code])
        for code, note in notes.items():
            if not isinstance(note, str) or len(note) > 2000 or "\x00" in note:
                raise InvalidInput(
                    _("%(code)s: the note must be text of at most 2000 characters.")
                    % {"code": code},
                    field=code,
                )
        rows = {row.code: row for row in evaluation.scores.all()}
        for code in set(parsed) | set(notes):
            row = rows.get(code) or SelfEvaluationScore(evaluation=evaluation, code=code)
            if code in parsed:
                row.score = parsed[code]
            if code in notes:
                row.note = notes[code].strip()
            row.save()
        _store_result(evaluation)
        evaluation.updated_at = now
        evaluation.save(update_fields=["total", "grade", "area_scores", "updated_at"])
        audit_record(
            actor=actor,
            action="self_evaluation.score",
            obj=evaluation,
            now=now,
            data={code: str(value) if value is not None else "" for code, value in parsed.items()},
        )
    return evaluation


def self_evaluation_complete(*, actor, evaluation_id: int, now: datetime) -> SelfEvaluation:
    """draft → completed, once every criterion is scored."""
    with transaction.atomic():
        evaluation = _locked(actor, evaluation_id)
        _require_draft(evaluation)
        _store_result(evaluation, partial=False)
        evaluation.state = S.COMPLETED
        evaluation.completed_at = now
        evaluation.updated_at = now
        evaluation.save(
            update_fields=["state", "total", "grade", "area_scores", "completed_at", "updated_at"]
        )
        audit_record(
            actor=actor,
            action="self_evaluation.complete",
            obj=evaluation,
            now=now,
            data={"total": str(evaluation.total), "grade": evaluation.grade},
        )
    return evaluation


def self_evaluation_withdraw(*, actor, evaluation_id: int, now: datetime) -> SelfEvaluation:
    """draft | completed → withdrawn: it can no longer be shared, and a buyer it was shared
    with no longer sees it."""
    with transaction.atomic():
        evaluation = _locked(actor, evaluation_id)
        if evaluation.state == S.WITHDRAWN:
            raise Conflict(_("This self-evaluation is already withdrawn."))
        evaluation.state = S.WITHDRAWN
        evaluation.withdrawn_at = now
        evaluation.updated_at = now
        evaluation.save(update_fields=["state", "withdrawn_at", "updated_at"])
        audit_record(actor=actor, action="self_evaluation.withdraw", obj=evaluation, now=now)
    return evaluation


def self_evaluation_evidence_add(
    *,
    actor,
    evaluation_id: int,
    upload,
    code: str = "",
    description: str = "",
    now: datetime,
) -> SelfEvaluationEvidence:
    """Evidence for a draft self-evaluation, with the checks of application evidence."""
    checked = upload_validate(upload, max_bytes=settings.EVIDENCE_MAX_BYTES)
    description = text_value(
        description, field="description", label=_("Description"), required=False, max_length=200
    )
    with uploads_stored() as store, transaction.atomic():
        evaluation = _locked(actor, evaluation_id)
        _require_draft(evaluation)
        code = (code or "").strip()
        if code and not evaluation.rubric.criteria.filter(code=code).exists():
            raise InvalidInput(_("Choose a criterion of this rubric."), field="code")
        evidence = upload_row(
            store,
            SelfEvaluationEvidence,
            upload,
            checked,
            evaluation=evaluation,
            code=code,
            description=description,
            uploaded_by=actor,
            uploaded_at=now,
        )
        audit_record(
            actor=actor,
            action="self_evaluation.evidence_add",
            obj=evaluation,
            now=now,
            data=checked.audited,
        )
    return evidence


def self_evaluation_to_application(
    *,
    actor,
    evaluation_id: int,
    institution_id,
    requested_grade: str = "",
    now: datetime,
):
    """M§5 → M§14: a draft application from a self-evaluation, its evidence carried over.
    Uses the application services, so every rule of a new draft holds."""
    from applications.services import application_create, evidence_add

    with transaction.atomic():
        evaluation = _locked(actor, evaluation_id)
        if evaluation.state == S.WITHDRAWN:
            raise Conflict(_("A withdrawn self-evaluation cannot become an application."))
        if evaluation.application_id:
            raise Conflict(_("An application was already made from this self-evaluation."))
        kind = evaluation.rubric.kind
        if kind == EvaluationKind.GRADE and not requested_grade:
            requested_grade = evaluation.grade
        application = application_create(
            actor=actor,
            institution_id=institution_id,
            kind=kind,
            requested_grade=requested_grade,
            description=_("From self-evaluation %(label)s: total %(total)s.")
            % {"label": evaluation.label, "total": evaluation.total},
            now=now,
        )
        for item in evaluation.evidence.all():
            with item.file.open("rb") as handle:
                evidence_add(
                    application=application,
                    actor=actor,
                    upload=File(handle, name=item.original_name),
                    description=item.description or item.code,
                    now=now,
                )
        evaluation.application = application
        evaluation.updated_at = now
        evaluation.save(update_fields=["application", "updated_at"])
        audit_record(
            actor=actor,
            action="self_evaluation.to_application",
            obj=evaluation,
            now=now,
            data={"application": application.number},
        )
    return application


# ---- supplier selection (M§5)

WEIGHT_FIELDS = {area: f"weight_{area}" for area in CapabilityArea.values}


def parse_weights(weights: dict) -> dict[str, int]:
    """The buyer's weights over the four areas of M§3: whole numbers 0–100 adding up to 100."""
    parsed = {}
    for area in CapabilityArea:
        raw = (weights or {}).get(area.value)
        try:
            value = int(str(raw).strip())
        except (TypeError, ValueError):
            raise InvalidInput(
                _("%(area)s: enter a whole number from 0 to 100.") % {"area": area.label},
                field=WEIGHT_FIELDS[area.value],
            ) from None
        if not 0 <= value <= 100:
            raise InvalidInput(
                _("%(area)s: enter a whole number from 0 to 100.") % {"area": area.label},
                field=WEIGHT_FIELDS[area.value],
            )
        parsed[area.value] = value
    total = sum(parsed.values())
    if total != 100:
        raise InvalidInput(
            _("The four weights must add up to 100; they add up to %(total)d.") % {"total": total},
            field="weights",
        )
    return parsed


def selection_create(
    *,
    actor,
    title: str,
    weights: dict,
    min_grade: str = "",
    requires_valid_certificate: bool = False,
    requires_innovation: bool = False,
    description: str = "",
    now: datetime,
) -> SelectionProject:
    """M§5: a buying organisation opens a selection project with its weights and
    requirements."""
    _require_organisation(actor)
    title = text_value(title, field="title", label=_("Title"), max_length=200)
    description = text_value(
        description, field="description", label=_("Description"), required=False
    )
    parsed = parse_weights(weights)
    if min_grade and min_grade not in GRADE_ORDER:
        raise InvalidInput(_("Choose a grade of M§11."), field="min_grade")
    with transaction.atomic():
        project = SelectionProject.objects.create(
            buyer_id=actor.organization_id,
            title=title,
            description=description,
            min_grade=min_grade or "",
            requires_valid_certificate=bool(requires_valid_certificate),
            requires_innovation=bool(requires_innovation),
            created_by=actor,
            created_at=now,
            **{WEIGHT_FIELDS[area]: value for area, value in parsed.items()},
        )
        audit_record(
            actor=actor,
            action="selection.create",
            obj=project,
            now=now,
            data={
                "title": title,
                "weights": parsed,
                "min_grade": project.min_grade,
                "requires_valid_certificate": project.requires_valid_certificate,
                "requires_innovation": project.requires_innovation,
            },
        )
    return project


def _locked_project(actor, project_id) -> SelectionProject:
    _require_organisation(actor)
    project = (
        SelectionProject.objects.for_user(actor).select_for_update().filter(pk=project_id).first()
    )
    if project is None:
        raise NotFound()
    return project


def _require_open(project: SelectionProject) -> None:
    if project.state != ProjectState.OPEN:
        raise Conflict(_("The selection is decided; it no longer changes."))


def selection_invite(
    *, actor, project_id: int, organization_id=None, uscc: str = "", now: datetime
) -> Candidate:
    """Invite a candidate: an organisation of the portal, or one found by its USCC."""
    uscc = text_value(uscc, field="uscc", label=_("USCC"), required=False, max_length=64)
    with transaction.atomic():
        project = _locked_project(actor, project_id)
        _require_open(project)
        if uscc:
            code = uscc_check.compact(uscc).upper()
            if not uscc_check.is_valid(code):
                raise InvalidInput(
                    _(
                        "“%(value)s” is not a valid unified social credit code (18 "
                        "characters with a correct check digit)."
                    )
                    % {"value": uscc[:40]},
                    field="uscc",
                )
            organization = Organization.objects.filter(uscc=code).first()
            if organization is None:
                raise InvalidInput(
                    _(
                        "No organisation with the unified social credit code %(uscc)s is "
                        "registered on the portal; it must register before it can be invited."
                    )
                    % {"uscc": code},
                    field="uscc",
                )
        elif organization_id:
            organization = Organization.objects.filter(pk=organization_id).first()
            if organization is None:
                raise InvalidInput(_("Choose an organisation."), field="organization")
        else:
            raise InvalidInput(
                _("Choose an organisation or enter its unified social credit code."),
                field="organization",
            )
        if organization.pk == project.buyer_id:
            raise InvalidInput(
                _("Your own organisation cannot be a candidate."), field="organization"
            )
        if project.candidates.filter(organization=organization).exists():
            raise Conflict(
                _("%(name)s is already a candidate.") % {"name": organization.name},
                field="organization",
            )
        candidate = Candidate.objects.create(
            project=project, organization=organization, invited_at=now, invited_by=actor
        )
        audit_record(
            actor=actor,
            action="selection.invite",
            obj=project,
            now=now,
            data={"candidate": organization.name, "uscc": organization.uscc},
        )
        notification_create(
            recipients=organization.members.all(),
            key="selection.invited",
            params={"buyer": project.buyer.name, "project": project.title},
            link=reverse("selection:invitation-detail", args=[candidate.pk]),
            now=now,
        )
    return candidate


def candidate_answer(
    *,
    actor,
    candidate_id: int,
    accept: bool,
    sharing: str = "",
    self_evaluation_id=None,
    now: datetime,
) -> Candidate:
    """The invited organisation accepts (choosing what it shares) or declines, once."""
    _require_organisation(actor)
    with transaction.atomic():
        candidate = (
            Candidate.objects.for_user(actor)
            .select_for_update()
            .filter(pk=candidate_id)
            .select_related("project")
            .first()
        )
        if candidate is None:
            raise NotFound()
        if candidate.state != CandidateState.INVITED:
            raise Conflict(
                _("This invitation was already answered (%(state)s).")
                % {"state": candidate.get_state_display()}
            )
        _require_open(candidate.project)
        evaluation = None
        if accept:
            if sharing not in Sharing.values:
                raise InvalidInput(_("Choose what you share."), field="sharing")
            if sharing == Sharing.SELF_EVALUATION:
                evaluation = (
                    SelfEvaluation.objects.for_user(actor).filter(pk=self_evaluation_id).first()
                    if str(self_evaluation_id or "").isdigit()
                    else None
                )
                if evaluation is None:
                    raise InvalidInput(
                        _("Choose one of your self-evaluations."), field="self_evaluation"
                    )
                if evaluation.state == S.WITHDRAWN:
                    raise InvalidInput(
                        _("A withdrawn self-evaluation cannot be shared."),
                        field="self_evaluation",
                    )
                if evaluation.state != S.COMPLETED:
                    raise InvalidInput(
                        _("Complete the self-evaluation before sharing it."),
                        field="self_evaluation",
                    )
            candidate.state = CandidateState.ACCEPTED
            candidate.sharing = sharing
            candidate.self_evaluation = evaluation
        else:
            candidate.state = CandidateState.DECLINED
        candidate.answered_at = now
        candidate.answered_by = actor
        candidate.save(
            update_fields=["state", "sharing", "self_evaluation", "answered_at", "answered_by"]
        )
        audit_record(
            actor=actor,
            action="selection.answer",
            obj=candidate.project,
            now=now,
            data={
                "candidate": candidate.organization_id,
                "state": candidate.state,
                "sharing": candidate.sharing,
            },
        )
        notification_create(
            recipients=candidate.project.buyer.members.all(),
            key="selection.answered",
            params={
                "candidate": candidate.organization.name,
                "project": candidate.project.title,
            },
            link=reverse("selection:selection-detail", args=[candidate.project_id]),
            now=now,
        )
    return candidate


def selection_decide(
    *, actor, project_id: int, candidate_id, reason: str, now: datetime
) -> SelectionProject:
    """The buyer records its choice and the reason; the project is then kept as decided."""
    reason = text_value(reason, field="reason", label=_("Reason for the decision"))
    with transaction.atomic():
        project = _locked_project(actor, project_id)
        _require_open(project)
        candidate = project.candidates.filter(
            pk=candidate_id if str(candidate_id or "").isdigit() else None
        ).first()
        if candidate is None or candidate.state != CandidateState.ACCEPTED:
            raise InvalidInput(
                _("Choose a candidate that accepted the invitation."), field="candidate"
            )
        project.state = ProjectState.DECIDED
        project.chosen = candidate
        project.decision_reason = reason
        project.decided_at = now
        project.decided_by = actor
        project.save(
            update_fields=["state", "chosen", "decision_reason", "decided_at", "decided_by"]
        )
        audit_record(
            actor=actor,
            action="selection.decide",
            obj=project,
            now=now,
            data={"chosen": candidate.organization.name, "reason": reason},
        )
    return project
